import { describe, expect, it } from 'vitest';
import { parseTimestampNanos } from '../../src/zitadel/protoTimestamp.js';

describe('parseTimestampNanos', () => {
  it.each([
    ['2026-01-01T00:00:00Z', 1767225600000000000n],
    ['2026-01-01T00:00:00.5Z', 1767225600500000000n],
    ['2026-01-01T00:00:00.123456Z', 1767225600123456000n],
    ['2026-01-01T00:00:00.123456789Z', 1767225600123456789n],
    ['2026-01-01T01:00:00.000001+01:00', 1767225600000001000n],
  ])('reads %s to the nanosecond', (text, nanos) => {
    expect(parseTimestampNanos(text)).toBe(nanos);
  });

  it('tells apart two events within the same millisecond', () => {
    const first = parseTimestampNanos('2026-01-01T00:00:00.123001Z')!;
    const second = parseTimestampNanos('2026-01-01T00:00:00.123002Z')!;
    expect(first < second).toBe(true);
  });

  it.each([
    undefined,
    '',
    'yesterday',
    '2026-01-01',
    '2026-01-01T00:00:00',
    '2026-01-01T00:00:00.1234567890Z',
  ])('gives undefined for %s', (text) => {
    expect(parseTimestampNanos(text)).toBeUndefined();
  });
});
