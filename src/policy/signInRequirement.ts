import type { FactorName } from '../vocabulary.js';
import type { SessionRecord } from './sessionRecord.js';

/**
 * What makes a session "signed in" for one user: the factors ZITADEL's login will demand of them before it
 * hands out tokens. `any-factor` is the old rule (any one verified factor), also the fallback when the user's
 * authentication methods cannot be read. Without the login policy the user's own second factor still decides.
 */
export type SignInRequirement =
  | { readonly kind: 'any-factor' }
  | {
      readonly kind: 'signed-in';
      /** The user has a second factor set up (TOTP, U2F, OTP SMS or email): Login V2 always asks for it. */
      readonly userHasSecondFactor: boolean;
      /** Login policy `forceMfa`: every login needs a second factor. */
      readonly forceMfa: boolean;
      /** Login policy `forceMfaLocalOnly`: logins with a password need one, IdP logins do not. */
      readonly forceMfaLocalOnly: boolean;
    };

export const ANY_FACTOR: SignInRequirement = Object.freeze({ kind: 'any-factor' });

/** ZITADEL's AuthenticationMethodType names that Login V2 treats as a second factor (see its mfa-helper). */
export const SECOND_FACTOR_METHODS: ReadonlySet<string> = new Set([
  'AUTHENTICATION_METHOD_TYPE_TOTP',
  'AUTHENTICATION_METHOD_TYPE_U2F',
  'AUTHENTICATION_METHOD_TYPE_OTP_SMS',
  'AUTHENTICATION_METHOD_TYPE_OTP_EMAIL',
]);

/**
 * Builds the requirement from the user's configured methods and the organisation's login policy. Without the
 * policy (`undefined`: it could not be read) what the methods tell still holds: Login V2 asks every user who has a
 * second factor set up for it, whatever the policy says, so their password-only sessions still do not count. Only
 * whether MFA is forced on users without a second factor is unknown; for them a first factor is taken as enough
 * (as under any-factor), which never lets a half-finished login of a user with a second factor evict anyone.
 */
export function signInRequirementFrom(
  authMethodTypes: readonly string[],
  loginPolicy: { readonly forceMfa: boolean; readonly forceMfaLocalOnly: boolean } | undefined,
): SignInRequirement {
  return {
    kind: 'signed-in',
    userHasSecondFactor: authMethodTypes.some((type) => SECOND_FACTOR_METHODS.has(type)),
    forceMfa: loginPolicy?.forceMfa ?? false,
    forceMfaLocalOnly: loginPolicy?.forceMfaLocalOnly ?? false,
  };
}

/**
 * Whether the session holds every factor the login demands of its user. A passkey verified with user
 * verification is enough on its own (ZITADEL: "a verified passkey authentication will not require a second
 * factor"). Otherwise a first factor (password or IdP) and, when MFA is due, a second factor (TOTP, OTP SMS or
 * email, U2F, recovery code). A session whose factors are unknown falls back to "any verified factor".
 */
export function isSignedIn(session: SessionRecord, requirement: SignInRequirement): boolean {
  if (!session.authenticated) return false;
  if (requirement.kind === 'any-factor' || session.factors === undefined) return true;
  if (session.passkeyVerified === true) return true;
  const has = (name: FactorName) => session.factors?.includes(name) === true;
  const first = has('password') || has('intent');
  // webAuthN without user verification is a security key (U2F): a second factor.
  const second = has('totp') || has('otpSms') || has('otpEmail') || has('recoveryCode') || has('webAuthN');
  const idpLogin = has('intent') && !has('password');
  const mfaDue =
    requirement.userHasSecondFactor || requirement.forceMfa || (requirement.forceMfaLocalOnly && !idpLogin);
  if (!mfaDue) return first || second;
  return first && second;
}

/**
 * The strictest requirement there is: a second factor due on every login. Every other requirement counts at least
 * the sessions this one counts, and `ANY_FACTOR` counts the most: the two bound what any user's policy can count.
 */
export const SECOND_FACTOR_ALWAYS: SignInRequirement = Object.freeze({
  kind: 'signed-in',
  userHasSecondFactor: true,
  forceMfa: true,
  forceMfaLocalOnly: true,
});

/**
 * Whether the session's own verified factors prove that its user has a second factor set up: ZITADEL checks a
 * TOTP or an OTP code only against a method the user has registered. A security key (webAuthN without user
 * verification) proves nothing here, since a passkey can answer such a challenge too; nor do recovery codes.
 */
const PROOF_OF_SECOND_FACTOR: readonly FactorName[] = ['totp', 'otpSms', 'otpEmail'];

export function provesSecondFactor(session: SessionRecord): boolean {
  return PROOF_OF_SECOND_FACTOR.some((name) => session.factors?.includes(name) === true);
}

/**
 * The requirement a session with a proven second factor stands for: its user is always asked for the second
 * factor (Login V2 does so for every user who has one), so the login policy cannot change what counts.
 */
export const USER_HAS_SECOND_FACTOR: SignInRequirement = Object.freeze({
  kind: 'signed-in',
  userHasSecondFactor: true,
  forceMfa: false,
  forceMfaLocalOnly: false,
});

/**
 * Whether the user's sign-in requirement could change whether this session counts: it does under the most
 * generous reading (any verified factor) and does not under the strictest (a second factor always due).
 */
export const dependsOnRequirement = (session: SessionRecord): boolean =>
  isSignedIn(session, ANY_FACTOR) && !isSignedIn(session, SECOND_FACTOR_ALWAYS);
