/**
 * ============================================================================================================
 *  LEAN TWIN FOR THE BENCHMARKS ONLY. NOT PART OF THE PRODUCT, NEVER BUILT, NEVER DEPLOYED.
 * ============================================================================================================
 *
 * The least code that makes the same ZITADEL calls as the real limiter for the same decision (evict-oldest,
 * COUNT_WHEN=any-factor, one session per device): verify the HMAC over the raw body, confirm the trigger with
 * GetSession (the payload never decides alone whose session goes), one session search, delete the excess in
 * parallel. node:http and fetch, no framework, no logging, no schema library, no retries: what is left is the
 * physical minimum of CPU and memory a target doing this job needs, to compare ours against (issue #17).
 *
 * It keeps the rules a careful twin must keep so that its numbers are honest: rows of other users, expired rows and
 * rows with no verified factor are never counted nor deleted; a trigger that is not signed in changes nothing; any
 * failure answers 200 "undecided" (the limiter never fails a login); bad input is a terse 4xx.
 *
 * Run: PORT=0 INSTANCE_URL=… PAT=… SIGNING_KEY=… CONCURRENT_SESSIONS=2 node --import tsx bench/leanLimiter.ts
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

export interface LeanOptions {
  readonly instanceUrl: string;
  readonly pat: string;
  readonly signingKey: string;
  readonly limit: number;
  readonly now?: () => number;
}

interface Row {
  id?: string;
  creationDate?: string;
  expirationDate?: string;
  factors?: Record<string, { id?: string; verifiedAt?: string } | undefined>;
}

const MAX_BODY_BYTES = 1024 * 1024;
const SIGNATURE_TOLERANCE_S = 300;
const CALL_TIMEOUT_MS = 5_000;

/** `t=<unix seconds>,v1=<hex>`, HMAC-SHA256 over `"<t>." + raw body`, within 300 s either way. */
function signatureIsValid(header: string | undefined, raw: Buffer, key: string, nowMs: number): boolean {
  const t = /(?:^|,)t=([0-9]+)(?:,|$)/.exec(header ?? '')?.[1];
  const v1 = /(?:^|,)v1=([0-9a-f]{64})(?:,|$)/.exec(header ?? '')?.[1];
  if (t === undefined || v1 === undefined) return false;
  if (Math.abs(nowMs / 1000 - Number(t)) > SIGNATURE_TOLERANCE_S) return false;
  const expected = createHmac('sha256', key).update(`${t}.`).update(raw).digest();
  return timingSafeEqual(Buffer.from(v1, 'hex'), expected);
}

/** The session a response condition or event is about; never the envelope's `userID` (the caller). */
function triggerSessionId(payload: unknown): string | undefined {
  const p = payload as {
    response?: { sessionId?: unknown };
    request?: { sessionId?: unknown };
    aggregateID?: unknown;
  };
  const id = p.response?.sessionId ?? p.request?.sessionId ?? p.aggregateID;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

const signedIn = (row: Row) =>
  Object.entries(row.factors ?? {}).some(
    ([name, factor]) => name !== 'user' && factor?.verifiedAt !== undefined,
  );

export function createLeanLimiter(options: LeanOptions): http.Server {
  const now = options.now ?? Date.now;
  const headers = { Authorization: `Bearer ${options.pat}`, 'Content-Type': 'application/json' };

  async function zitadel(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${options.instanceUrl}${path}`, {
      method,
      headers,
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  async function decide(sessionId: string): Promise<object> {
    const got = await zitadel('GET', `/v2/sessions/${encodeURIComponent(sessionId)}`);
    if (got.status === 404) return { outcome: 'ignored' };
    if (!got.ok) throw new Error('get_session');
    const trigger = ((await got.json()) as { session?: Row }).session;
    const userId = trigger?.factors?.user?.id;
    if (trigger?.id !== sessionId || userId === undefined || !signedIn(trigger))
      return { outcome: 'ignored' };
    // GetSession brought the projection up to date: this search sees the trigger and every earlier write.
    const listed = await zitadel('POST', '/v2/sessions/search', {
      query: { offset: '0', limit: 500, asc: false },
      queries: [{ userIdQuery: { id: userId } }],
      sortingColumn: 'SESSION_FIELD_NAME_CREATION_DATE',
    });
    if (!listed.ok) throw new Error('list_sessions');
    const rows = ((await listed.json()) as { sessions?: Row[] }).sessions ?? [];
    const nowMs = now();
    const counted = rows
      .filter((row) => row.id !== undefined && row.factors?.user?.id === userId && signedIn(row))
      .filter((row) => row.expirationDate === undefined || Date.parse(row.expirationDate) > nowMs)
      .map((row) => ({ id: row.id!, createdMs: Date.parse(row.creationDate ?? '') }))
      .filter((row) => Number.isFinite(row.createdMs))
      .sort((a, b) => b.createdMs - a.createdMs || (a.id < b.id ? 1 : -1));
    const excess = counted.slice(options.limit).map((row) => row.id);
    const deleted = await Promise.all(
      excess.map(async (id) => {
        const answer = await zitadel('DELETE', `/v2/sessions/${encodeURIComponent(id)}`, {});
        await answer.arrayBuffer();
        return answer.ok || answer.status === 404;
      }),
    );
    if (deleted.includes(false)) throw new Error('delete_session');
    return { outcome: excess.length > 0 ? 'evicted' : 'within_limit', deletedCount: excess.length };
  }

  const answer = (res: http.ServerResponse, status: number, body: object) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };

  return http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/session/manage')
      return answer(res, 404, { error: 'not_found' });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return answer(res, 413, { error: 'body_too_large' });
      const raw = Buffer.concat(chunks);
      const header = req.headers['zitadel-signature'];
      if (!signatureIsValid(typeof header === 'string' ? header : undefined, raw, options.signingKey, now()))
        return answer(res, 401, { error: 'bad_signature' });
      let sessionId: string | undefined;
      try {
        sessionId = triggerSessionId(JSON.parse(raw.toString('utf8')));
      } catch {
        return answer(res, 400, { error: 'bad_json' });
      }
      if (sessionId === undefined) return answer(res, 200, { outcome: 'ignored' });
      decide(sessionId).then(
        (decision) => answer(res, 200, decision),
        // Fail open: the login passes, the excess waits for the next login.
        () => answer(res, 200, { outcome: 'undecided' }),
      );
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const server = createLeanLimiter({
    instanceUrl: process.env.INSTANCE_URL ?? '',
    pat: process.env.PAT ?? '',
    signingKey: process.env.SIGNING_KEY ?? '',
    limit: Number(process.env.CONCURRENT_SESSIONS ?? '2'),
  });
  server.keepAliveTimeout = 65_000;
  server.listen(Number(process.env.PORT ?? '0'), '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`${JSON.stringify({ msg: 'lean limiter listening', port })}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
