import type { SessionRecord } from '../policy/sessionRecord.js';
import { AUTHENTICATION_FACTORS } from '../vocabulary.js';
import { verifiedFactorsOf, type SessionRow } from '../zitadel/sessionSchema.js';

// The wire row (validated by the zod schema) mapped to the facts the decision reads; policy/ never sees the wire.

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

/** A session row as ZITADEL's Session Service returns it, as the decision sees it. */
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
