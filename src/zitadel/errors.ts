/** What went wrong talking to ZITADEL, in terms the HTTP layer and the logs can act on. */
export type ZitadelFailureKind = 'timeout' | 'network' | 'http' | 'invalid_response' | 'deadline';

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

  constructor(init: {
    operation: string;
    kind: ZitadelFailureKind;
    status?: number | undefined;
    grpcCode?: number | undefined;
    retryable: boolean;
    retryAfterMs?: number | undefined;
  }) {
    const detail = init.status === undefined ? init.kind : `HTTP ${init.status}`;
    super(`ZITADEL ${init.operation} failed: ${detail}`);
    this.name = 'ZitadelError';
    this.operation = init.operation;
    this.kind = init.kind;
    this.status = init.status;
    this.grpcCode = init.grpcCode;
    this.retryable = init.retryable;
    this.retryAfterMs = init.retryAfterMs;
  }
}

const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
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

/**
 * ZITADEL could not be reached in time (retry later) versus refused us (fix the credential or its roles) versus
 * answered something that is not ZITADEL's (check INSTANCE_URL). Stable codes for answers, logs and metrics.
 */
export function zitadelErrorCode(
  error: ZitadelError,
): 'zitadel_rejected' | 'zitadel_invalid_response' | 'zitadel_unavailable' {
  if (
    error.kind === 'http' &&
    error.status !== undefined &&
    error.status < 500 &&
    error.status !== 429 &&
    error.status !== 408
  ) {
    return 'zitadel_rejected';
  }
  if (error.kind === 'invalid_response') return 'zitadel_invalid_response';
  return 'zitadel_unavailable';
}
