import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance, type AxiosRequestConfig, type CreateAxiosDefaults } from 'axios';
import type { z } from 'zod';
import type { AccessTokenSource } from './accessToken.js';
import type { Deadline } from './deadline.js';
import {
  ZitadelError,
  isInstanceNotFoundAnswer,
  isWrongUrlAnswer,
  networkFailure,
  parseRetryAfter,
} from './errors.js';
import { failureKindOf, isRetryableStatus } from './failureKind.js';
import { CallPool } from './callPool.js';
import { RequestBudget } from './requestBudget.js';
import { DEFAULT_RETRY_POLICY, withRetries, type RetryPolicy } from './retry.js';

/**
 * A call's name in metrics, logs and errors (`list_sessions`, `create_target`). The transport does not enumerate
 * them: each API module declares its own names and narrows its ZitadelCall to them.
 */
export type ZitadelOperation = string;

/** Hooks for metrics and logs; every argument is safe to record (no ids, no secrets). */
export interface ZitadelCallObserver {
  callFinished?(operation: ZitadelOperation, outcome: string, durationMs: number): void;
  retrying?(operation: ZitadelOperation, reason: string, delayMs: number): void;
  /** ZITADEL answered 429 with Retry-After: every call of the process waits `pauseMs` before it goes. */
  rateLimitPaused?(operation: ZitadelOperation, pauseMs: number): void;
  /** A call could not have its turn before its deadline (ZITADEL_MAX_RPS, or a 429 pause): refused at once. */
  rateBudgetExhausted?(operation: ZitadelOperation): void;
}

export interface ZitadelClientOptions {
  readonly instanceUrl: string;
  readonly tokens: AccessTokenSource;
  /** The most one HTTP attempt may take, counted from when it has a place in the pool. */
  readonly callTimeoutMs: number;
  /** ZITADEL calls in flight at once (default 64); the rest wait for a place within their deadline. */
  readonly maxConcurrency?: number;
  /**
   * Requests per second for every call of this transport together (ZITADEL_MAX_RPS); undefined: no budget. A 429
   * with Retry-After pauses all of them either way.
   */
  readonly maxRequestsPerSecond?: number | undefined;
  readonly retryPolicy?: RetryPolicy;
  readonly observer?: ZitadelCallObserver;
  readonly now?: () => number;
}

/**
 * One authenticated call to ZITADEL, retried within the deadline, its answer validated against `schema`. Throws
 * only ZitadelError, which never carries a body, a header or a token.
 */
export type ZitadelCall<Operation extends ZitadelOperation = ZitadelOperation> = <T>(
  operation: Operation,
  request: AxiosRequestConfig,
  schema: z.ZodType<T>,
  deadline: Deadline,
) => Promise<T>;

const DEFAULT_MAX_CONCURRENCY = 64;

function grpcCodeOf(data: unknown): number | undefined {
  if (typeof data === 'object' && data !== null && 'code' in data && typeof data.code === 'number')
    return data.code;
  return undefined;
}

/** ZITADEL's own "not found" (a 404 in its JSON); a 404 page from elsewhere is a wrong INSTANCE_URL instead. */
export const isNotFound = (error: unknown): boolean => failureKindOf(error) === 'not_found';

/**
 * The axios client's settings for ZITADEL; exported so that `npm run bench:transport` measures exactly these, with
 * only the adapter swapped. As many sockets as the pool has places: a call that holds a place never waits for a
 * socket as well.
 */
export function httpClientOptions(instanceUrl: string, maxSockets: number): CreateAxiosDefaults {
  return {
    baseURL: instanceUrl,
    httpAgent: new http.Agent({ keepAlive: true, maxSockets }),
    httpsAgent: new https.Agent({ keepAlive: true, maxSockets }),
    // Every status is a value we inspect ourselves; a redirect would turn our DELETE into a GET elsewhere.
    validateStatus: () => true,
    maxRedirects: 0,
    proxy: false,
    responseType: 'json',
    maxContentLength: 64 * 1024 * 1024,
    headers: { Accept: 'application/json', 'User-Agent': 'zitadel-session-limiter' },
  };
}

