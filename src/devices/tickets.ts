// Refusal tickets: when deny-new refuses a login, the message links to the devices page with a ticket that lets the
// holder see and sign out that user's devices without signing in (they cannot: they are at their limit). The ticket
// is bound to the user and to the refused attempt and carries its own expiry, so nothing needs to be stored.
import type { KeyRing, VerifyFailureReason } from './keyRing.js';

export const TICKET_PURPOSE = 'devices-ticket';

export interface TicketSubject {
  readonly userId: string;
  /** The ZITADEL session id of the refused login. */
  readonly attemptSessionId: string;
  /** Login V2's `userAgent.fingerprintId` of the refused login, when it had one. */
  readonly fingerprintId?: string;
}

export interface Ticket extends TicketSubject {
  readonly expiresAtMs: number;
}

export type TicketFailureReason = VerifyFailureReason | 'invalid_claims';

export type TicketReading =
  | { readonly ok: true; readonly ticket: Ticket }
  | { readonly ok: false; readonly reason: TicketFailureReason };

// ZITADEL ids are numeric strings of ~18 digits and fingerprints are short too; a bound keeps a ticket small.
const MAX_ID_LENGTH = 200;

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH;
}

export async function issueTicket(
  ring: KeyRing,
  subject: TicketSubject,
  ttlMs: number,
  nowMs: number,
): Promise<string> {
  if (!isId(subject.userId) || !isId(subject.attemptSessionId))
    throw new TypeError('a ticket needs a userId and an attemptSessionId');
  if (subject.fingerprintId !== undefined && !isId(subject.fingerprintId))
    throw new TypeError('a ticket fingerprintId must be a short non-empty string');
  const claims: Record<string, unknown> = { sub: subject.userId, att: subject.attemptSessionId };
  if (subject.fingerprintId !== undefined) claims['fpr'] = subject.fingerprintId;
  return await ring.sign(TICKET_PURPOSE, claims, ttlMs, nowMs);
}

export async function readTicket(ring: KeyRing, token: unknown, nowMs: number): Promise<TicketReading> {
  const verified = await ring.verify(token, TICKET_PURPOSE, nowMs);
  if (!verified.ok) return verified;
  const { sub, att, fpr, exp } = verified.claims;
  if (!isId(sub) || !isId(att) || (fpr !== undefined && !isId(fpr)) || typeof exp !== 'number')
    return { ok: false, reason: 'invalid_claims' };
  const ticket: Ticket = {
    userId: sub,
    attemptSessionId: att,
    expiresAtMs: exp * 1000,
    ...(fpr === undefined ? {} : { fingerprintId: fpr }),
  };
  return { ok: true, ticket };
}
