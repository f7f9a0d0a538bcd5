import { describe, expect, it } from 'vitest';
import {
  compare,
  compareIds,
  deviceKeyOf,
  devicesFirstComeFirst,
  devicesMostRecentFirst,
  groupDevices,
  mostRecentFirst,
  newestId,
  oldestId,
  type Device,
  type RankedSession,
} from '../../src/policy/devices.js';

const ranked = (id: string, rankMs: number, fingerprintId?: string): RankedSession => ({
  id,
  fingerprintId,
  rankMs,
});

describe('compareIds', () => {
  it('compares decimal ids as numbers: a longer id is a later one', () => {
    expect(compareIds('9', '10')).toBeLessThan(0);
    expect(compareIds('10', '9')).toBeGreaterThan(0);
    expect(compareIds('12', '13')).toBeLessThan(0);
    expect(compareIds('13', '12')).toBeGreaterThan(0);
    expect(compareIds('284021120958301001', '284021120958301001')).toBe(0);
  });

  it('compares anything else as text, even when it starts or ends with digits', () => {
    expect(compareIds('a10', 'a9')).toBeLessThan(0);
    expect(compareIds('10a', '9a')).toBeLessThan(0);
    expect(compareIds('9a', '10a')).toBeGreaterThan(0);
    expect(compareIds('10', 'a')).toBeLessThan(0);
    expect(compareIds('b', 'a')).toBeGreaterThan(0);
    expect(compareIds('same', 'same')).toBe(0);
    // Against a decimal id, an id that only starts or ends with digits is still text (not the shorter one).
    expect(compareIds('a1', '100')).toBeGreaterThan(0);
    expect(compareIds('1a', '100')).toBeGreaterThan(0);
    expect(compareIds('100', 'a1')).toBeLessThan(0);
    expect(compareIds('100', '1a')).toBeLessThan(0);
  });
});

describe('deviceKeyOf', () => {
  it('puts sessions with one fingerprint on one device only when counting devices', () => {
    expect(deviceKeyOf({ id: '1', fingerprintId: 'f' }, 'device')).toBe('fingerprint:f');
    expect(deviceKeyOf({ id: '1', fingerprintId: 'f' }, 'session')).toBe('session:1');
    expect(deviceKeyOf({ id: '1', fingerprintId: undefined }, 'device')).toBe('session:1');
  });
});

describe('groupDevices', () => {
  it("records each device's most recent and earliest sign-in", () => {
    const devices = groupDevices(
      [ranked('1', 100, 'f'), ranked('3', 300, 'f'), ranked('2', 200, 'f'), ranked('4', 50)],
      'device',
    );
    expect(devices).toEqual([
      {
        key: 'fingerprint:f',
        fingerprintId: 'f',
        sessions: [ranked('3', 300, 'f'), ranked('2', 200, 'f'), ranked('1', 100, 'f')],
        lastMs: 300,
        firstMs: 100,
        lastSignInMs: 300,
      },
      {
        key: 'session:4',
        fingerprintId: undefined,
        sessions: [ranked('4', 50)],
        lastMs: 50,
        firstMs: 50,
        lastSignInMs: 50,
      },
    ]);
  });
});

describe('device order', () => {
  it('most recent first: by the latest sign-in, ties by the newest session id', () => {
    const devices = groupDevices(
      [ranked('1', 100), ranked('2', 300), ranked('3', 300), ranked('4', 200)],
      'session',
    );
    expect(devicesMostRecentFirst(devices).map((device) => device.key)).toEqual([
      'session:3',
      'session:2',
      'session:4',
      'session:1',
    ]);
  });

  it('first come first: by the earliest sign-in, ties by the oldest session id', () => {
    const devices = groupDevices(
      [ranked('5', 100, 'a'), ranked('6', 900, 'a'), ranked('2', 100, 'b'), ranked('3', 50, 'c')],
      'device',
    );
    expect(devicesFirstComeFirst(devices).map((device) => device.key)).toEqual([
      'fingerprint:c',
      'fingerprint:b',
      'fingerprint:a',
    ]);
  });

  it('mostRecentFirst puts a login happening now (infinite rank) first, ties by the larger id', () => {
    const sessions = [ranked('1', 5), ranked('', Number.POSITIVE_INFINITY), ranked('3', 5), ranked('2', 7)];
    expect([...sessions].sort(mostRecentFirst).map((session) => session.id)).toEqual(['', '2', '3', '1']);
  });
});

describe('compare', () => {
  // The last tie-break of the device orders (their keys): a plain text order, so every replica sorts alike.
  it('orders text as text, digits included, and is 0 only for the same text', () => {
    expect(compare('a', 'b')).toBe(-1);
    expect(compare('b', 'a')).toBe(1);
    expect(compare('session:10', 'session:9')).toBe(-1);
    expect(compare('fingerprint:x', 'fingerprint:x')).toBe(0);
  });
});

describe('newestId and oldestId', () => {
  const device = (sessions: readonly RankedSession[]): Device => ({
    key: 'fingerprint:f',
    fingerprintId: 'f',
    sessions,
    lastMs: 0,
    firstMs: 0,
    lastSignInMs: 0,
  });

  it("are the first and the last of a device's sessions (most recent first)", () => {
    const [grouped] = groupDevices(
      [ranked('1', 100, 'f'), ranked('3', 300, 'f'), ranked('2', 200, 'f')],
      'device',
    );
    expect(grouped && newestId(grouped)).toBe('3');
    expect(grouped && oldestId(grouped)).toBe('1');
  });

  it('are empty, not a crash, for a device without sessions', () => {
    expect(newestId(device([]))).toBe('');
    expect(oldestId(device([]))).toBe('');
  });
});
