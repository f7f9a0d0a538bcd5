import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type Express, type Request, type Response } from 'express';

/**
 * A small stand-in for ZITADEL's Session Service v2 (and the user search) over real HTTP, for end-to-end tests,
 * benchmarks and the demo. It imitates the behaviours the limiter must survive: a search that lags behind,
 * idempotent deletes, 404 with gRPC code 5, silently dropped unknown filters, injected latency and faults.
 *
 * The search reads a projection, as ZITADEL's does (internal/query/session.go): every write (a login, a factor
 * check, a sign-out or delete) lands in `sessions` at once but reaches the projection only when it is caught up —
 * by a GetSession, which brings the whole projection up to date before it answers (sessionByID triggers it and
 * waits), by the best-effort nudge after a write (`nudgeAfterWriteMs`; off in the tests that prove correctness,
 * which is ZITADEL's worst case), or by the schedule (`catchUpEveryMs`, ZITADEL's Projections.RequeueEvery).
 * The search answer's `details.timestamp` is the time of the last write the projection has processed.
 *
 * Where a real ZITADEL v4.13.1 was observed (FACTS.md, lines marked [real]; test/fixtures/captures), the fake answers
 * as it did, and test/contract/fakeZitadel.contract.test.ts holds it to that: CreateSession answers 201, SetSession
 * 200; timestamps carry microseconds; a misspelt key inside a search query is a 400, a misspelt top-level key or
 * sorting enum is dropped (every user's sessions, unsorted), a misspelt `id` matches nothing; an empty search answers
 * `{"details":{"timestamp":…}}` alone; an expired session is still read (200) and listed.
 */

export interface FakeSession {
  id: string;
  userId: string;
  loginName: string;
  creationDate: Date;
  /** The last write to the session (creation, a factor check); its factors' verifiedAt. */
  changeDate: Date;
  expirationDate: Date | undefined;
  /** Verified factors besides the user, e.g. ['password']. Empty: only a username was typed. */
  factors: string[];
  /**
   * When each factor was verified, where it differs from the last write (a password checked before a later TOTP
   * step keeps its own time, as in ZITADEL). A factor not listed was verified at `changeDate`.
   */
  factorVerifiedAt?: Record<string, Date> | undefined;
  terminatedAt: Date | undefined;
  /** Login V2's browser fingerprint; undefined: a made-up one per session; null: none (a custom login UI). */
  fingerprintId?: string | null | undefined;
  /** `factors.user.organizationId`; 'org-1' unless given. */
  organizationId?: string | undefined;
  /** Whether a webAuthN factor was verified with user verification (a passkey); true unless given. */
  userVerified?: boolean | undefined;
  /** The browser/OS description the login UI sent. */
  userAgentDescription?: string | undefined;
  /** The client address the login UI sent in `userAgent.ip`; 127.0.0.1 unless given. */
  userAgentIp?: string | undefined;
  /** `userAgent.header["user-agent"].values` as the login UI sent them; made up from the description unless given. */
  userAgentHeader?: readonly string[] | undefined;
}

/** A login policy as the fake's Settings Service answers it. */
export interface FakeLoginPolicy {
  forceMfa: boolean;
  forceMfaLocalOnly: boolean;
}

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
  readonly authorization: string | undefined;
}

export interface FaultPlan {
  /** Share of calls (0..1) answered with a fault instead of the real answer. */
  rate: number;
  /** What a fault is: an HTTP status (503, 429) or 'reset' (the socket is destroyed). */
  kinds: readonly (number | 'reset')[];
}

