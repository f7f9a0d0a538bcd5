import type { FactorName } from '../vocabulary.js';

/** A session as the decision sees it: the facts that decide whether it counts, on which device, and how recent. */
export interface SessionRecord {
  readonly id: string;
  readonly userId: string | undefined;
  /** Milliseconds since the epoch; undefined when ZITADEL gave no readable creation date. */
  readonly createdAtMs: number | undefined;
  readonly expiresAtMs: number | undefined;
  /** At least one authentication factor is verified (the old "any factor" rule). */
  readonly authenticated: boolean;
  /**
   * The latest `verifiedAt` among the authentication factors: when this session was last signed in. Login V2
   * creates the session at the username step and verifies the password later, so this can be much later than
   * the creation date. Undefined when no factor carries a readable time (the creation date stands in).
   */
  readonly signedInAtMs?: number | undefined;
  /** Login V2's per-browser `fingerprintId` (userAgent): sessions of one user with the same one are one device. */
  readonly fingerprintId?: string | undefined;
  /** The user's organisation (`factors.user.organizationId`): picks ORG_LIMITS and the login policy. */
  readonly organizationId?: string | undefined;
  /** The verified authentication factors. Undefined when unknown (then only `authenticated` is known). */
  readonly factors?: readonly FactorName[] | undefined;
  /** The webAuthN factor was verified with user verification: a passkey, which needs no second factor. */
  readonly passkeyVerified?: boolean | undefined;
}
