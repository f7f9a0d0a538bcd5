/**
 * ============================================================================================================
 *  BASELINE FOR THE BENCHMARKS ONLY. NOT PART OF THE PRODUCT, NEVER BUILT, NEVER DEPLOYED.
 * ============================================================================================================
 *
 * The simplest implementation of the same job, in the style of ZITADEL's blog sample, so that BENCHMARKS.md can
 * show what the real limiter's design buys: verify the HMAC, read the user from the payload (or GetSession), list
 * the user's sessions in one search, sort them, then delete the surplus one by one, each DELETE awaited before the
 * next. No paging, no timeouts, no retries, no per-user serialisation, no checks of the listed rows.
 *
 * Its one concession: a try/catch, so that a failure answers 500 instead of crashing the process mid-benchmark
 * (the blog sample crashes on a header without t= or on any SetSession payload: test/hostile/ and
 * test/component/webhook.test.ts hold those cases against the real limiter).
 *
 * Run: PORT=0 INSTANCE_URL=… PAT=… SIGNING_KEY=… CONCURRENT_SESSIONS=2 node --import tsx bench/naiveLimiter.ts
 */
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';
// The HMAC itself is the shared one (naive parsing and all else stay the baseline's own), so the benchmark
// compares designs, not two spellings of the same SHA-256.
import { zitadelHmac } from '../src/signature/signZitadelPayload.js';

interface NaiveSession {
  id: string;
  creationDate?: string;
  factors?: { user?: { id?: string } };
}

const instanceUrl = process.env.INSTANCE_URL ?? '';
const pat = process.env.PAT ?? '';
const signingKey = process.env.SIGNING_KEY ?? '';
const limit = Number(process.env.CONCURRENT_SESSIONS ?? '2');

async function zitadel<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${instanceUrl}${path}`, {
    method,
    headers: { Authorization: `Bearer ${pat}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`ZITADEL answered ${res.status}`);
  return (await res.json()) as T;
}

function signatureIsValid(header: string | undefined, rawBody: Buffer): boolean {
  const parts = Object.fromEntries(
    (header ?? '').split(',').map((pair) => pair.split('=') as [string, string]),
  );
  const t = parts.t;
  const v1 = parts.v1;
  if (t === undefined || v1 === undefined) return false;
  const expected = zitadelHmac(signingKey, t, rawBody);
  const given = Buffer.from(v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const app = express();
app.post('/session/manage', express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
  try {
    const rawBody = req.body as Buffer;
    if (!signatureIsValid(req.header('zitadel-signature'), rawBody)) {
      res.status(401).json({ error: 'bad signature' });
      return;
    }
    const payload = JSON.parse(rawBody.toString('utf8')) as {
      request?: { sessionId?: string; checks?: { user?: { userId?: string } } };
      response?: { sessionId?: string };
    };
    let userId = payload.request?.checks?.user?.userId;
    if (userId === undefined) {
      const sessionId = payload.response?.sessionId ?? payload.request?.sessionId ?? '';
      const answer = await zitadel<{ session: NaiveSession }>('GET', `/v2/sessions/${sessionId}`);
      userId = answer.session.factors?.user?.id ?? '';
    }
    const list = await zitadel<{ sessions?: NaiveSession[] }>('POST', '/v2/sessions/search', {
      queries: [{ userIdQuery: { id: userId } }],
    });
    const sessions = (list.sessions ?? []).sort(
      (a, b) => Date.parse(b.creationDate ?? '') - Date.parse(a.creationDate ?? ''),
    );
    let deleted = 0;
    for (const session of sessions.slice(limit)) {
      await zitadel('DELETE', `/v2/sessions/${session.id}`, {});
      deleted += 1;
    }
    res.json({ userId, deleted });
  } catch {
    res.status(500).json({ error: 'failed' });
  }
});

const server = app.listen(Number(process.env.PORT ?? '0'), '127.0.0.1', () => {
  process.stdout.write(
    `${JSON.stringify({ msg: 'naive limiter listening', port: (server.address() as AddressInfo).port })}\n`,
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
