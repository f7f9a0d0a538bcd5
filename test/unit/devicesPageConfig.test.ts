import { describe, expect, it } from 'vitest';
import { loadConfig, MAX_DEVICES_KEYS } from '../../src/config.js';
import { ConfigError } from '../../src/vocabulary.js';

const SIGNING_KEY = 'sk-Hj4pL9sR2tY6TESTSECRET';
const CLIENT_SECRET = 'devices-client-secret-Wq7TESTSECRET';
const KEY_A = 'devices-key-a-0123456789abcdefghijKLMN';
const KEY_B = 'devices-key-b-0123456789abcdefghijKLMN';

const BASE: NodeJS.ProcessEnv = {
  INSTANCE_URL: 'https://my-instance.zitadel.cloud',
  PAT: 'pat-Zq8vN3xK1mW7TESTSECRET',
  SIGNING_KEY,
};

const DEVICES: NodeJS.ProcessEnv = {
  DEVICES_PUBLIC_URL: 'https://limiter.example.com',
  DEVICES_CLIENT_ID: '312345678901234567',
  DEVICES_CLIENT_SECRET: CLIENT_SECRET,
  DEVICES_KEYS: KEY_A,
};

const MINUTE = 60_000;

function problemsFor(env: NodeJS.ProcessEnv): readonly string[] {
  try {
    loadConfig({ ...BASE, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('loadConfig accepted an invalid environment');
}

describe('the devices page variables (DEVICES_*)', () => {
  it('leave the page off when DEVICES_PUBLIC_URL is not set', () => {
    expect(loadConfig(BASE).devices).toBeUndefined();
    expect(loadConfig({ ...BASE, DEVICES_PUBLIC_URL: '  ' }).devices).toBeUndefined();
  });

  it('turn it on with the four required ones, a 15 minute cookie and 10 minute tickets by default', () => {
    const { devices } = loadConfig({ ...BASE, ...DEVICES });

    expect(devices).toEqual({
      publicUrl: 'https://limiter.example.com',
      clientId: '312345678901234567',
      clientSecret: CLIENT_SECRET,
      keys: [KEY_A],
      sessionTtlMs: 15 * MINUTE,
      ticketTtlMs: 10 * MINUTE,
    });
    expect(Object.isFrozen(devices)).toBe(true);
    expect(Object.isFrozen(devices?.keys)).toBe(true);
  });

  it('read the lifetimes in the duration syntax of the other variables', () => {
    const { devices } = loadConfig({
      ...BASE,
      ...DEVICES,
      DEVICES_SESSION_TTL: '12h',
      DEVICES_TICKET_TTL: ' 60M ',
    });

    expect(devices).toMatchObject({ sessionTtlMs: 12 * 60 * MINUTE, ticketTtlMs: 60 * MINUTE });
    expect(loadConfig({ ...BASE, ...DEVICES, DEVICES_TICKET_TTL: '60s' }).devices?.ticketTtlMs).toBe(MINUTE);
  });

  it.each([
    ['https://limiter.example.com/', 'https://limiter.example.com'],
    ['https://limiter.example.com/limiter//', 'https://limiter.example.com/limiter'],
    ['HTTPS://Limiter.Example.com:8443', 'https://limiter.example.com:8443'],
    ['http://localhost:3000', 'http://localhost:3000'],
    ['http://127.0.0.1:3000/', 'http://127.0.0.1:3000'],
    ['http://[::1]:3000', 'http://[::1]:3000'],
  ])('reads DEVICES_PUBLIC_URL %j as %j (no trailing slash)', (value, expected) => {
    expect(loadConfig({ ...BASE, ...DEVICES, DEVICES_PUBLIC_URL: value }).devices?.publicUrl).toBe(expected);
  });

  it.each([
    [
      'limiter.example.com',
      'DEVICES_PUBLIC_URL must be the URL where browsers reach the limiter, such as https://limiter.example.com',
    ],
    [
      'http://limiter.example.com',
      'DEVICES_PUBLIC_URL must use https:// (plain http:// only for localhost, 127.0.0.1 or [::1]): the page sets a Secure cookie and ZITADEL sends the sign-in code to it',
    ],
    [
      'http://10.0.0.5:3000',
      'DEVICES_PUBLIC_URL must use https:// (plain http:// only for localhost, 127.0.0.1 or [::1]): the page sets a Secure cookie and ZITADEL sends the sign-in code to it',
    ],
    [
      'ftp://limiter.example.com',
      'DEVICES_PUBLIC_URL must use https:// (plain http:// only for localhost, 127.0.0.1 or [::1]): the page sets a Secure cookie and ZITADEL sends the sign-in code to it',
    ],
    [
      'https://limiter.example.com/?x=1',
      'DEVICES_PUBLIC_URL must be a plain URL without credentials, query or fragment',
    ],
    [
      'https://limiter.example.com/#top',
      'DEVICES_PUBLIC_URL must be a plain URL without credentials, query or fragment',
    ],
    [
      'https://user:pw@limiter.example.com',
      'DEVICES_PUBLIC_URL must be a plain URL without credentials, query or fragment',
    ],
    [
      'https://limiter.example.com/devices',
      'DEVICES_PUBLIC_URL must be where browsers reach the limiter, without /devices (e.g. https://limiter.example.com): the limiter adds /devices itself',
    ],
    [
      'https://limiter.example.com/devices/callback/',
      'DEVICES_PUBLIC_URL must be where browsers reach the limiter, without /devices (e.g. https://limiter.example.com): the limiter adds /devices itself',
    ],
  ])('refuses DEVICES_PUBLIC_URL=%j, saying why', (value, problem) => {
    expect(problemsFor({ ...DEVICES, DEVICES_PUBLIC_URL: value })).toEqual([problem]);
  });

  it('names every missing variable at once, with where its value comes from', () => {
    const problems = problemsFor({ DEVICES_PUBLIC_URL: 'https://limiter.example.com' });

    expect(problems).toEqual([
      'DEVICES_CLIENT_ID is required with DEVICES_PUBLIC_URL (the client id setup --devices-url prints)',
      'DEVICES_CLIENT_SECRET is required (with DEVICES_PUBLIC_URL: the client secret setup --devices-url prints; ZITADEL shows it once, setup --devices-new-secret makes a new one)',
      "DEVICES_KEYS is required (with DEVICES_PUBLIC_URL: comma-separated secrets of at least 32 characters that sign the page's cookies and tickets (setup --devices-url prints one; or generate one with: openssl rand -base64 32))",
    ]);
  });

  it('lists a devices problem together with the other variables', () => {
    const problems = problemsFor({ ...DEVICES, PORT: 'x', DEVICES_KEYS: 'short' });

    expect(problems).toContain('PORT must be a whole number from 0 to 65535');
    expect(problems).toContain(
      'DEVICES_KEYS key 1 is shorter than 32 characters (generate one with: openssl rand -base64 32)',
    );
  });

  it('refuses DEVICES_* variables without DEVICES_PUBLIC_URL, naming them and the fix', () => {
    expect(problemsFor({ DEVICES_CLIENT_ID: 'abc' })).toEqual([
      'DEVICES_CLIENT_ID is set but DEVICES_PUBLIC_URL is not: set DEVICES_PUBLIC_URL to turn the devices page on, or unset it',
    ]);
    const withoutUrl = { ...DEVICES, DEVICES_PUBLIC_URL: undefined };
    expect(problemsFor(withoutUrl)).toEqual([
      'DEVICES_CLIENT_ID, DEVICES_CLIENT_SECRET, DEVICES_KEYS are set but DEVICES_PUBLIC_URL is not: set DEVICES_PUBLIC_URL to turn the devices page on, or unset them',
    ]);
  });

  it('splits DEVICES_KEYS on commas and trims each: the first signs, all verify', () => {
    expect(loadConfig({ ...BASE, ...DEVICES, DEVICES_KEYS: ` ${KEY_B} , ${KEY_A} ` }).devices?.keys).toEqual([
      KEY_B,
      KEY_A,
    ]);
  });

  it.each([
    [`${KEY_A},`, ['DEVICES_KEYS has an empty key between commas']],
    [
      `${KEY_A},${'x'.repeat(31)}`,
      ['DEVICES_KEYS key 2 is shorter than 32 characters (generate one with: openssl rand -base64 32)'],
    ],
    [`${KEY_A},${KEY_B},${KEY_A}`, ['DEVICES_KEYS key 3 repeats key 1']],
    [
      Array.from({ length: MAX_DEVICES_KEYS + 1 }, (_, index) => `${KEY_A}${index}`).join(','),
      [
        `DEVICES_KEYS has ${MAX_DEVICES_KEYS + 1} keys; at most ${MAX_DEVICES_KEYS} are accepted (a rotation needs two: the new key first, then the old one)`,
      ],
    ],
  ])('refuses DEVICES_KEYS %#, never echoing a key', (value, problems) => {
    const found = problemsFor({ ...DEVICES, DEVICES_KEYS: value });

    expect(found).toEqual(problems);
    expect(found.join('\n')).not.toContain(KEY_A.slice(0, 20));
  });

  it('accepts exactly 32 characters and exactly the most keys', () => {
    const keys = Array.from({ length: MAX_DEVICES_KEYS }, (_, index) => `${index}`.padEnd(32, 'k'));
    expect(loadConfig({ ...BASE, ...DEVICES, DEVICES_KEYS: keys.join(',') }).devices?.keys).toEqual(keys);
  });

  it('refuses a devices key that is also a SIGNING_KEY', () => {
    const shared = 'shared-key-0123456789abcdefghijklmnop';
    expect(
      problemsFor({ ...DEVICES, SIGNING_KEY: `${SIGNING_KEY},${shared}`, DEVICES_KEYS: shared }),
    ).toEqual([
      'DEVICES_KEYS must not reuse a SIGNING_KEY: give the devices page keys of its own (generate one with: openssl rand -base64 32)',
    ]);
  });

  it.each([
    ['DEVICES_SESSION_TTL', '59s', 'must be a duration with a unit from 1m to 12h (e.g. 15m, 1h)'],
    ['DEVICES_SESSION_TTL', '13h', 'must be a duration with a unit from 1m to 12h (e.g. 15m, 1h)'],
    ['DEVICES_SESSION_TTL', '15', 'must be a duration with a unit from 1m to 12h (e.g. 15m, 1h)'],
    ['DEVICES_SESSION_TTL', 'off', 'must be a duration with a unit from 1m to 12h (e.g. 15m, 1h)'],
    ['DEVICES_TICKET_TTL', '61m', 'must be a duration with a unit from 1m to 1h (e.g. 10m, 30m)'],
    ['DEVICES_TICKET_TTL', '0m', 'must be a duration with a unit from 1m to 1h (e.g. 10m, 30m)'],
    ['DEVICES_TICKET_TTL', '1.5m', 'must be a duration with a unit from 1m to 1h (e.g. 10m, 30m)'],
  ])('refuses %s=%j, naming the bounds', (name, value, message) => {
    expect(problemsFor({ ...DEVICES, [name]: value })).toEqual([`${name} ${message}`]);
  });

  it.each([
    [
      'DEVICES_CLIENT_ID',
      'has space',
      'DEVICES_CLIENT_ID must be the client id ZITADEL shows, printable characters without spaces',
    ],
    [
      'DEVICES_CLIENT_SECRET',
      'secret with space-Wq7TESTSECRET',
      'DEVICES_CLIENT_SECRET must be printable characters without spaces (it is sent in a header)',
    ],
  ])('refuses a malformed %s without echoing it', (name, value, problem) => {
    const found = problemsFor({ ...DEVICES, [name]: value });

    expect(found).toEqual([problem]);
    expect(found.join('\n')).not.toContain(value);
  });

  it('never puts the client secret or a key into any message', () => {
    const found = problemsFor({ ...DEVICES, DEVICES_PUBLIC_URL: 'http://limiter.example.com', PORT: 'x' });

    expect(found.length).toBeGreaterThan(0);
    expect(found.join('\n')).not.toContain(CLIENT_SECRET);
    expect(found.join('\n')).not.toContain(KEY_A);
  });
});
