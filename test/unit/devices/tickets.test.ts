import { SignJWT, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { createKeyRing, derivePurposeKey } from '../../../src/devices/keyRing.js';
import { TICKET_PURPOSE, issueTicket, readTicket } from '../../../src/devices/tickets.js';

const SECRET = 'ticket-secret-ticket-secret-ticket-secret';
const NOW = 1_760_000_000_000;
const TTL = 10 * 60_000;
const ring = createKeyRing([SECRET]);

/** A ticket with arbitrary claims, signed as the ring would, to reach the claim checks. */
async function ticketWithClaims(claims: Record<string, unknown>): Promise<string> {
  const kid = decodeProtectedHeader(
    await issueTicket(ring, { userId: 'u', attemptSessionId: 's' }, TTL, NOW),
  ).kid;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: TICKET_PURPOSE, kid: kid as string })
    .setAudience(TICKET_PURPOSE)
    .setIssuedAt(NOW / 1000)
    .setExpirationTime(NOW / 1000 + 600)
    .sign(derivePurposeKey(SECRET, TICKET_PURPOSE));
}

describe('refusal tickets', () => {
  it('round-trips the user, the refused attempt and the fingerprint, with the expiry', async () => {
    const subject = { userId: '3000001', attemptSessionId: '3000099', fingerprintId: 'fp-1' };
    const token = await issueTicket(ring, subject, TTL, NOW);
    expect(await readTicket(ring, token, NOW + 1000)).toEqual({
      ok: true,
      ticket: { ...subject, expiresAtMs: NOW + TTL },
    });
  });

  it('round-trips a ticket without a fingerprint, leaving the field out', async () => {
    const token = await issueTicket(ring, { userId: 'u', attemptSessionId: 's' }, TTL, NOW);
    const read = await readTicket(ring, token, NOW);
    expect(read).toEqual({
      ok: true,
      ticket: { userId: 'u', attemptSessionId: 's', expiresAtMs: NOW + TTL },
    });
    expect(read.ok && 'fingerprintId' in read.ticket).toBe(false);
  });

  it('passes on the key ring reasons: expired, malformed, wrong purpose', async () => {
    const token = await issueTicket(ring, { userId: 'u', attemptSessionId: 's' }, TTL, NOW);
    expect(await readTicket(ring, token, NOW + TTL + 60_000)).toEqual({ ok: false, reason: 'expired' });
    expect(await readTicket(ring, 'not-a-ticket', NOW)).toEqual({ ok: false, reason: 'malformed' });
    const session = await ring.sign('devices-session', { sub: 'u', att: 's' }, TTL, NOW);
    expect(await readTicket(ring, session, NOW)).toEqual({ ok: false, reason: 'wrong_purpose' });
  });

  it.each([
    ['no user', { att: 's' }],
    ['no attempt', { sub: 'u' }],
    ['a numeric user', { sub: 7, att: 's' }],
    ['an empty attempt', { sub: 'u', att: '' }],
    ['a fingerprint that is not a string', { sub: 'u', att: 's', fpr: ['x'] }],
    ['an overlong user', { sub: 'u'.repeat(201), att: 's' }],
  ])('refuses a correctly signed ticket with %s as invalid_claims', async (_name, claims) => {
    expect(await readTicket(ring, await ticketWithClaims(claims), NOW)).toEqual({
      ok: false,
      reason: 'invalid_claims',
    });
  });

  it('refuses to issue a ticket without a user or an attempt, or with an empty fingerprint', async () => {
    await expect(issueTicket(ring, { userId: '', attemptSessionId: 's' }, TTL, NOW)).rejects.toThrow(
      TypeError,
    );
    await expect(issueTicket(ring, { userId: 'u', attemptSessionId: '' }, TTL, NOW)).rejects.toThrow(
      TypeError,
    );
    await expect(
      issueTicket(ring, { userId: 'u', attemptSessionId: 's', fingerprintId: '' }, TTL, NOW),
    ).rejects.toThrow(TypeError);
  });
});
