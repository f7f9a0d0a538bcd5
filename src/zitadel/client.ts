import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance, type AxiosRequestConfig } from 'axios';
import { z } from 'zod';
import type { AccessTokenSource } from './accessToken.js';
import type { Deadline } from './deadline.js';
import { ZitadelError, isRetryableStatus, parseRetryAfter } from './errors.js';
import { DEFAULT_RETRY_POLICY, withRetries, type RetryPolicy } from './retry.js';
import {
  getSessionResponseSchema,
  listSessionsResponseSchema,
  listUsersResponseSchema,
  type SessionRow,
} from './sessionSchema.js';

export type ZitadelOperation = 'list_sessions' | 'get_session' | 'delete_session' | 'find_user' | 'fetch_token' | 'check_access';

/** Hooks for metrics and logs; every argument is safe to record (no ids, no secrets). */
export interface ZitadelCallObserver {
  callFinished?(operation: ZitadelOperation, outcome: string, durationMs: number): void;
  retrying?(operation: ZitadelOperation, reason: string, delayMs: number): void;
}

/** The Session Service v2 calls the limiter makes, with named arguments and a shared deadline. */
export interface ZitadelSessionApi {
  /** Every session ZITADEL lists for the user, newest first, all pages. Rows may belong to others: check them. */
  listUserSessions(args: { userId: string }, deadline: Deadline): Promise<SessionRow[]>;
  /** The session, read through ZITADEL's up-to-date path; undefined when it does not exist (any more). */
  getSession(args: { sessionId: string }, deadline: Deadline): Promise<SessionRow | undefined>;
  /** Terminates the session. Idempotent: a session that is already gone counts as done. */
  deleteSession(args: { sessionId: string }, deadline: Deadline): Promise<'deleted' | 'already_gone'>;
  /** The id of the user with exactly this login name, if there is one. */
  findUserIdByLoginName(args: { loginName: string }, deadline: Deadline): Promise<string | undefined>;
  /**
   * Proves ZITADEL answers an authenticated call at this URL with this credential (for readiness). Resolves or
   * throws a ZitadelError. It cannot prove session.read: ZITADEL filters unreadable rows out of a search.
   */
  checkAccess(deadline: Deadline): Promise<void>;
}

export interface ZitadelClientOptions {
  readonly instanceUrl: string;
  readonly tokens: AccessTokenSource;
  /** The most one HTTP attempt may take. */
  readonly callTimeoutMs: number;
  readonly retryPolicy?: RetryPolicy;
  readonly observer?: ZitadelCallObserver;
  readonly now?: () => number;
}

// One page of the session search. ZITADEL has no maximum; a bounded page keeps one huge user from becoming one
// huge response, while 1,000 keeps a user with thousands of sessions to a handful of round trips.
export const SESSION_PAGE_SIZE = 1000;
// A runaway listing (a dropped filter on a big instance) must end: no real user holds more.
const MAX_LISTED_SESSIONS = 100_000;

