import { z } from 'zod';

/**
 * What a webhook tells us, reduced to what the limiter needs. Parsing never trusts the envelope's `userID`:
 * ZITADEL fills it with the *caller* (for Login V2, the login UI's service account), not the user logging in.
 */
export type SessionWebhook =
  | {
      readonly kind: 'ignored';
      readonly reason: 'other_method' | 'other_event';
      readonly name: string;
      readonly instanceId: string | undefined;
    }
  | SessionTrigger;

/** A webhook about one of the session calls we enforce on. */
export interface SessionTrigger {
  readonly kind: 'session';
  /** The ZITADEL instance that sent it (`instanceID`), checked against ZITADEL_INSTANCE_ID when that is set. */
  readonly instanceId: string | undefined;
  /** Response conditions run after ZITADEL accepted the call; request conditions run before it checked anything. */
  readonly source: 'response' | 'request' | 'event';
  /** `/zitadel.session.v2.SessionService/CreateSession`, or the event type for event executions. */
  readonly name: string;
  /** Absent only for a CreateSession request condition: the session does not exist yet. */
  readonly sessionId: string | undefined;
  /** The user named by the request's user check, if any. */
  readonly userHint: UserHint | undefined;
  /** Whether the request itself carried a check that authenticates (password, passkey, IdP, OTP, ...). */
  readonly requestHasAuthenticationCheck: boolean;
  /** When ZITADEL says the session was created (CreateSession response details, or the event time). */
  readonly createdAt: string | undefined;
  /** The lifetime the request asked for (protojson duration, e.g. "86400s"). */
  readonly requestedLifetime: string | undefined;
  /**
   * Login V2's browser fingerprint from a CreateSession request (`userAgent.fingerprintId`). Only a hint: the
   * session's own row (GetSession) is authoritative whenever there is one.
   */
  readonly fingerprintId?: string | undefined;
}

export type UserHint = { readonly userId: string } | { readonly loginName: string };

/**
 * The body is not a session webhook. `issues` says which part of the shape was wrong, as `path: expected kind`
 * (e.g. `response.sessionId: expected string`): field names from our schema and kinds only, never a value, so
 * they are safe to log.
 */
export class InvalidPayloadError extends Error {
  readonly code = 'invalid_payload';

  constructor(readonly issues: readonly string[]) {
    super('The body is not a ZITADEL session webhook');
    this.name = 'InvalidPayloadError';
  }
}

// A handful is enough to see what is wrong; a hostile body must not produce a log line of any size.
const MAX_ISSUES = 5;