export interface FakeZitadelOptions {
  /** Bearer tokens accepted; defaults to ['test-pat']. Mutable: a fake token endpoint adds what it issues. */
  acceptedTokens?: string[];
  /**
   * How long after a write the projection is nudged up to date (ZITADEL v4 does this best-effort, usually within
   * milliseconds). 0 (default): at once. `false`: never — only a GetSession or the schedule catches it up.
   */
  nudgeAfterWriteMs?: number | false;
  /** The schedule that catches the projection up regardless (ZITADEL's Projections.RequeueEvery: 60 s). */
  catchUpEveryMs?: number;
  /**
   * 'at-once' (default): GetSession brings the projection up to date before it answers. 'after-next-search': it
   * does not (another ZITADEL node holds the projection's lock and is still processing); the projection is current
   * only once the next search has been answered from the stale state — the case a second search is for.
   */
  getSessionCatchUp?: 'at-once' | 'after-next-search';
  /** Added to every answer. */
  latencyMs?: number;
  faults?: FaultPlan;
  /**
   * A rate limit like ZITADEL Cloud's (per client, [FACTS 5]: 429 past about 50 requests a second per IP): more than
   * `perSecond` requests within one second of the fake's clock are answered 429 (gRPC code 8, ResourceExhausted)
   * with `Retry-After: <retryAfterSeconds>`, and so is every request until that time has passed. Whether real
   * ZITADEL sends Retry-After is not observed (FACTS.md does not say); the limiter must cope with either.
   */
  rateLimit?: { readonly perSecond: number; readonly retryAfterSeconds: number };
  /** Deterministic source for fault decisions. */
  random?: () => number;
  /** ZITADEL's clock, which stamps every write (default Date.now): a test shares it with the limiter to move time. */
  now?: () => number;
  /** Routes mounted before the bearer-token gate and fault injection (e.g. a fake `/oauth/v2/token`). */
  publicRoutes?: (app: Express, fake: FakeZitadel) => void;
  /** Routes mounted behind the gate, beside the session routes (e.g. a fake `/v2/actions`). */
  protectedRoutes?: (app: Express, fake: FakeZitadel) => void;
}

let sequence = 300_000_000_000_000_000n;
/** ZITADEL-like ids: growing decimal numbers. */
export function nextZitadelId(): string {
  sequence += 1n;
  return sequence.toString();
}

/**
 * A protojson timestamp as ZITADEL writes it: microseconds (`2026-12-02T04:17:15.952721Z`, [real]). The fake's clock
 * has milliseconds; the microsecond digits are derived from them, so one instant always prints the same and the
 * order of two instants is kept. `offsetMicros` moves it back by less than a millisecond.
 */