const keepAliveAgents = {
  httpAgent: new http.Agent({ keepAlive: true, maxSockets: 64 }),
  httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

function grpcCodeOf(data: unknown): number | undefined {
  if (typeof data === 'object' && data !== null && 'code' in data && typeof data.code === 'number') return data.code;
  return undefined;
}

/** Builds the ZITADEL client once, at start-up: base URL, credentials, timeouts, retries and keep-alive. */
export function createZitadelClient(options: ZitadelClientOptions): ZitadelSessionApi {
  const now = options.now ?? Date.now;
  const policy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
  const httpClient: AxiosInstance = axios.create({
    baseURL: options.instanceUrl,
    ...keepAliveAgents,
    // Every status is a value we inspect ourselves; a redirect would turn our DELETE into a GET elsewhere.
    validateStatus: () => true,
    maxRedirects: 0,
    proxy: false,
    responseType: 'json',
    maxContentLength: 64 * 1024 * 1024,
    headers: { Accept: 'application/json', 'User-Agent': 'zitadel-session-limiter' },
  });

  async function attemptOnce(operation: ZitadelOperation, request: AxiosRequestConfig, deadline: Deadline, tokenWasRefreshed: { value: boolean }): Promise<unknown> {
    const remainingMs = deadline.atMs - now();
    if (remainingMs <= 0 || deadline.signal.aborted) throw new ZitadelError({ operation, kind: 'deadline', retryable: false });
    const attemptSignal = AbortSignal.any([deadline.signal, AbortSignal.timeout(Math.min(options.callTimeoutMs, remainingMs))]);
    const started = now();
    const token = await options.tokens.getAccessToken(attemptSignal);
    let response;
    try {
      response = await httpClient.request({ ...request, signal: attemptSignal, headers: { Authorization: `Bearer ${token}` } });
    } catch {
      // The axios error holds our request config, Authorization header included: it must go no further than here.
      const kind = deadline.signal.aborted ? 'deadline' : attemptSignal.aborted ? 'timeout' : 'network';
      options.observer?.callFinished?.(operation, kind, now() - started);
      throw new ZitadelError({ operation, kind, retryable: kind !== 'deadline' });
    }
    options.observer?.callFinished?.(operation, String(response.status), now() - started);
    if (response.status >= 200 && response.status < 300) return response.data;
    if (response.status === 401 && !tokenWasRefreshed.value && options.tokens.invalidate(token)) {
      tokenWasRefreshed.value = true;
      throw new ZitadelError({ operation, kind: 'http', status: 401, retryable: true, retryAfterMs: 0 });
    }
    throw new ZitadelError({
      operation,
      kind: 'http',
      status: response.status,
      grpcCode: grpcCodeOf(response.data),
      retryable: isRetryableStatus(response.status),
      retryAfterMs: parseRetryAfter(response.headers['retry-after'], now()),
    });
  }

  async function call<T>(operation: ZitadelOperation, request: AxiosRequestConfig, schema: z.ZodType<T>, deadline: Deadline): Promise<T> {
    const tokenWasRefreshed = { value: false };
    const data = await withRetries(
      policy,
      { signal: deadline.signal, deadlineAtMs: deadline.atMs, now },
      () => attemptOnce(operation, request, deadline, tokenWasRefreshed),
      (error, delayMs) => options.observer?.retrying?.(operation, error.status === undefined ? error.kind : String(error.status), delayMs),
    );
    const parsed = schema.safeParse(data);
    if (!parsed.success) throw new ZitadelError({ operation, kind: 'invalid_response', retryable: false });
    return parsed.data;
  }

  const isNotFound = (error: unknown) => error instanceof ZitadelError && error.status === 404;

  return {
    async listUserSessions({ userId }, deadline) {
      const rows: SessionRow[] = [];
      for (let offset = 0; rows.length < MAX_LISTED_SESSIONS; ) {
        const page = await call(
          'list_sessions',
          {
            method: 'POST',
            url: '/v2/sessions/search',
            data: {
              query: { offset: String(offset), limit: SESSION_PAGE_SIZE, asc: false },
              // Spelt exactly as the proto's JSON names: ZITADEL silently drops a misspelt filter or enum.
              queries: [{ userIdQuery: { id: userId } }],
              sortingColumn: 'SESSION_FIELD_NAME_CREATION_DATE',
            },
          },
          listSessionsResponseSchema,
          deadline,
        );
        const sessions = page.sessions ?? [];
        rows.push(...sessions);
        offset += sessions.length;
        const total = Number(page.details?.totalResult);
        if (sessions.length < SESSION_PAGE_SIZE || (Number.isFinite(total) && offset >= total)) break;
      }
      return rows;
    },

    async getSession({ sessionId }, deadline) {
      try {
        const answer = await call('get_session', { method: 'GET', url: `/v2/sessions/${encodeURIComponent(sessionId)}` }, getSessionResponseSchema, deadline);
        return answer.session;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    async deleteSession({ sessionId }, deadline) {
      try {
        await call('delete_session', { method: 'DELETE', url: `/v2/sessions/${encodeURIComponent(sessionId)}`, data: {} }, z.unknown(), deadline);
        return 'deleted';
      } catch (error) {
        if (isNotFound(error)) return 'already_gone';
        throw error;
      }
    },

    async findUserIdByLoginName({ loginName }, deadline) {
      const answer = await call(
        'find_user',
        {
          method: 'POST',
          url: '/v2/users',
          data: {
            query: { offset: '0', limit: 2, asc: true },
            queries: [{ loginNameQuery: { loginName, method: 'TEXT_QUERY_METHOD_EQUALS' } }],
          },
        },
        listUsersResponseSchema,
        deadline,
      );
      const users = answer.result ?? [];
      // Two matches would mean the filter was dropped: refuse to guess.
      return users.length === 1 ? users[0]?.userId : undefined;
    },

    async checkAccess(deadline) {
      // The cheapest authenticated call the limiter's own role allows: a one-row search for a user id that cannot
      // exist (ZITADEL ids are digits), answered from an index. The schema check catches a URL that is not ZITADEL.
      await call(
        'check_access',
        {
          method: 'POST',
          url: '/v2/sessions/search',
          data: { query: { offset: '0', limit: 1, asc: false }, queries: [{ userIdQuery: { id: ACCESS_CHECK_USER_ID } }] },
        },
        listSessionsResponseSchema,
        deadline,
      );
    },
  };
}

// Not a ZITADEL id (those are decimal numbers), so the access check's search always comes back empty.
const ACCESS_CHECK_USER_ID = 'zitadel-session-limiter-access-check';
