/**
 * How a call to ZITADEL ended, as the client saw it. `instance_not_found`: ZITADEL answered, but no instance has
 * INSTANCE_URL's host among its domains (its ExternalDomain, or a custom domain). What a failure means for an
 * answer, a log or a metric is failureKind.ts's to say. `rate_limited`: the call was not sent, because its turn
 * (ZITADEL_MAX_RPS, a 429's pause) came after its deadline.
 */
export type ZitadelFailureKind =
  'timeout' | 'network' | 'http' | 'invalid_response' | 'deadline' | 'instance_not_found' | 'rate_limited';

/**
 * The one error type the ZITADEL client throws. It never carries a request or response body, a header or a token:
 * only the operation, the status and ZITADEL's gRPC code.
 */
export class ZitadelError extends Error {
  readonly operation: string;
  readonly kind: ZitadelFailureKind;
  readonly status: number | undefined;
  readonly grpcCode: number | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  /** For network failures: the system's error code (ENOTFOUND, ECONNREFUSED, CERT_HAS_EXPIRED, …), when known. */
  readonly networkCode: string | undefined;

  constructor(init: {
    operation: string;
    kind: ZitadelFailureKind;
    status?: number | undefined;
    grpcCode?: number | undefined;
    retryable: boolean;
    retryAfterMs?: number | undefined;
    networkCode?: string | undefined;
  }) {
    const detail =
      init.status !== undefined
        ? `HTTP ${init.status}`
        : init.networkCode === undefined
          ? init.kind
          : `${init.kind} (${init.networkCode})`;
    super(`ZITADEL ${init.operation} failed: ${detail}`);
    this.name = 'ZitadelError';
    this.operation = init.operation;
    this.kind = init.kind;
    this.status = init.status;
    this.grpcCode = init.grpcCode;
    this.retryable = init.retryable;
    this.retryAfterMs = init.retryAfterMs;
    this.networkCode = init.networkCode;
  }
}

// A code is an identifier such as ECONNREFUSED; anything else (a message, a value) is never passed on.
const ERROR_CODE = /^[A-Z][A-Z0-9_]{1,47}$/;
// What an aborted request reports: our own timeout or deadline, already told apart by the caller.
const ABORT_CODES = new Set(['ERR_CANCELED', 'ECONNABORTED', 'ABORT_ERR']);

function ownCodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' && ERROR_CODE.test(error.code) ? error.code : undefined;
}

/**
 * The system error code of a failed connection (ENOTFOUND, ECONNREFUSED, ETIMEDOUT, ECONNRESET, or a TLS code
 * such as CERT_HAS_EXPIRED), from the error or its cause. Only the code: the error itself may hold our request.
 */
export function networkCodeOf(error: unknown): string | undefined {
  const cause = typeof error === 'object' && error !== null && 'cause' in error ? error.cause : undefined;
  return [ownCodeOf(error), ownCodeOf(cause)].find((code) => code !== undefined && !ABORT_CODES.has(code));
}

/**
 * Network failures that retrying within one deadline cannot heal: a host name that does not exist (ENOTFOUND; a
 * temporary DNS failure is EAI_AGAIN and is retried), and TLS that refuses the certificate or the protocol (a
 * wrong INSTANCE_URL, an expired or self-signed certificate, https to a plain-http port). A refused or reset
 * connection is retried: a restarting ZITADEL comes back within seconds.
 */
export function isPermanentNetworkCode(code: string | undefined): boolean {
  if (code === undefined) return false;
  return (
    code === 'ENOTFOUND' ||
    code === 'EPROTO' ||
    code.includes('CERT') ||
    code.startsWith('UNABLE_TO_') ||
    code.startsWith('ERR_TLS_') ||
    code.startsWith('ERR_SSL_') ||
    code === 'HOSTNAME_MISMATCH'
  );
}

/** A failed connection as a ZitadelError: the kind our abort signals say, the code, and whether to try again. */
export function networkFailure(
  operation: string,
  error: unknown,
  aborted: { readonly deadline: boolean; readonly attempt: boolean },
): ZitadelError {
  if (aborted.deadline) return new ZitadelError({ operation, kind: 'deadline', retryable: false });
  if (aborted.attempt) return new ZitadelError({ operation, kind: 'timeout', retryable: true });
  const networkCode = networkCodeOf(error);
  return new ZitadelError({
    operation,
    kind: 'network',
    retryable: !isPermanentNetworkCode(networkCode),
    networkCode,
  });
}

/**
 * Whether an error answer's body is one ZITADEL writes: the API's `{"code": <gRPC code>, "message"}` or the OAuth
 * endpoints' `{"error": "invalid_grant", …}`. A web page or a proxy's text is neither.
 */
export function isZitadelErrorBody(data: unknown): boolean {
  if (typeof data !== 'object' || data === null) return false;
  return (
    ('code' in data && typeof data.code === 'number') || ('error' in data && typeof data.error === 'string')
  );
}

/**
 * ZITADEL answers an unknown path of its API in its own JSON; a 404 or 405 with anything else (the console's
 * HTML, a proxy's page) means INSTANCE_URL does not point at the API. That is a wrong URL, not a wrong credential
 * or role, and asking again cannot fix it.
 */
export function isWrongUrlAnswer(status: number, data: unknown): boolean {
  return (status === 404 || status === 405) && !isZitadelErrorBody(data);
}

// ZITADEL's instance interceptors (internal/api/grpc/server/middleware/instance_interceptor.go, and the HTTP one in
// internal/api/http/middleware) answer a host that is no instance's domain with 404 and "unable to set instance
// using origin … (ExternalDomain is …): Instance not found" (QUERY-n0wng, Errors.IAM.NotFound): in the API's JSON
// `message`, or as plain text on the OAuth and well-known endpoints.
const INSTANCE_NOT_FOUND = /unable to set instance|instance not found|QUERY-n0wng/i;

/** Whether an answer is ZITADEL's "Instance not found": INSTANCE_URL's host is not one of the instance's domains. */
export function isInstanceNotFoundAnswer(status: number, data: unknown): boolean {
  if (status !== 404) return false;
  if (typeof data === 'string') return INSTANCE_NOT_FOUND.test(data);
  if (typeof data !== 'object' || data === null || !('message' in data)) return false;
  return typeof data.message === 'string' && INSTANCE_NOT_FOUND.test(data.message);
}

// RFC 9110's preferred HTTP-date form, e.g. "Sun, 06 Nov 1994 08:49:37 GMT". V8's Date.parse alone would also
// read "1.5" or "-5" as dates in 2001, turning a malformed header into "retry at once".
const IMF_FIXDATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$/;

/** `Retry-After` as whole seconds or an HTTP date, in milliseconds from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: unknown, nowMs: number): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^[0-9]{1,9}$/.test(text)) return Number(text) * 1000;
  if (!IMF_FIXDATE.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isFinite(date) ? Math.max(0, date - nowMs) : undefined;
}

/** What a log line may say about a failed ZITADEL call: the operation, the kind of failure and its codes. */
export function zitadelFailureFields(error: ZitadelError): Record<string, string | number | undefined> {
  return {
    operation: error.operation,
    failure: error.kind,
    code: error.networkCode,
    status: error.status,
    grpcCode: error.grpcCode,
  };
}