function pathOf(path: readonly PropertyKey[], prefix: string): string {
  const parts = [prefix, ...path.map((part) => (typeof part === 'number' ? `[${part}]` : String(part)))];
  return (
    parts
      .filter((part) => part !== '')
      .join('.')
      .replace(/\.\[/g, '[') || '(body)'
  );
}

/** zod's issues as `path: expected kind`, built from the issue's code and our schema's constants only. */
function describeIssue(issue: z.core.$ZodIssue, prefix: string): string {
  const where = pathOf(issue.path, prefix);
  switch (issue.code) {
    case 'invalid_type':
      return `${where}: expected ${issue.expected}`;
    case 'too_small':
      return `${where}: expected at least ${String(issue.minimum)}${issue.origin === 'string' ? ' characters' : ''}`;
    case 'too_big':
      return `${where}: expected at most ${String(issue.maximum)}${issue.origin === 'string' ? ' characters' : ''}`;
    default:
      return `${where}: not of the expected form`;
  }
}

function invalid(error: z.ZodError, prefix = ''): InvalidPayloadError {
  return new InvalidPayloadError(
    error.issues.slice(0, MAX_ISSUES).map((issue) => describeIssue(issue, prefix)),
  );
}

const SESSION_SERVICE = '/zitadel.session.v2.SessionService/';
const CREATE_SESSION = `${SESSION_SERVICE}CreateSession`;
const SET_SESSION = `${SESSION_SERVICE}SetSession`;
// v2beta clients (older custom login UIs) call the same logic under another service name.
const SESSION_METHOD = /^\/zitadel\.session\.v2(?:beta)?\.SessionService\/(CreateSession|SetSession)$/;

// Checks named after proto `zitadel.session.v2.Checks`; `user` alone authenticates nothing.
const AUTHENTICATION_CHECKS = [
  'password',
  'webAuthN',
  'idpIntent',
  'totp',
  'otpSms',
  'otpEmail',
  'recoveryCode',
] as const;

/**
 * Session ids: ZITADEL always generates them (`internal/command/session.go` takes `idGenerator.Next()`, a sonyflake
 * written in decimal). We accept ASCII letters, digits, `-` and `_` too — never a `.`, `/`, `%`, space or anything
 * else that could change a URL path such as `/v2/sessions/{id}` (`.` and `..` would have made it `/v2/` and
 * `/v2/sessions/`).
 */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{1,200}$/;

/**
 * User ids: generated ones are decimal like session ids, but ZITADEL lets an admin choose one (AddHumanUser's
 * optional `user_id`: `min_len: 1, max_len: 200` and no pattern, `proto/zitadel/user/v2/user_service.proto`), so a
 * migrated `auth0|5f7c…`, `google-oauth2/1093`, `jose maria`, `josé`, `100%` or `a#b` is a real user id. Every
 * place one enters a URL encodes it (encodeURIComponent), so its characters are never a reason to refuse it. What
 * cannot be a ZITADEL user id at all is refused: empty, over 200 characters (code points, as ZITADEL counts), a
 * string that is not well-formed UTF-16 (a lone surrogate: no UTF-8 text, and encodeURIComponent throws on it), and
 * the two ids that no encoding keeps in one path segment — `.` and `..` (URL parsers resolve them, `%2E` too).
 */
export const MAX_USER_ID_CHARACTERS = 200;
const DOT_SEGMENT = /^\.\.?$/;
const LONE_SURROGATE = /\p{Surrogate}/u;

export function isSessionId(value: string): boolean {
  return SESSION_ID_PATTERN.test(value);
}

export function isUserId(value: string): boolean {
  if (value.length === 0 || value.length > MAX_USER_ID_CHARACTERS * 2) return false;
  if ([...value].length > MAX_USER_ID_CHARACTERS) return false;
  return !DOT_SEGMENT.test(value) && !LONE_SURROGATE.test(value);
}

const id = z.string().refine(isSessionId);
const userId = z.string().refine(isUserId);

const checksSchema = z
  .object({
    user: z
      .object({ userId: userId.optional(), loginName: z.string().min(1).max(400).optional() })
      .optional(),
  })
  .catchall(z.unknown());

const sessionRequestSchema = z.object({
  sessionId: id.optional(),
  checks: checksSchema.optional(),
  lifetime: z.string().max(40).optional(),
  // A malformed user agent is not worth refusing the webhook over: it only loses the fingerprint hint.
  userAgent: z
    .object({ fingerprintId: z.string().min(1).max(200).optional() })
    .optional()
    .catch(undefined),
});

const methodEnvelopeSchema = z.object({
  fullMethod: z.string().min(1).max(300),
  instanceID: z.string().max(200).optional(),
  request: z.unknown().optional(),
  // Its presence alone makes a webhook a response condition (and a SetSession's is not read further), so it must
  // at least be the JSON object ZITADEL always sends: `"response": 0` or `null` is not a response.
  response: z.record(z.string(), z.unknown()).optional(),
});

const createSessionResponseSchema = z.object({
  sessionId: id,
  details: z.object({ changeDate: z.string().optional() }).optional(),
});

const eventEnvelopeSchema = z.object({
  aggregateID: id,
  aggregateType: z.string(),
  instanceID: z.string().max(200).optional(),
  event_type: z.string().min(1).max(200),
  created_at: z.string().optional(),
});

function hasAuthenticationCheck(checks: unknown): boolean {
  if (typeof checks !== 'object' || checks === null) return false;
  const named = checks as Record<string, unknown>;
  return AUTHENTICATION_CHECKS.some((name) => named[name] !== undefined && named[name] !== null);
}

/** The raw request's checks, before any validation: enough to tell a username step. */
function rawChecksOf(request: unknown): unknown {
  return typeof request === 'object' && request !== null && 'checks' in request ? request.checks : undefined;
}

/**
 * A CreateSession that checks no factor (Login V2's username step) changes nothing whatever its fields say, so a
 * field we could not read is never a reason to refuse it: with interruptOnError, that refusal would fail the login.
 */
function usernameStep(
  envelope: z.infer<typeof methodEnvelopeSchema>,
  source: SessionTrigger['source'],
): SessionTrigger {
  const response = createSessionResponseSchema.safeParse(envelope.response);
  return {
    kind: 'session',
    instanceId: envelope.instanceID,
    source,
    name: CREATE_SESSION,
    sessionId: source === 'response' && response.success ? response.data.sessionId : undefined,
    userHint: undefined,
    requestHasAuthenticationCheck: false,
    createdAt: undefined,
    requestedLifetime: undefined,
  };
}

function userHintOf(checks: z.infer<typeof checksSchema> | undefined): UserHint | undefined {
  const user = checks?.user;
  if (user?.userId !== undefined) return { userId: user.userId };
  if (user?.loginName !== undefined) return { loginName: user.loginName };
  return undefined;
}

function parseMethodEnvelope(envelope: z.infer<typeof methodEnvelopeSchema>): SessionWebhook {
  const match = SESSION_METHOD.exec(envelope.fullMethod);
  const instanceId = envelope.instanceID;
  if (match === null)
    return { kind: 'ignored', reason: 'other_method', name: envelope.fullMethod, instanceId };
  const isCreate = match[1] === 'CreateSession';
  // ContextInfoResponse carries the response; ContextInfoRequest has none (the call has not run yet).
  const source = envelope.response === undefined ? 'request' : 'response';
  const isUsernameStep = isCreate && !hasAuthenticationCheck(rawChecksOf(envelope.request));
  const request = sessionRequestSchema.safeParse(envelope.request ?? {});
  if (!request.success) {
    if (isUsernameStep) return usernameStep(envelope, source);
    throw invalid(request.error, 'request');
  }

  let sessionId = request.data.sessionId;
  let createdAt: string | undefined;
  if (isCreate) {
    sessionId = undefined;
    if (source === 'response') {
      const response = createSessionResponseSchema.safeParse(envelope.response);
      if (!response.success) {
        if (isUsernameStep) return usernameStep(envelope, source);
        throw invalid(response.error, 'response');
      }
      sessionId = response.data.sessionId;
      createdAt = response.data.details?.changeDate;
    }
  } else if (sessionId === undefined) {
    throw new InvalidPayloadError(['request.sessionId: expected string (SetSession names its session)']);
  }

  return {
    kind: 'session',
    instanceId,
    source,
    name: isCreate ? CREATE_SESSION : SET_SESSION,
    sessionId,
    userHint: isCreate ? userHintOf(request.data.checks) : undefined,
    requestHasAuthenticationCheck: hasAuthenticationCheck(request.data.checks),
    createdAt,
    requestedLifetime: isCreate ? request.data.lifetime : undefined,
    fingerprintId: isCreate ? request.data.userAgent?.fingerprintId : undefined,
  };
}

function parseEventEnvelope(envelope: z.infer<typeof eventEnvelopeSchema>): SessionWebhook {
  const isSessionCheck =
    envelope.aggregateType === 'session' && /^session\.[A-Za-z.]+\.checked$/.test(envelope.event_type);
  const instanceId = envelope.instanceID;
  if (!isSessionCheck)
    return { kind: 'ignored', reason: 'other_event', name: envelope.event_type, instanceId };
  return {
    kind: 'session',
    instanceId,
    source: 'event',
    name: envelope.event_type,
    sessionId: envelope.aggregateID,
    userHint: undefined,
    // The event says which check passed; only `session.user.checked` proves nothing.
    requestHasAuthenticationCheck: envelope.event_type !== 'session.user.checked',
    createdAt: undefined,
    requestedLifetime: undefined,
  };
}

/**
 * Interprets a parsed JSON body as one of the three shapes ZITADEL posts for sessions: response or request
 * conditions on CreateSession / SetSession, and `session.*.checked` event executions. A well-formed envelope for
 * anything else is "ignored"; a body that is none of these throws InvalidPayloadError.
 */
export function parseSessionWebhook(body: unknown): SessionWebhook {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new InvalidPayloadError(['(body): expected object']);
  if ('fullMethod' in body) {
    const envelope = methodEnvelopeSchema.safeParse(body);
    if (!envelope.success) throw invalid(envelope.error);
    return parseMethodEnvelope(envelope.data);
  }
  if ('event_type' in body) {
    const envelope = eventEnvelopeSchema.safeParse(body);
    if (!envelope.success) throw invalid(envelope.error);
    return parseEventEnvelope(envelope.data);
  }
  throw new InvalidPayloadError([
    '(body): expected fullMethod (a method execution) or event_type (an event)',
  ]);
}
