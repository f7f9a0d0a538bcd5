/**
 * A protojson / RFC 3339 timestamp as nanoseconds since the epoch. ZITADEL's timestamps carry micro- or nanosecond
 * fractions; comparing them as milliseconds would make two events of the same millisecond look simultaneous, and
 * "has the projection got as far as this write?" must not be answered yes for the wrong event.
 */
export function parseTimestampNanos(value: string | undefined): bigint | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i.exec(value);
  if (match === null) return undefined;
  const [, wholeSeconds = '', fraction = '', zone = ''] = match;
  const ms = Date.parse(`${wholeSeconds}${zone}`);
  if (!Number.isFinite(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt(fraction.padEnd(9, '0'));
}
