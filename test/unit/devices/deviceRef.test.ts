import { describe, expect, it } from 'vitest';
import { createDeviceRefs, isDeviceRef } from '../../../src/devices/deviceRef.js';

const SECRET = 'device-ref-secret-device-ref-secret-01';
const refOf = createDeviceRefs(SECRET);

describe('device refs', () => {
  it('is a 22-character URL-safe string that passes isDeviceRef', () => {
    const ref = refOf('3000001', 'fingerprint-abc');
    expect(ref).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(isDeviceRef(ref)).toBe(true);
  });

  it('is stable for the same user and device, across instances built from the same secret', () => {
    expect(refOf('u1', 'd1')).toBe(refOf('u1', 'd1'));
    expect(createDeviceRefs(SECRET)('u1', 'd1')).toBe(refOf('u1', 'd1'));
  });

  it('differs per user, per device and per secret', () => {
    const ref = refOf('u1', 'd1');
    expect(refOf('u2', 'd1')).not.toBe(ref);
    expect(refOf('u1', 'd2')).not.toBe(ref);
    expect(createDeviceRefs('another-secret-another-secret-another')('u1', 'd1')).not.toBe(ref);
  });

  it('keeps the boundary between user and device: (ab, c) and (a, bc) differ', () => {
    expect(refOf('ab', 'c')).not.toBe(refOf('a', 'bc'));
    expect(refOf('', 'abc')).not.toBe(refOf('abc', ''));
  });

  it('reveals no part of the user id or the device key', () => {
    const userId = 'user123456789';
    const deviceKey = 'fingerprintXYZ987';
    const ref = refOf(userId, deviceKey);
    for (const input of [userId, deviceKey])
      for (let start = 0; start + 4 <= input.length; start++)
        expect(ref).not.toContain(input.slice(start, start + 4));
  });

  it.each([
    ['a shorter string', 'abc'],
    ['23 characters', 'a'.repeat(23)],
    ['22 characters with a slash', 'a'.repeat(21) + '/'],
    ['22 characters with padding', 'a'.repeat(21) + '='],
    ['a number', 42],
    ['undefined', undefined],
    ['an array of a ref', ['a'.repeat(22)]],
  ])('isDeviceRef refuses %s', (_name, value) => {
    expect(isDeviceRef(value)).toBe(false);
  });
});