export function protoTime(date: Date, offsetMicros = 0): string {
  let ms = date.getTime();
  // 500..999: a check stamped CHECK_BEFORE_WRITE_MICROS earlier stays in the same millisecond, so millisecond
  // readers order and tie sessions exactly as before. Plain numbers, one toISOString: a 500-row page stays cheap.
  let micros = 500 + (((ms % 500) * 7919) % 500) - offsetMicros;
  for (; micros < 0; micros += 1000) ms -= 1;
  return `${new Date(ms).toISOString().slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
}

// ZITADEL stamps a check a little before the event that records it ([real]: a password 0.5 ms before the session's
// creationDate, the user check of a one-step login up to ~2.5 s before it: the password hash ran in between).
const CHECK_BEFORE_WRITE_MICROS = 493;
const USER_CHECK_BEFORE_CREATION_MS = 1_500;

function sessionJson(session: FakeSession) {
  // A factor was verified at the write that added it (CreateSession, or the SetSession of that step).
  const verifiedAtOf = (name: string) =>
    protoTime(session.factorVerifiedAt?.[name] ?? session.changeDate, CHECK_BEFORE_WRITE_MICROS);
  const verified = (name: string) =>
    session.factors.includes(name) ? { verifiedAt: verifiedAtOf(name) } : undefined;
  const fingerprintId =
    session.fingerprintId === null ? undefined : (session.fingerprintId ?? `fp-${session.id.slice(-4)}`);
  const description = session.userAgentDescription ?? 'Firefox on Linux';
  return {
    id: session.id,
    creationDate: protoTime(session.creationDate),
    changeDate: protoTime(session.changeDate),
    sequence: String(1 + session.factors.length),
    factors: {
      user: {
        verifiedAt: protoTime(new Date(session.creationDate.getTime() - USER_CHECK_BEFORE_CREATION_MS)),
        id: session.userId,
        loginName: session.loginName,
        displayName: session.loginName,
        organizationId: session.organizationId ?? 'org-1',
      },
      password: verified('password'),
      webAuthN: session.factors.includes('webAuthN')
        ? { verifiedAt: verifiedAtOf('webAuthN'), userVerified: session.userVerified ?? true }
        : undefined,
      intent: verified('intent'),
      totp: verified('totp'),
      otpSms: verified('otpSms'),
      otpEmail: verified('otpEmail'),
      recoveryCode: verified('recoveryCode'),
    },
    userAgent: {
      ...(fingerprintId === undefined ? {} : { fingerprintId }),
      ip: session.userAgentIp ?? '127.0.0.1',
      description,
      header: { 'user-agent': { values: session.userAgentHeader ?? [`Mozilla/5.0 (${description})`] } },
    },
    ...(session.expirationDate === undefined ? {} : { expirationDate: protoTime(session.expirationDate) }),
  };
}

/** The filters of ZITADEL's session search (`zitadel.session.v2.SearchQuery`'s oneof). */
const SEARCH_QUERY_KINDS = [
  'idsQuery',
  'userIdQuery',
  'creationDateQuery',
  'creatorQuery',
  'userAgentQuery',
  'expirationDateQuery',
] as const;

type SearchFilter =
  { ok: true; matches: (session: FakeSession) => boolean } | { ok: false; status: number; message: string };

/**
 * One search query as ZITADEL reads it. The gateway drops unknown keys first, so a misspelt filter name leaves the
 * query empty, which validation refuses (400, [real] `userIdQueri`); a misspelt field inside a known filter leaves
 * it empty, which matches nothing (`userIdQuery: {ide}` filters for the user id "", [real]).
 */
function searchFilterOf(query: unknown, index: number): SearchFilter {
  const known =
    typeof query === 'object' && query !== null ? SEARCH_QUERY_KINDS.filter((kind) => kind in query) : [];
  const filter = (known[0] === undefined ? undefined : (query as Record<string, unknown>)[known[0]]) as
    Record<string, unknown> | undefined;
  if (known.length !== 1 || typeof filter !== 'object' || filter === null)
    return {
      ok: false,
      status: 400,
      message: `invalid ListSessionsRequest.Queries[${index}]: embedded message failed validation | caused by: invalid SearchQuery.Query: value is required`,
    };
  if (known[0] === 'userIdQuery') {
    const id = typeof filter.id === 'string' ? filter.id : '';
    return { ok: true, matches: (session) => session.userId === id };
  }
  if (known[0] === 'idsQuery') {
    const ids = Array.isArray(filter.ids) ? filter.ids.filter((id) => typeof id === 'string') : [];
    return { ok: true, matches: (session) => ids.includes(session.id) };
  }
  // The limiter sends none of the others: refuse loudly rather than answer what ZITADEL might not.
  return { ok: false, status: 501, message: `the fake ZITADEL does not implement ${known[0]}` };
}

/** A protojson duration such as "86400s", in milliseconds; undefined for anything else. */
function durationMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value);
  return match === null ? undefined : Number(match[1]) * 1000;
}

// The Session API's checks (zitadel.session.v2.Checks) and the factor each one verifies.
const CHECK_FACTORS: Record<string, string> = {
  password: 'password',
  webAuthN: 'webAuthN',
  idpIntent: 'intent',
  totp: 'totp',
  otpSms: 'otpSms',
  otpEmail: 'otpEmail',
  recoveryCode: 'recoveryCode',
};

function factorsCheckedBy(checks: unknown): string[] {
  if (typeof checks !== 'object' || checks === null) return [];
  return Object.entries(CHECK_FACTORS)
    .filter(([check]) => (checks as Record<string, unknown>)[check] !== undefined)
    .map(([, factor]) => factor);
}

export class FakeZitadel {
  /** The truth: every write lands here at once. The search reads the lagging projection instead. */
  readonly sessions = new Map<string, FakeSession>();
  /** User metadata (User Service v2): user id → key → value, as text (served base64-encoded, as ZITADEL does). */
  readonly userMetadata = new Map<string, Map<string, string>>();
  /** A user's authentication methods (AUTHENTICATION_METHOD_TYPE_…); a password only unless set. */
  readonly authMethods = new Map<string, string[]>();
  /** Login policies per organisation id; no MFA forced unless set. */
  readonly loginPolicies = new Map<string, FakeLoginPolicy>();
  /**
   * Permissions a token's service account lacks (token → e.g. {"policy.read"}): ZITADEL then answers that read
   * 403 `AUTH-5mWD2`, as v4.13.1 did for GET /v2/settings/login with IAM_USER_MANAGER alone (FACTS.md section 6).
   */
  readonly withheldPermissions = new Map<string, Set<string>>();
  readonly seen: SeenRequest[] = [];
  options: Required<Omit<FakeZitadelOptions, 'faults' | 'publicRoutes' | 'protectedRoutes' | 'rateLimit'>> & {
    faults: FaultPlan | undefined;
    rateLimit: FakeZitadelOptions['rateLimit'];
  };
  /** The sessions projection as of `#projectedUpTo`: copies, so later writes do not show through. */
  #projection = new Map<string, FakeSession>();
  #projectedUpTo = new Date();
  #lastWriteAt = new Date();
  #nudge: NodeJS.Timeout | undefined;
  #schedule: NodeJS.Timeout | undefined;
  #catchUpAfterNextSearch = false;
  /** Sessions written since the last catch-up: only these are copied into the projection. */
  readonly #unprojected = new Set<string>();
  /** How many times something (a GetSession, a nudge, the schedule, a test) caught the projection up. */
  catchUps = 0;
  readonly #publicRoutes: FakeZitadelOptions['publicRoutes'];
  readonly #protectedRoutes: FakeZitadelOptions['protectedRoutes'];
  #server: Server | undefined;
  /** Faults queued for the next calls, before the random plan: e.g. [503, 429]. */
  readonly queuedFaults: (number | 'reset')[] = [];
  /** When the requests of the last second arrived (the rate limit's window), and until when it refuses all. */
  readonly #recentRequestsMs: number[] = [];
  #limitedUntilMs = Number.NEGATIVE_INFINITY;
  /** Requests answered 429 by the rate limit. */
  rateLimited = 0;
  /** Largest number of requests in flight at once, to prove deletes run in parallel. */
  peakInFlight = 0;
  #inFlight = 0;

  constructor(options: FakeZitadelOptions = {}) {
    this.options = {
      acceptedTokens: options.acceptedTokens ?? ['test-pat'],
      nudgeAfterWriteMs: options.nudgeAfterWriteMs ?? 0,
      catchUpEveryMs: options.catchUpEveryMs ?? 60_000,
      getSessionCatchUp: options.getSessionCatchUp ?? 'at-once',
      latencyMs: options.latencyMs ?? 0,
      faults: options.faults,
      rateLimit: options.rateLimit,
      random: options.random ?? Math.random,
      now: options.now ?? Date.now,
    };
    this.#publicRoutes = options.publicRoutes;
    this.#protectedRoutes = options.protectedRoutes;
  }

  get url(): string {
    const address = this.#server?.address() as AddressInfo | undefined;
    if (address === undefined) throw new Error('fake ZITADEL is not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  /**
   * A write: CreateSession (by default with a verified password). Seen by the search once projected. Without a
   * `creationDate` the session is created now, at the write's own event time; with one (seeding a user's history)
   * it keeps that date, and only the write is now.
   */
  addSession(init: Partial<FakeSession> & { userId: string }): FakeSession {
    const writtenAt = this.#nextEventTime();
    const creationDate = init.creationDate ?? writtenAt;
    const session: FakeSession = {
      id: init.id ?? nextZitadelId(),
      userId: init.userId,
      loginName: init.loginName ?? `${init.userId}@example.com`,
      creationDate,
      changeDate: init.changeDate ?? creationDate,
      expirationDate: init.expirationDate,
      factors: init.factors ?? ['password'],
      factorVerifiedAt: init.factorVerifiedAt,
      terminatedAt: init.terminatedAt,
      fingerprintId: init.fingerprintId,
      organizationId: init.organizationId,
      userVerified: init.userVerified,
      userAgentDescription: init.userAgentDescription,
      userAgentIp: init.userAgentIp,
      userAgentHeader: init.userAgentHeader,
    };
    this.sessions.set(session.id, session);
    this.#written(session.id);
    return session;
  }

  /** Sets a user's metadata value (what SetUserMetadata does). */
  setUserMetadata(userId: string, key: string, value: string): void {
    const values = this.userMetadata.get(userId) ?? new Map<string, string>();
    values.set(key, value);
    this.userMetadata.set(userId, values);
  }

  /** A write: SetSession verified more factors of an existing session (Login V2's password or OTP step). */
  checkFactors(sessionId: string, factors: readonly string[]): FakeSession {
    const session = this.#existing(sessionId);
    // Factors verified before keep their time; the ones checked now are verified at this write.
    const pinned: Record<string, Date> = { ...session.factorVerifiedAt };
    for (const earlier of session.factors)
      if (!factors.includes(earlier)) pinned[earlier] ??= session.changeDate;
    for (const now of factors) delete pinned[now];
    session.factorVerifiedAt = pinned;
    session.factors = [...new Set([...session.factors, ...factors])];
    session.changeDate = this.#nextEventTime();
    this.#written(sessionId);
    return session;
  }

  /** A write: the user signed out, or somebody deleted the session. */
  terminateSession(sessionId: string): void {
    const session = this.#existing(sessionId);
    session.terminatedAt ??= this.#nextEventTime();
    this.#written(sessionId);
  }

  /** Brings the search's projection up to date with every write so far, as time passing would. */
  catchUpProjection(): void {
    clearTimeout(this.#nudge);
    this.#nudge = undefined;
    for (const id of this.#unprojected) {
      const session = this.sessions.get(id);
      if (session === undefined) this.#projection.delete(id);
      else this.#projection.set(id, structuredClone(session));
    }
    this.#unprojected.clear();
    this.#projectedUpTo = this.#lastWriteAt;
    this.catchUps += 1;
  }

  /** Forgets every session, in the truth and the projection, and what was seen (long benchmark runs). */
  reset(): void {
    this.sessions.clear();
    this.#projection.clear();
    this.#unprojected.clear();
    this.seen.length = 0;
  }

  /** Whether the search shows every write yet. */
  get projectionIsCurrent(): boolean {
    return this.#projectedUpTo.getTime() >= this.#lastWriteAt.getTime();
  }

  #existing(sessionId: string): FakeSession {
    const session = this.sessions.get(sessionId);
    if (session === undefined) throw new Error(`fake ZITADEL has no session ${sessionId}`);
    return session;
  }

  /** The time of the next write's event: strictly after the last one, as the eventstore's positions are. */
  #nextEventTime(): Date {
    this.#lastWriteAt = new Date(Math.max(this.#lastWriteAt.getTime() + 1, this.options.now()));
    return this.#lastWriteAt;
  }

  #written(sessionId: string): void {
    this.#unprojected.add(sessionId);
    const nudge = this.options.nudgeAfterWriteMs;
    if (nudge === false) return;
    if (nudge === 0) this.catchUpProjection();
    else this.#nudge ??= setTimeout(() => this.catchUpProjection(), nudge).unref();
  }

  /** Sessions of a user that exist right now (the truth, not the lagging search). */
  liveSessionsOf(userId: string): FakeSession[] {
    return [...this.sessions.values()].filter((s) => s.userId === userId && s.terminatedAt === undefined);
  }

  requests(method: string, pathPrefix: string): SeenRequest[] {
    return this.seen.filter((r) => r.method === method && r.path.startsWith(pathPrefix));
  }

  async start(port = 0): Promise<this> {
    const app = express();
    app.disable('x-powered-by');
    app.use(express.json());
    app.use(express.urlencoded({ extended: false }));
    this.#publicRoutes?.(app, this);
    app.use((req, res, next) => void this.#gate(req, res, next));
    this.#protectedRoutes?.(app, this);
    app.post('/v2/sessions', (req, res) => this.#createSession(req, res));
    app.patch('/v2/sessions/:id', (req, res) => this.#setSession(req, res));
    app.post('/v2/sessions/search', (req, res) => this.#search(req, res));
    app.get('/v2/sessions/:id', (req, res) => this.#get(req, res));
    app.delete('/v2/sessions/:id', (req, res) => this.#delete(req, res));
    app.post('/v2/users', (req, res) => this.#users(req, res));
    app.post('/v2/users/:id/metadata', (req, res) => this.#setMetadata(req, res));
    app.post('/v2/users/:id/metadata/search', this.#requires('user.read'), (req, res) =>
      this.#searchMetadata(req, res),
    );
    app.get('/v2/users/:id/authentication_methods', this.#requires('user.read'), (req, res) =>
      this.#authMethods(req, res),
    );
    app.get('/v2/settings/login', this.#requires('policy.read'), (req, res) => this.#loginSettings(req, res));
    app.use((_req, res) => res.status(404).json({ code: 5, message: 'Not Found' }));
    await new Promise<void>((resolve) => {
      this.#server = app.listen(port, '127.0.0.1', () => resolve());
    });
    this.#schedule = setInterval(() => this.catchUpProjection(), this.options.catchUpEveryMs).unref();
    return this;
  }

  async stop(): Promise<void> {
    clearTimeout(this.#nudge);
    clearInterval(this.#schedule);
    const server = this.#server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.#server = undefined;
  }

  async #gate(req: Request, res: Response, next: () => void): Promise<void> {
    this.#inFlight += 1;
    this.peakInFlight = Math.max(this.peakInFlight, this.#inFlight);
    res.on('close', () => (this.#inFlight -= 1));
    this.seen.push({
      method: req.method,
      path: req.path,
      body: req.body as unknown,
      authorization: req.headers.authorization,
    });
    if (this.options.latencyMs > 0)
      await new Promise((resolve) => setTimeout(resolve, this.options.latencyMs));
    if (this.#answeredOverRateLimit(res)) return;
    const fault = this.queuedFaults.shift() ?? this.#randomFault();
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault !== undefined) {
      if (fault === 429) res.setHeader('Retry-After', '0');
      res.status(fault).json({ code: fault === 429 ? 8 : 14, message: 'injected fault' });
      return;
    }
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (token === undefined || !this.options.acceptedTokens.includes(token)) {
      res.status(401).json({ code: 16, message: 'Errors.Token.Invalid (AUTH-7fs1e)' });
      return;
    }
    next();
  }

  /** Answers 429 with Retry-After, and says so, when this request is one too many for the rate limit. */
  #answeredOverRateLimit(res: Response): boolean {
    const limit = this.options.rateLimit;
    if (limit === undefined) return false;
    const nowMs = this.options.now();
    const recent = this.#recentRequestsMs;
    while (recent.length > 0 && (recent[0] ?? 0) <= nowMs - 1000) recent.shift();
    recent.push(nowMs);
    if (nowMs >= this.#limitedUntilMs && recent.length > limit.perSecond)
      this.#limitedUntilMs = nowMs + limit.retryAfterSeconds * 1000;
    if (nowMs < this.#limitedUntilMs) {
      this.rateLimited += 1;
      res.setHeader('Retry-After', String(Math.ceil((this.#limitedUntilMs - nowMs) / 1000)));
      res.status(429).json({ code: 8, message: 'rate limit exceeded', details: [] });
      return true;
    }
    return false;
  }

  /** ZITADEL's permission check: 403 when the caller's token lacks `permission` (see withheldPermissions). */
  #requires(permission: string): (req: Request, res: Response, next: () => void) => void {
    return (req, res, next) => {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      if (this.withheldPermissions.get(token)?.has(permission) === true)
        res.status(403).json({ code: 7, message: 'No matching permissions found (AUTH-5mWD2)', details: [] });
      else next();
    };
  }

  #randomFault(): number | 'reset' | undefined {
    const plan = this.options.faults;
    if (plan === undefined || plan.kinds.length === 0 || this.options.random() >= plan.rate) return undefined;
    return plan.kinds[Math.floor(this.options.random() * plan.kinds.length)];
  }

  #search(req: Request, res: Response): void {
    const body = (req.body ?? {}) as {
      query?: { offset?: string; limit?: number; asc?: boolean };
      queries?: unknown;
      sortingColumn?: string;
    };
    // Like ZITADEL's gateway, a misspelt top-level key (`queriez`) is dropped: the search is then unfiltered.
    const queries = Array.isArray(body.queries) ? (body.queries as unknown[]) : [];
    const filters = queries.map(searchFilterOf);
    const refused = filters.find((filter) => !filter.ok);
    if (refused !== undefined && !refused.ok) {
      res.status(refused.status).json({ code: refused.status === 400 ? 3 : 12, message: refused.message });
      return;
    }
    const matchers = filters.flatMap((filter) => (filter.ok ? [filter.matches] : []));
    // The projection, not the truth: writes it has not processed yet are invisible. Queries are ANDed.
    let rows = [...this.#projection.values()].filter(
      (s) => s.terminatedAt === undefined && matchers.every((matches) => matches(s)),
    );
    // An unknown enum name is dropped too ([real]): no ORDER BY, rows come as the projection holds them.
    if (body.sortingColumn === 'SESSION_FIELD_NAME_CREATION_DATE') {
      const direction = body.query?.asc === true ? 1 : -1;
      rows.sort((a, b) => direction * (a.creationDate.getTime() - b.creationDate.getTime()));
    }
    const total = rows.length;
    const offset = Number(body.query?.offset ?? '0');
    const limit = body.query?.limit ?? 0;
    rows = rows.slice(offset, limit === 0 ? undefined : offset + limit);
    // protojson omits zero values: an empty search answers `{"details":{"timestamp":…}}` alone ([real]).
    const details = {
      ...(total === 0 ? {} : { totalResult: String(total) }),
      timestamp: protoTime(this.#projectedUpTo),
    };
    res.json(rows.length === 0 ? { details } : { details, sessions: rows.map(sessionJson) });
    if (this.#catchUpAfterNextSearch) {
      this.#catchUpAfterNextSearch = false;
      this.catchUpProjection();
    }
  }

  /** What the Session API answers a write: the session's write details. */
  #writeDetails(session: FakeSession) {
    return {
      sequence: String(1 + session.factors.length),
      changeDate: protoTime(session.changeDate),
      resourceOwner: 'instance-1',
    };
  }

  /**
   * CreateSession over REST (`POST /v2/sessions`): 201 Created ([real]). Any password passes; the fake does not
   * call targets, so no webhook follows.
   */
  #createSession(req: Request, res: Response): void {
    const body = (req.body ?? {}) as {
      checks?: { user?: { userId?: string; loginName?: string } } & Record<string, unknown>;
      lifetime?: string;
      userAgent?: { fingerprintId?: string; description?: string; ip?: string };
    };
    const user = body.checks?.user;
    const known = [...this.sessions.values()];
    const userId = user?.userId ?? known.find((session) => session.loginName === user?.loginName)?.userId;
    if (userId === undefined) {
      res.status(404).json({ code: 5, message: 'Errors.User.NotFound (QUERY-Dfbg2)' });
      return;
    }
    const lifetime = durationMs(body.lifetime);
    const session = this.addSession({
      userId,
      ...(user?.loginName === undefined ? {} : { loginName: user.loginName }),
      factors: factorsCheckedBy(body.checks),
      fingerprintId: body.userAgent?.fingerprintId ?? null,
      userAgentDescription: body.userAgent?.description,
      userAgentIp: body.userAgent?.ip,
    });
    // Without a lifetime a session never expires ([real]).
    if (lifetime !== undefined) session.expirationDate = new Date(session.creationDate.getTime() + lifetime);
    res.status(201).json({
      details: this.#writeDetails(session),
      sessionId: session.id,
      sessionToken: `fake-token-${session.id}`,
    });
  }

  /** SetSession over REST (`PATCH /v2/sessions/{id}`): 200 ([real]); unknown or terminated sessions 404. */
  #setSession(req: Request, res: Response): void {
    const body = (req.body ?? {}) as { checks?: unknown; lifetime?: string };
    const existing = this.sessions.get(String(req.params.id));
    if (existing === undefined || existing.terminatedAt !== undefined) {
      res.status(404).json({ code: 5, message: 'Errors.Session.NotFound (COMMAND-SAf4r)' });
      return;
    }
    const session = this.checkFactors(existing.id, factorsCheckedBy(body.checks));
    const lifetime = durationMs(body.lifetime);
    if (lifetime !== undefined) session.expirationDate = new Date(session.changeDate.getTime() + lifetime);
    res.json({ details: this.#writeDetails(session), sessionToken: `fake-token-${session.id}` });
  }

  #get(req: Request, res: Response): void {
    // sessionByID triggers the sessions projection and waits for it before reading.
    if (this.options.getSessionCatchUp === 'at-once') this.catchUpProjection();
    else this.#catchUpAfterNextSearch = true;
    const session = this.sessions.get(String(req.params.id));
    if (session === undefined || session.terminatedAt !== undefined) {
      res.status(404).json({ code: 5, message: 'Errors.Session.NotFound (QUERY-SJ2s3)' });
      return;
    }
    res.json({ session: sessionJson(session) });
  }

  #delete(req: Request, res: Response): void {
    const session = this.sessions.get(String(req.params.id));
    if (session === undefined) {
      res.status(404).json({ code: 5, message: 'Errors.Session.NotFound (COMMAND-ADW32)' });
      return;
    }
    // Terminating a terminated session is a no-op that still answers 200, as ZITADEL does.
    if (session.terminatedAt === undefined) this.terminateSession(session.id);
    res.json({
      details: { sequence: '2', changeDate: protoTime(new Date()), resourceOwner: 'instance-1' },
    });
  }

  #users(req: Request, res: Response): void {
    const body = (req.body ?? {}) as { queries?: { loginNameQuery?: { loginName?: string } }[] };
    const loginName = body.queries?.find((q) => q.loginNameQuery !== undefined)?.loginNameQuery?.loginName;
    const users = new Map<string, string>();
    for (const session of this.sessions.values()) users.set(session.loginName, session.userId);
    const matches =
      loginName === undefined ? [...users.values()] : users.has(loginName) ? [users.get(loginName)!] : [];
    res.json({
      details: { totalResult: String(matches.length) },
      result: matches.map((userId) => ({ userId })),
    });
  }

  #setMetadata(req: Request, res: Response): void {
    const body = (req.body ?? {}) as { metadata?: { key?: string; value?: string }[] };
    for (const entry of body.metadata ?? []) {
      if (entry.key === undefined || entry.value === undefined) continue;
      this.setUserMetadata(
        String(req.params.id),
        entry.key,
        Buffer.from(entry.value, 'base64').toString('utf8'),
      );
    }
    res.json({ setDate: new Date().toISOString() });
  }

  #searchMetadata(req: Request, res: Response): void {
    const body = (req.body ?? {}) as { filters?: { keyFilter?: { key?: string } }[] };
    // Like ZITADEL's gateway, a misspelt filter is dropped: every key comes back.
    const key = body.filters?.find((f) => f.keyFilter !== undefined)?.keyFilter?.key;
    const values = this.userMetadata.get(String(req.params.id)) ?? new Map<string, string>();
    const rows = [...values]
      .filter(([name]) => key === undefined || name === key)
      .map(([name, value]) => ({ key: name, value: Buffer.from(value, 'utf8').toString('base64') }));
    res.json({
      pagination: { totalResult: String(rows.length) },
      ...(rows.length === 0 ? {} : { metadata: rows }),
    });
  }

  #authMethods(req: Request, res: Response): void {
    const types = this.authMethods.get(String(req.params.id)) ?? ['AUTHENTICATION_METHOD_TYPE_PASSWORD'];
    res.json({ details: { totalResult: String(types.length) }, authMethodTypes: types });
  }

  #loginSettings(req: Request, res: Response): void {
    const orgId = typeof req.query['ctx.orgId'] === 'string' ? req.query['ctx.orgId'] : '';
    const policy = this.loginPolicies.get(orgId) ?? { forceMfa: false, forceMfaLocalOnly: false };
    // protojson omits false booleans.
    res.json({
      settings: {
        allowUsernamePassword: true,
        ...(policy.forceMfa ? { forceMfa: true } : {}),
        ...(policy.forceMfaLocalOnly ? { forceMfaLocalOnly: true } : {}),
      },
    });
  }
}

export function fakeRequestId(): string {
  return randomUUID();
}