/** The HTTP transport every ZITADEL API module shares: base URL, credentials, timeouts, retries, keep-alive. */
export function createZitadelTransport(options: ZitadelClientOptions): ZitadelCall {
  const now = options.now ?? Date.now;
  const policy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
  const maxConcurrency = options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY;
  const pool = new CallPool(maxConcurrency);
  const budget = new RequestBudget({ ratePerSecond: options.maxRequestsPerSecond, now });
  const httpClient: AxiosInstance = axios.create(httpClientOptions(options.instanceUrl, maxConcurrency));

  async function attemptOnce(
    operation: ZitadelOperation,
    request: AxiosRequestConfig,
    deadline: Deadline,
    tokenWasRefreshed: { value: boolean },
  ): Promise<unknown> {
    if (deadline.atMs <= now() || deadline.signal.aborted)
      throw new ZitadelError({ operation, kind: 'deadline', retryable: false });
    // The turn first, then a place: a call waiting for its turn holds no place another could use.
    const turn = await budget.take(deadline).catch(() => {
      throw new ZitadelError({ operation, kind: 'deadline', retryable: false });
    });
    if (turn === 'exhausted') {
      options.observer?.rateBudgetExhausted?.(operation);
      throw new ZitadelError({ operation, kind: 'rate_limited', retryable: false });
    }
    const release = await pool.acquire(deadline.signal).catch(() => {
      options.observer?.callFinished?.(operation, 'deadline', 0);
      throw new ZitadelError({ operation, kind: 'deadline', retryable: false });
    });
    try {
      return await attemptWithPlace(operation, request, deadline, tokenWasRefreshed);
    } finally {
      release();
    }
  }

  async function attemptWithPlace(
    operation: ZitadelOperation,
    request: AxiosRequestConfig,
    deadline: Deadline,
    tokenWasRefreshed: { value: boolean },
  ): Promise<unknown> {
    const remainingMs = deadline.atMs - now();
    if (remainingMs <= 0) throw new ZitadelError({ operation, kind: 'deadline', retryable: false });
    const attemptSignal = AbortSignal.any([
      deadline.signal,
      AbortSignal.timeout(Math.min(options.callTimeoutMs, remainingMs)),
    ]);
    const started = now();
    const token = await options.tokens.getAccessToken(attemptSignal);
    let response;
    try {
      response = await httpClient.request({
        ...request,
        signal: attemptSignal,
        headers: { Authorization: `Bearer ${token}` },
      });
    } catch (error) {
      // The axios error holds our request config, Authorization header included: only its code goes further.
      const failure = networkFailure(operation, error, {
        deadline: deadline.signal.aborted,
        attempt: attemptSignal.aborted,
      });
      options.observer?.callFinished?.(operation, failure.kind, now() - started);
      throw failure;
    }
    options.observer?.callFinished?.(operation, String(response.status), now() - started);
    if (response.status >= 200 && response.status < 300) return response.data;
    if (response.status === 401 && !tokenWasRefreshed.value && options.tokens.invalidate(token)) {
      tokenWasRefreshed.value = true;
      throw new ZitadelError({ operation, kind: 'http', status: 401, retryable: true, retryAfterMs: 0 });
    }
    if (isInstanceNotFoundAnswer(response.status, response.data))
      throw new ZitadelError({ operation, kind: 'instance_not_found', status: 404, retryable: false });
    if (isWrongUrlAnswer(response.status, response.data))
      throw new ZitadelError({
        operation,
        kind: 'invalid_response',
        status: response.status,
        retryable: false,
      });
    const retryAfterMs = parseRetryAfter(response.headers['retry-after'], now());
    // The limit is ZITADEL's per client (per IP on ZITADEL Cloud), not per call: every call of the process waits.
    if (response.status === 429 && retryAfterMs !== undefined && retryAfterMs > 0) {
      budget.pauseUntil(now() + retryAfterMs);
      options.observer?.rateLimitPaused?.(operation, retryAfterMs);
    }
    throw new ZitadelError({
      operation,
      kind: 'http',
      status: response.status,
      grpcCode: grpcCodeOf(response.data),
      retryable: isRetryableStatus(response.status),
      retryAfterMs,
    });
  }

  return async (operation, request, schema, deadline) => {
    const tokenWasRefreshed = { value: false };
    const data = await withRetries(
      policy,
      { signal: deadline.signal, deadlineAtMs: deadline.atMs, now },
      () => attemptOnce(operation, request, deadline, tokenWasRefreshed),
      (error, delayMs) =>
        options.observer?.retrying?.(
          operation,
          error.status === undefined ? error.kind : String(error.status),
          delayMs,
        ),
    );
    const parsed = schema.safeParse(data);
    if (!parsed.success) throw new ZitadelError({ operation, kind: 'invalid_response', retryable: false });
    return parsed.data;
  };
}

/**
 * Reads an offset-paged ZITADEL listing to its end: stops at a short page, at the reported total, after `maxPages`
 * (a runaway listing, such as one whose filter ZITADEL dropped, must end), or when `shouldContinue` says no before
 * the next page. Use `readPages` to learn whether it got to the end.
 */
export async function readAllPages<T>(
  fetchPage: (
    offset: number,
  ) => Promise<{ readonly items: readonly T[]; readonly total: string | number | undefined }>,
  pageSize: number,
  maxPages: number,
): Promise<T[]> {
  return (await readPages(fetchPage, pageSize, maxPages)).items;
}

/** What `readPages` read, whether that was the whole listing, and the total ZITADEL reported. */
export interface PagesRead<T> {
  readonly items: T[];
  readonly complete: boolean;
  readonly total: number | undefined;
}

export async function readPages<T>(
  fetchPage: (
    offset: number,
  ) => Promise<{ readonly items: readonly T[]; readonly total: string | number | undefined }>,
  pageSize: number,
  maxPages: number,
  shouldContinue: () => boolean = () => true,
): Promise<PagesRead<T>> {
  const items: T[] = [];
  const read = await visitPages(fetchPage, pageSize, maxPages, (page) => items.push(...page), shouldContinue);
  return { items, ...read };
}

/**
 * readPages without keeping the rows: each page goes to `visit` as it arrives (with the total ZITADEL reported so
 * far), for listings too big to hold at once, such as sweep's census of every session of an instance.
 */
export async function visitPages<T>(
  fetchPage: (
    offset: number,
  ) => Promise<{ readonly items: readonly T[]; readonly total: string | number | undefined }>,
  pageSize: number,
  maxPages: number,
  visit: (items: readonly T[], total: number | undefined) => void,
  shouldContinue: () => boolean = () => true,
): Promise<Omit<PagesRead<T>, 'items'>> {
  let total: number | undefined;
  for (let offset = 0, pages = 0; pages < maxPages; pages++) {
    if (pages > 0 && !shouldContinue()) return { complete: false, total };
    const page = await fetchPage(offset);
    offset += page.items.length;
    const reported = Number(page.total);
    total = Number.isFinite(reported) ? reported : undefined;
    visit(page.items, total);
    if (page.items.length < pageSize || (total !== undefined && offset >= total))
      return { complete: true, total };
  }
  return { complete: false, total };
}
