import { verifiedFactorsOf, type SessionRow } from '../zitadel/sessionSchema.js';

/** A session as the decision sees it: the facts that decide whether it counts and how old it is. */
export interface SessionRecord {
  readonly id: string;
  readonly userId: string | undefined;
  /** Milliseconds since the epoch; undefined when ZITADEL gave no readable creation date. */
  readonly createdAtMs: number | undefined;
  readonly expiresAtMs: number | undefined;
  readonly authenticated: boolean;
}

/** RFC 3339 (protojson and Go's time format) to epoch milliseconds; undefined for anything unreadable. */
export function parseTimestamp(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

export function toSessionRecord(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    userId: row.factors?.user?.id,
    createdAtMs: parseTimestamp(row.creationDate),
    expiresAtMs: parseTimestamp(row.expirationDate),
    authenticated: verifiedFactorsOf(row).length > 0,
  };
}
