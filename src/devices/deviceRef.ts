// The name by which the devices page and API address one device. A device is the sessions of one user sharing a
// fingerprint; the page must let the user pick one without ever showing a session id or a fingerprint (either would
// be a handle on the user's sessions for whoever reads the page, a proxy log or a browser history). An HMAC of the
// pair is stable across page loads, cannot be reversed, and cannot be forged for another user's device.
import { createHmac } from 'node:crypto';
import { derivePurposeKey } from './keyRing.js';

const DEVICE_REF_PURPOSE = 'device-ref';
// 22 base64url characters = 132 bits of the MAC: far beyond guessing, short enough for a form value or a path.
const REF_LENGTH = 22;
const REF_PATTERN = /^[A-Za-z0-9_-]{22}$/;

export type DeviceRefOf = (userId: string, deviceKey: string) => string;

/** Each part preceded by its UTF-8 byte length, so that ('ab', 'c') and ('a', 'bc') never hash alike. */
function lengthPrefixed(...parts: string[]): Buffer {
  return Buffer.concat(
    parts.flatMap((part) => {
      const bytes = Buffer.from(part, 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32BE(bytes.length);
      return [length, bytes];
    }),
  );
}

/** A function from (userId, deviceKey) to the device's opaque ref, keyed by `secret` (the ring's signing secret). */
export function createDeviceRefs(secret: string): DeviceRefOf {
  const key = derivePurposeKey(secret, DEVICE_REF_PURPOSE);
  return (userId, deviceKey) =>
    createHmac('sha256', key)
      .update(lengthPrefixed(userId, deviceKey))
      .digest('base64url')
      .slice(0, REF_LENGTH);
}

/** Whether a submitted value has the shape of a device ref: the check before any lookup. */
export function isDeviceRef(value: unknown): value is string {
  return typeof value === 'string' && REF_PATTERN.test(value);
}
