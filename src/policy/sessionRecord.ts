import { AUTHENTICATION_FACTORS, verifiedFactorsOf, type SessionRow } from '../zitadel/sessionSchema.js';

/** An authentication factor a session can hold (the user factor, a typed username, is not one). */
export type FactorName = (typeof AUTHENTICATION_FACTORS)[number];

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

/** RFC 3339 (protojson and Go's time format) to epoch milliseconds; undefined for anything unreadable. */
export function parseTimestamp(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** The latest readable `verifiedAt` among the row's authentication factors. */
function signedInAtOf(row: SessionRow): number | undefined {
  let latest: number | undefined;
  for (const name of AUTHENTICATION_FACTORS) {
    const at = parseTimestamp(row.factors?.[name]?.verifiedAt);
    if (at !== undefined && (latest === undefined || at > latest)) latest = at;
  }
  return latest;
}

export function toSessionRecord(row: SessionRow): SessionRecord {
  const factors = verifiedFactorsOf(row);
  const fingerprintId = row.userAgent?.fingerprintId?.trim();
  return {
    id: row.id,
    userId: row.factors?.user?.id,
    createdAtMs: parseTimestamp(row.creationDate),
    expiresAtMs: parseTimestamp(row.expirationDate),
    authenticated: factors.length > 0,
    signedInAtMs: signedInAtOf(row),
    // An empty fingerprint is no fingerprint: it must not make every such session one device.
    fingerprintId: fingerprintId === '' ? undefined : fingerprintId,
    organizationId: row.factors?.user?.organizationId || undefined,
    factors,
    passkeyVerified:
      row.factors?.webAuthN?.verifiedAt !== undefined && row.factors.webAuthN.userVerified === true,
  };
}
