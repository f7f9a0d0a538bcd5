import { describe, expect, it } from 'vitest';
import { selectSessionsToEvict } from '../../src/policy/selectSessionsToEvict.js';
import { parseTimestamp, toSessionRecord } from '../../src/enforcement/toSessionRecord.js';
import { isSignedIn, signInRequirementFrom } from '../../src/policy/signInRequirement.js';
import type { SessionRow } from '../../src/zitadel/sessionSchema.js';

const at = (iso: string) => Date.parse(iso);

function row(id: string, overrides: Partial<SessionRow> = {}): SessionRow {
  return {
    id,
    creationDate: '2026-12-02T04:00:00Z',
    factors: {
      user: { id: 'user-1', organizationId: 'org-1', verifiedAt: '2026-12-02T04:00:00Z' },
      password: { verifiedAt: '2026-12-02T04:00:01Z' },
    },
    ...overrides,
  };
}

describe('parseTimestamp', () => {
  it('reads RFC 3339 and gives undefined for nothing or garbage', () => {
    expect(parseTimestamp('2026-12-02T04:17:15.952721Z')).toBe(at('2026-12-02T04:17:15.952Z'));
    expect(parseTimestamp(undefined)).toBeUndefined();
    expect(parseTimestamp('yesterday')).toBeUndefined();
  });
});

describe('toSessionRecord', () => {
  it('reads the user, organisation, dates and factors of a row', () => {
    const record = toSessionRecord(
      row('s1', { expirationDate: '2026-12-03T04:00:00Z', userAgent: { fingerprintId: 'browser-1' } }),
    );
    expect(record).toEqual({
      id: 's1',
      userId: 'user-1',
      createdAtMs: at('2026-12-02T04:00:00Z'),
      expiresAtMs: at('2026-12-03T04:00:00Z'),
      authenticated: true,
      signedInAtMs: at('2026-12-02T04:00:01Z'),
      fingerprintId: 'browser-1',
      organizationId: 'org-1',
      factors: ['password'],
      passkeyVerified: false,
    });
  });

  it('takes the latest verified factor as the last sign-in, wherever it is among the factors', () => {
    // The password (listed first) was checked last: a second password check after an OTP, say.
    const latestFirst = toSessionRecord(
      row('s1', {
        factors: {
          user: { id: 'user-1' },
          password: { verifiedAt: '2026-12-02T04:30:00Z' },
          totp: { verifiedAt: '2026-12-02T04:10:00Z' },
        },
      }),
    );
    const latestLast = toSessionRecord(
      row('s2', {
        factors: {
          user: { id: 'user-1' },
          password: { verifiedAt: '2026-12-02T04:10:00Z' },
          totp: { verifiedAt: '2026-12-02T04:30:00Z' },
          otpEmail: { verifiedAt: '2026-12-02T04:20:00Z' },
        },
      }),
    );
    expect(latestFirst.signedInAtMs).toBe(at('2026-12-02T04:30:00Z'));
    expect(latestLast.signedInAtMs).toBe(at('2026-12-02T04:30:00Z'));
  });

  it('skips an unreadable factor time, and has no sign-in time when no factor has one', () => {
    const mixed = toSessionRecord(
      row('s1', {
        factors: {
          user: { id: 'user-1' },
          password: { verifiedAt: '2026-12-02T04:10:00Z' },
          totp: { verifiedAt: 'not a time' },
        },
      }),
    );
    expect(mixed.signedInAtMs).toBe(at('2026-12-02T04:10:00Z'));
    const userOnly = toSessionRecord(row('s2', { factors: { user: { id: 'user-1' } } }));
    expect(userOnly).toMatchObject({ authenticated: false, signedInAtMs: undefined, factors: [] });
  });

  it('does not take a security key (webAuthN without user verification) for a passkey', () => {
    const webAuthN = (userVerified: boolean | undefined) =>
      toSessionRecord(
        row('s1', {
          factors: {
            user: { id: 'user-1' },
            webAuthN: {
              verifiedAt: '2026-12-02T04:00:05Z',
              ...(userVerified === undefined ? {} : { userVerified }),
            },
          },
        }),
      ).passkeyVerified;
    expect(webAuthN(true)).toBe(true);
    expect(webAuthN(false)).toBe(false);
    expect(webAuthN(undefined)).toBe(false);
    // userVerified on a factor that was never verified proves nothing.
    const unverified = toSessionRecord(
      row('s2', { factors: { user: { id: 'user-1' }, webAuthN: { userVerified: true } } }),
    );
    expect(unverified.passkeyVerified).toBe(false);
  });

  it('counts a security key alone as half a login for a user with a second factor (COUNT_WHEN=signed-in)', () => {
    const requirement = signInRequirementFrom(
      ['AUTHENTICATION_METHOD_TYPE_PASSWORD', 'AUTHENTICATION_METHOD_TYPE_U2F'],
      { forceMfa: false, forceMfaLocalOnly: false },
    );
    const securityKeyOnly = toSessionRecord(
      row('s1', {
        factors: {
          user: { id: 'user-1' },
          webAuthN: { verifiedAt: '2026-12-02T04:00:05Z', userVerified: false },
        },
      }),
    );
    const passkey = toSessionRecord(
      row('s2', {
        factors: {
          user: { id: 'user-1' },
          webAuthN: { verifiedAt: '2026-12-02T04:00:05Z', userVerified: true },
        },
      }),
    );
    expect(isSignedIn(securityKeyOnly, requirement)).toBe(false);
    expect(isSignedIn(passkey, requirement)).toBe(true);
  });

  it('treats an empty or blank fingerprint as none, and trims one with blanks around it', () => {
    const fingerprintOf = (fingerprintId: string) =>
      toSessionRecord(row('s1', { userAgent: { fingerprintId } })).fingerprintId;
    expect(fingerprintOf('')).toBeUndefined();
    expect(fingerprintOf('   ')).toBeUndefined();
    expect(fingerprintOf(' browser-1 ')).toBe('browser-1');
    expect(toSessionRecord(row('s2', { userAgent: {} })).fingerprintId).toBeUndefined();
  });

  it('does not make one device of sessions whose fingerprints are empty or blank', () => {
    const sessions = ['', ' ', '\t'].map((fingerprintId, index) =>
      toSessionRecord(
        row(`s${index + 1}`, {
          creationDate: `2026-12-02T04:0${index}:00Z`,
          userAgent: { fingerprintId },
        }),
      ),
    );
    const decision = selectSessionsToEvict({
      userId: 'user-1',
      listed: sessions,
      trigger: undefined,
      limit: 1,
      strategy: 'evict-oldest',
      nowMs: at('2026-12-02T05:00:00Z'),
      countBy: 'device',
    });
    expect(decision).toMatchObject({ devices: 3, keep: ['s3'], remove: ['s2', 's1'] });
  });

  it('has no organisation for an empty organisation id', () => {
    const record = toSessionRecord(
      row('s1', { factors: { user: { id: 'user-1', organizationId: '' }, password: { verifiedAt: 'x' } } }),
    );
    expect(record.organizationId).toBeUndefined();
  });

  it('reads a row without factors (or without a user) as an unauthenticated session of no user', () => {
    expect(toSessionRecord({ id: 's1', creationDate: '2026-12-02T04:00:00Z' })).toMatchObject({
      id: 's1',
      userId: undefined,
      organizationId: undefined,
      authenticated: false,
      signedInAtMs: undefined,
      passkeyVerified: false,
    });
  });
});
