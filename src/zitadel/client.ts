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

export type ZitadelOperation = 'list_sessions' | 'get_session' | 'delete_session' | 'find_user' | 'fetch_token' | 'check_access' | ZitadelOperatorOperation;

/** The operator CLI's calls: the instance-wide session listing (`sweep`) and the Action Service (`setup`). */
export type ZitadelOperatorOperation =
  | 'list_all_sessions'
  | 'list_targets'
  | 'create_target'
  | 'update_target'
  | 'get_target'
  | 'list_executions'
  | 'set_execution';

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

/** Which Action Service an instance offers: `v2` (ZITADEL v4+) or `v2beta` (v3): the same messages under another prefix. */
export type ActionsApiVersion = 'v2' | 'v2beta';

/** The target `setup` registers. Never `restCall`: ZITADEL would replace the login's response with our answer. */
export interface ActionTargetSpec {
  readonly name: string;
  readonly endpoint: string;
  /** A protojson duration such as "10s". */
  readonly timeout: string;
  readonly type: { readonly restWebhook: { readonly interruptOnError: boolean } } | { readonly restAsync: Record<string, never> };
}

// `Target` of proto/zitadel/action/v2/target.proto (v2beta's is the same); only the fields we read.
const targetBehaviourSchema = z.object({ interruptOnError: z.boolean().optional() });
const actionTargetSchema = z.object({
  id: z.string().min(1),
  name: z.string().optional(),
  endpoint: z.string().optional(),
  timeout: z.string().optional(),
  restWebhook: targetBehaviourSchema.optional(),
  restCall: targetBehaviourSchema.optional(),
  restAsync: z.object({}).optional(),
  signingKey: z.string().optional(),
});
export type ActionTarget = z.infer<typeof actionTargetSchema>;
// zitadel.filter.v2.PaginationResponse: total_result is a uint64, a string in protojson.
const actionsPaginationSchema = z.object({ totalResult: z.union([z.string(), z.number()]).optional() }).optional();
const listTargetsResponseSchema = z.object({ pagination: actionsPaginationSchema, targets: z.array(actionTargetSchema).optional() });
const createTargetResponseSchema = z.object({ id: z.string().min(1), signingKey: z.string().optional() });
const getTargetResponseSchema = z.object({ target: actionTargetSchema });
const listExecutionsResponseSchema = z.object({
  pagination: actionsPaginationSchema,
  executions: z
    .array(
      z.object({
        condition: z.object({ response: z.object({ method: z.string().optional() }).optional() }).optional(),
        targets: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

/**
 * Calls only the operator CLI makes: the instance-wide session listing (`sweep`) and the Action Service (`setup`,
 * which needs an IAM_OWNER credential). Same transport, retries, deadlines and typed errors as the session calls.
 */
export interface ZitadelOperatorApi {
  /** One page of every session of the instance (no user filter), oldest first by creation date. */
  listSessionsPage(args: { offset: number; limit: number }, deadline: Deadline): Promise<{ sessions: SessionRow[]; total: number | undefined }>;
  /** Targets named exactly `name`, checked on every row (ZITADEL silently drops a misspelt filter). */
  listTargetsByName(args: { api: ActionsApiVersion; name: string }, deadline: Deadline): Promise<ActionTarget[]>;
  /** Creates the target; ZITADEL answers with its id and signing key. */
  createTarget(args: { api: ActionsApiVersion; target: ActionTargetSpec }, deadline: Deadline): Promise<{ id: string; signingKey: string | undefined }>;
  /** Sets name, endpoint, timeout and type of an existing target. The signing key stays as it is. */
  updateTarget(args: { api: ActionsApiVersion; id: string; target: ActionTargetSpec }, deadline: Deadline): Promise<void>;
  /** The target with its current signing key; undefined when there is none with this id. */
  getTarget(args: { api: ActionsApiVersion; id: string }, deadline: Deadline): Promise<ActionTarget | undefined>;
  /** The targets of the response execution on `method`, in order; empty when there is none. */
  listResponseExecutionTargets(args: { api: ActionsApiVersion; method: string }, deadline: Deadline): Promise<string[]>;
  /** Sets (replaces) the ordered targets of the response execution on `method`. */
  setResponseExecution(args: { api: ActionsApiVersion; method: string; targetIds: readonly string[] }, deadline: Deadline): Promise<void>;
}

/** Everything `createZitadelClient` offers. The service only ever uses its ZitadelSessionApi part. */
export type ZitadelClient = ZitadelSessionApi & ZitadelOperatorApi;

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
export function createZitadelClient(options: ZitadelClientOptions): ZitadelClient {
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

    async listSessionsPage({ offset, limit }, deadline) {
      const page = await call(
        'list_all_sessions',
        {
          method: 'POST',
          url: '/v2/sessions/search',
          // Oldest first: sessions created while a sweep pages land on later pages instead of shifting earlier ones.
          data: { query: { offset: String(offset), limit, asc: true }, sortingColumn: 'SESSION_FIELD_NAME_CREATION_DATE' },
        },
        listSessionsResponseSchema,
        deadline,
      );
      const total = Number(page.details?.totalResult);
      return { sessions: page.sessions ?? [], total: Number.isFinite(total) ? total : undefined };
    },

    async listTargetsByName({ api, name }, deadline) {
      const found: ActionTarget[] = [];
      for (let offset = 0, pages = 0; pages < ACTIONS_MAX_PAGES; pages++) {
        // ListTargets: proto/zitadel/action/v2/action_service.proto (v2beta: same body under /v2beta).
        const page = await call(
          'list_targets',
          {
            method: 'POST',
            url: `/${api}/actions/targets/search`,
            data: {
              pagination: { offset: String(offset), limit: ACTIONS_PAGE_SIZE, asc: true },
              // The enum's value; the proto's documented default "TARGET_FIELD_NAME_CREATION_DATE" is not one.
              sortingColumn: 'TARGET_FIELD_NAME_CREATED_DATE',
              filters: [{ targetNameFilter: { targetName: name, method: 'TEXT_FILTER_METHOD_EQUALS' } }],
            },
          },
          listTargetsResponseSchema,
          deadline,
        );
        const targets = page.targets ?? [];
        found.push(...targets.filter((target) => target.name === name));
        offset += targets.length;
        const total = Number(page.pagination?.totalResult);
        if (targets.length < ACTIONS_PAGE_SIZE || (Number.isFinite(total) && offset >= total)) break;
      }
      return found;
    },

    async createTarget({ api, target }, deadline) {
      const answer = await call(
        'create_target',
        { method: 'POST', url: `/${api}/actions/targets`, data: targetBody(target) },
        createTargetResponseSchema,
        deadline,
      );
      return { id: answer.id, signingKey: answer.signingKey };
    },

    async updateTarget({ api, id, target }, deadline) {
      // UpdateTarget is a POST on the target's path; leaving out expirationSigningKey keeps the key.
      await call(
        'update_target',
        { method: 'POST', url: `/${api}/actions/targets/${encodeURIComponent(id)}`, data: targetBody(target) },
        z.unknown(),
        deadline,
      );
    },

    async getTarget({ api, id }, deadline) {
      try {
        const answer = await call('get_target', { method: 'GET', url: `/${api}/actions/targets/${encodeURIComponent(id)}` }, getTargetResponseSchema, deadline);
        return answer.target;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    async listResponseExecutionTargets({ api, method }, deadline) {
      const targets: string[] = [];
      for (let offset = 0, pages = 0; pages < ACTIONS_MAX_PAGES; pages++) {
        const page = await call(
          'list_executions',
          {
            method: 'POST',
            url: `/${api}/actions/executions/search`,
            data: {
              pagination: { offset: String(offset), limit: ACTIONS_PAGE_SIZE, asc: true },
              filters: [{ inConditionsFilter: { conditions: [{ response: { method } }] } }],
            },
          },
          listExecutionsResponseSchema,
          deadline,
        );
        const executions = page.executions ?? [];
        for (const execution of executions) {
          if (execution.condition?.response?.method === method) targets.push(...(execution.targets ?? []));
        }
        offset += executions.length;
        const total = Number(page.pagination?.totalResult);
        if (executions.length < ACTIONS_PAGE_SIZE || (Number.isFinite(total) && offset >= total)) break;
      }
      return targets;
    },

    async setResponseExecution({ api, method, targetIds }, deadline) {
      await call(
        'set_execution',
        { method: 'PUT', url: `/${api}/actions/executions`, data: { condition: { response: { method } }, targets: [...targetIds] } },
        z.unknown(),
        deadline,
      );
    },
  };
}

// Action Service listings: targets and executions are few; the page cap only ends a runaway listing.
const ACTIONS_PAGE_SIZE = 100;
const ACTIONS_MAX_PAGES = 100;

/** CreateTarget/UpdateTarget body, in the proto's JSON names. */
function targetBody(target: ActionTargetSpec) {
  return { name: target.name, endpoint: target.endpoint, timeout: target.timeout, ...target.type };
}

// Not a ZITADEL id (those are decimal numbers), so the access check's search always comes back empty.
const ACCESS_CHECK_USER_ID = 'zitadel-session-limiter-access-check';
