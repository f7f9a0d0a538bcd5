import { describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../src/policy/sessionRecord.js';
import type { FactorName } from '../../src/vocabulary.js';
import {
  ANY_FACTOR,
  isSignedIn,
  signInRequirementFrom,
  type SignInRequirement,
} from '../../src/policy/signInRequirement.js';

function session(factors: FactorName[], passkeyVerified = false): SessionRecord {
  return {
    id: '1',
    userId: '42',
    createdAtMs: 0,
    expiresAtMs: undefined,
    authenticated: factors.length > 0,
    factors,
    passkeyVerified,
  };
}

const policy = (forceMfa: boolean, forceMfaLocalOnly: boolean) => ({ forceMfa, forceMfaLocalOnly });
const noMfa = signInRequirementFrom(['AUTHENTICATION_METHOD_TYPE_PASSWORD'], policy(false, false));
const hasTotp = signInRequirementFrom(
  ['AUTHENTICATION_METHOD_TYPE_PASSWORD', 'AUTHENTICATION_METHOD_TYPE_TOTP'],
  policy(false, false),
);
const forced = signInRequirementFrom(['AUTHENTICATION_METHOD_TYPE_PASSWORD'], policy(true, false));
const localOnly = signInRequirementFrom(['AUTHENTICATION_METHOD_TYPE_IDP'], policy(false, true));

const cases: [string, SessionRecord, SignInRequirement, boolean][] = [
  ['a password is enough without MFA', session(['password']), noMfa, true],
  ['an IdP login is enough without MFA', session(['intent']), noMfa, true],
  ['a username alone is never signed in', session([]), ANY_FACTOR, false],
  ['any factor counts under any-factor', session(['password']), ANY_FACTOR, true],
  ['a password is not enough for a user with TOTP', session(['password']), hasTotp, false],
  ['password and TOTP are', session(['password', 'totp']), hasTotp, true],
  ['password and an OTP by e-mail are', session(['password', 'otpEmail']), hasTotp, true],
  [
    'password and a security key (webAuthN, no user verification) are',
    session(['password', 'webAuthN']),
    hasTotp,
    true,
  ],
  ['password and a recovery code are', session(['password', 'recoveryCode']), hasTotp, true],
  ['a second factor without the first is not', session(['totp']), hasTotp, false],
  ['a passkey with user verification is enough on its own', session(['webAuthN'], true), hasTotp, true],
  ['forceMfa demands a second factor of a password login', session(['password']), forced, false],
  ['forceMfa demands it of an IdP login too', session(['intent']), forced, false],
  ['forceMfaLocalOnly demands it of a password login', session(['password']), localOnly, false],
  ['forceMfaLocalOnly lets an IdP login through', session(['intent']), localOnly, true],
];

describe('isSignedIn', () => {
  it.each(cases)('%s', (_name, record, requirement, expected) => {
    expect(isSignedIn(record, requirement)).toBe(expected);
  });

  it('falls back to "any factor" for a session whose factors are unknown', () => {
    const record: SessionRecord = { ...session(['password']), factors: undefined };
    expect(isSignedIn(record, hasTotp)).toBe(true);
  });

  it('counts TOTP, U2F, OTP SMS and OTP e-mail as a second factor, not a passkey or IdP', () => {
    for (const type of ['TOTP', 'U2F', 'OTP_SMS', 'OTP_EMAIL'])
      expect(
        signInRequirementFrom([`AUTHENTICATION_METHOD_TYPE_${type}`], policy(false, false)),
      ).toMatchObject({
        userHasSecondFactor: true,
      });
    for (const type of ['PASSWORD', 'PASSKEY', 'IDP', 'RECOVERY_CODE'])
      expect(
        signInRequirementFrom([`AUTHENTICATION_METHOD_TYPE_${type}`], policy(false, false)),
      ).toMatchObject({
        userHasSecondFactor: false,
      });
  });
});

describe('without the login policy (policy.read missing, or the read failed)', () => {
  const totpUser = signInRequirementFrom(
    ['AUTHENTICATION_METHOD_TYPE_PASSWORD', 'AUTHENTICATION_METHOD_TYPE_TOTP'],
    undefined,
  );
  const passwordUser = signInRequirementFrom(['AUTHENTICATION_METHOD_TYPE_PASSWORD'], undefined);

  it("keeps the user's own second factor: their password-only session is half-way, not signed in", () => {
    expect(isSignedIn(session(['password']), totpUser)).toBe(false);
    expect(isSignedIn(session(['password', 'totp']), totpUser)).toBe(true);
    expect(isSignedIn(session(['webAuthN'], true), totpUser)).toBe(true);
  });

  it('takes a first factor as enough for a user without a second factor (forced MFA is what is unknown)', () => {
    expect(passwordUser).toEqual({
      kind: 'signed-in',
      userHasSecondFactor: false,
      forceMfa: false,
      forceMfaLocalOnly: false,
    });
    expect(isSignedIn(session(['password']), passwordUser)).toBe(true);
    expect(isSignedIn(session(['intent']), passwordUser)).toBe(true);
  });

  it('is stricter than any-factor for the user with a second factor, and the same for the one without', () => {
    expect(isSignedIn(session(['password']), ANY_FACTOR)).toBe(true);
    expect(isSignedIn(session(['password']), totpUser)).toBe(false);
    expect(isSignedIn(session(['password']), passwordUser)).toBe(
      isSignedIn(session(['password']), ANY_FACTOR),
    );
  });
});

describe('isSignedIn, second factors and local logins', () => {
  it('builds a signed-in requirement from the methods and the policy', () => {
    expect(signInRequirementFrom(['AUTHENTICATION_METHOD_TYPE_PASSWORD'], policy(true, false))).toEqual({
      kind: 'signed-in',
      userHasSecondFactor: false,
      forceMfa: true,
      forceMfaLocalOnly: false,
    });
  });

  it('takes an OTP by SMS as the second factor', () => {
    expect(isSignedIn(session(['password', 'otpSms']), hasTotp)).toBe(true);
  });

  it('under forceMfaLocalOnly demands a second factor of an IdP login that also checked a password', () => {
    expect(isSignedIn(session(['intent', 'password']), localOnly)).toBe(false);
    expect(isSignedIn(session(['intent', 'password', 'totp']), localOnly)).toBe(true);
  });

  it('under forceMfaLocalOnly does not take a second factor alone for an IdP login', () => {
    expect(isSignedIn(session(['totp']), localOnly)).toBe(false);
  });
});
