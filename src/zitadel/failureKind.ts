import { ZitadelError } from './errors.js';

/**
 * What any failure on the way to a decision comes to: the limiter's one error taxonomy. The code answers, /readyz
 * and undecided reasons share comes from one exhaustive switch here (zitadelFailureCode); metrics, retries and the
 * CLI's messages each have their own. A kind added here does not compile until each of those switches decides what
 * it means.
 */
export type FailureKind =
  /** No answer in time: our attempt timed out, or a proxy said so (408). Asking again may help. */
  | 'timeout'
  /** The webhook's deadline passed (or no place in the call pool was free before it). */
  | 'deadline'
  /** No connection: refused, reset, a name that does not resolve, TLS refused. */
  | 'unreachable'
  /** ZITADEL asks us to slow down (429). */
  | 'rate_limited'
  /**
   * Not sent at all: our own request budget (ZITADEL_MAX_RPS, or the pause after a 429) had no turn for the call
   * before its deadline. Answered at once rather than queued past the deadline.
   */
  | 'budget_exhausted'
  /** A failure on ZITADEL's side that may pass: 500, 502, 503, 504. */
  | 'server_error'
  /** A failure on ZITADEL's side that asking again cannot fix: 501 (gRPC Unimplemented) and the other 5xx. */
  | 'server_unsupported'
  /** The credential is unknown, expired or revoked (401; the token endpoint's 400, OAuth's invalid_grant). */
  | 'unauthenticated'
  /** The credential lacks a role (403, PermissionDenied). */
  | 'permission_denied'
  /** ZITADEL's own "not found" (404 in its JSON): a session or user that is gone. */
  | 'not_found'
  /** Any other answer that is not a success (400 validation, 409 conflict, a redirect we do not follow). */
  | 'refused'
  /** ZITADEL knows no instance at INSTANCE_URL's host: it must be the instance's domain (ExternalDomain). */
  | 'instance_not_found'
  /** An answer that is not ZITADEL's API (a web page at a wrong URL) or not the JSON we read. */
  | 'bad_answer'
  /** Not a ZITADEL failure at all: a bug, or an error from something else. */
  | 'internal';

// The token endpoint answers a wrong key, user, client id or secret with 400 (invalid_grant, invalid_client).
const TOKEN_OPERATION = 'fetch_token';

/** What an HTTP status that is not a success says; `operation` tells the token endpoint's 400 apart. */
export function failureKindOfStatus(status: number, operation?: string): FailureKind {
  if (status === 408) return 'timeout';
  if (status === 429) return 'rate_limited';
  if (status === 500 || status === 502 || status === 503 || status === 504) return 'server_error';
  if (status >= 500) return 'server_unsupported';
  if (status === 401 || (status === 400 && operation === TOKEN_OPERATION)) return 'unauthenticated';
  if (status === 403) return 'permission_denied';
  if (status === 404) return 'not_found';
  return 'refused';
}

/** The kind of anything thrown. Reads only the error's kind, status and operation: never a message. */
export function failureKindOf(error: unknown): FailureKind {
  if (!(error instanceof ZitadelError)) return 'internal';
  switch (error.kind) {
    case 'timeout':
      return 'timeout';
    case 'deadline':
      return 'deadline';
    case 'network':
      return 'unreachable';
    case 'instance_not_found':
      return 'instance_not_found';
    case 'rate_limited':
      return 'budget_exhausted';
    case 'invalid_response':
      return 'bad_answer';
    case 'http':
      // Every HTTP failure the client throws has its status; one without is treated as ZITADEL failing.
      return error.status === undefined ? 'server_error' : failureKindOfStatus(error.status, error.operation);
    default:
      return unreachableKind(error.kind);
  }
}

const SUCCESS = /^2[0-9]{2}$/;
const STATUS = /^[1-5][0-9]{2}$/;

/**
 * The kind of one call's outcome as the transport reports it to its observer: the HTTP status, or timeout,
 * network, deadline when there was no answer. Undefined for a success, and for anything unknown (never a failure
 * by guess). The outcome is a status only, so a 404 here is `not_found` even when its body said "Instance not found".
 */
export function failureKindOfCall(operation: string, outcome: string): FailureKind | undefined {
  if (outcome === 'timeout') return 'timeout';
  if (outcome === 'deadline') return 'deadline';
  if (outcome === 'network') return 'unreachable';
  if (!STATUS.test(outcome) || SUCCESS.test(outcome)) return undefined;
  return failureKindOfStatus(Number(outcome), operation);
}

/** What a failure says about ZITADEL, as answers, /readyz and undecided reasons all name it. */
export type ZitadelFailureCode =
  'zitadel_unavailable' | 'zitadel_rejected' | 'zitadel_invalid_response' | 'instance_not_found';

/**
 * The code of a ZITADEL failure, or undefined for `internal` (not ZITADEL's doing: each place names that itself).
 * Our own deadline and request budget count as ZITADEL unavailable here; the webhook's undecided reason, which
 * tells them apart, checks those two kinds first.
 */
export function zitadelFailureCode(kind: FailureKind): ZitadelFailureCode | undefined {
  switch (kind) {
    case 'timeout':
    case 'deadline':
    case 'unreachable':
    case 'rate_limited':
    case 'budget_exhausted':
    case 'server_error':
    case 'server_unsupported':
      return 'zitadel_unavailable';
    case 'unauthenticated':
    case 'permission_denied':
    case 'not_found':
    case 'refused':
      return 'zitadel_rejected';
    case 'bad_answer':
      return 'zitadel_invalid_response';
    case 'instance_not_found':
      return 'instance_not_found';
    case 'internal':
      return undefined;
    default:
      return unreachableKind(kind);
  }
}

/** Whether a failure of this kind may pass if the call is made again, within the same deadline. */
export function isRetryableKind(kind: FailureKind): boolean {
  switch (kind) {
    case 'timeout':
    case 'rate_limited':
    case 'server_error':
      return true;
    case 'deadline':
    case 'budget_exhausted': // Its turn is after the deadline: asking again cannot come sooner.
    case 'unreachable': // Network failures are judged by their code instead (see isPermanentNetworkCode).
    case 'server_unsupported':
    case 'unauthenticated':
    case 'permission_denied':
    case 'not_found':
    case 'refused':
    case 'instance_not_found':
    case 'bad_answer':
    case 'internal':
      return false;
    default:
      return unreachableKind(kind);
  }
}

/** Whether ZITADEL may be asked again after answering this status: 408, 429, 500, 502, 503, 504. */
export const isRetryableStatus = (status: number): boolean => isRetryableKind(failureKindOfStatus(status));

/** ZITADEL refused the call for a missing permission (403, PermissionDenied: e.g. `AUTH-5mWD2`). */
export function isPermissionDenied(error: unknown): error is ZitadelError {
  return failureKindOf(error) === 'permission_denied';
}

/** The `never` check behind every exhaustive switch over kinds: a kind left out does not compile. */
export function unreachableKind(kind: never): never {
  throw new Error(`unknown failure kind: ${String(kind)}`);
}
