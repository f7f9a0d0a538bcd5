import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/vocabulary.js';

const PAT = 'pat-Zq8vN3xK1mW7TESTSECRET';
const SIGNING_KEY = 'sk-Hj4pL9sR2tY6TESTSECRET';

const VALID_ENV: NodeJS.ProcessEnv = {
  INSTANCE_URL: 'https://my-instance.zitadel.cloud',
  PAT,
  SIGNING_KEY,
};

function load(overrides: NodeJS.ProcessEnv = {}) {
  return loadConfig({ ...VALID_ENV, ...overrides });
}

/** Runs loadConfig expecting a ConfigError, and hands the error back for inspection. */
function configErrorFor(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted an invalid environment');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = load();
    expect(config).toMatchObject({
      port: 3000,
      concurrentSessions: 2,
      limitStrategy: 'evict-oldest',
      dryRun: false,
      signatureToleranceSeconds: 300,
      enforceOnRequest: false,
      logLevel: 'info',
      instanceId: undefined,
      onFailure: 'allow',
      maxConcurrentEnforcements: 32,
      zitadelMaxConcurrency: 64,
      zitadelMaxRps: 40,
    });
    expect(config.instanceUrl).toBe('https://my-instance.zitadel.cloud');
    expect(config.credential).toEqual({ kind: 'pat', token: PAT });
    expect(config.signingKeys).toEqual([SIGNING_KEY]);
  });

  it('reads explicit values', () => {
    const config = load({
      PORT: '8080',
      CONCURRENT_SESSIONS: '5',
      LIMIT_STRATEGY: 'deny-new',
      DRY_RUN: 'true',
      SIGNATURE_TOLERANCE_SECONDS: '60',
      ENFORCE_ON_REQUEST: 'yes',
      LOG_LEVEL: 'debug',
      DENY_MESSAGE: '  Too many devices  ',
      ZITADEL_TIMEOUT_MS: '1000',
      ENFORCEMENT_DEADLINE_MS: '5000',
      DELETE_CONCURRENCY: '4',
      MAX_BODY_BYTES: '4096',
      ZITADEL_INSTANCE_ID: ' 281234567890123456 ',
      ON_FAILURE: 'refuse',
      MAX_CONCURRENT_ENFORCEMENTS: '8',
      ZITADEL_MAX_CONCURRENCY: '16',
    });
    expect(config).toMatchObject({
      port: 8080,
      concurrentSessions: 5,
      limitStrategy: 'deny-new',
      dryRun: true,
      signatureToleranceSeconds: 60,
      enforceOnRequest: true,
      logLevel: 'debug',
      denyMessage: 'Too many devices',
      zitadelTimeoutMs: 1000,
      enforcementDeadlineMs: 5000,
      deleteConcurrency: 4,
      maxBodyBytes: 4096,
      instanceId: '281234567890123456',
      onFailure: 'refuse',
      maxConcurrentEnforcements: 8,
      zitadelMaxConcurrency: 16,
    });
  });

  it.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['no', false],
  ])('reads DRY_RUN=%s as %s', (value, expected) => {
    expect(load({ DRY_RUN: value }).dryRun).toBe(expected);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '3000.5'],
    ['CONCURRENT_SESSIONS', '0'],
    ['CONCURRENT_SESSIONS', 'two'],
    ['LIMIT_STRATEGY', 'evict-newest'],
    ['DRY_RUN', 'maybe'],
    ['SIGNATURE_TOLERANCE_SECONDS', '0'],
    ['SIGNATURE_TOLERANCE_SECONDS', '86401'],
    ['ENFORCE_ON_REQUEST', '2'],
    ['LOG_LEVEL', 'trace'],
    ['DENY_MESSAGE', 'x'.repeat(501)],
    ['ZITADEL_TIMEOUT_MS', '50'],
    ['ENFORCEMENT_DEADLINE_MS', '100'],
    ['DELETE_CONCURRENCY', '0'],
    ['MAX_BODY_BYTES', '10'],
    ['ZITADEL_INSTANCE_ID', 'https://my-instance.zitadel.cloud'],
    ['ON_FAILURE', 'ignore'],
    ['MAX_CONCURRENT_ENFORCEMENTS', '0'],
    ['ZITADEL_MAX_CONCURRENCY', '0'],
    ['ZITADEL_MAX_RPS', '0'],
    ['ZITADEL_MAX_RPS', '2.5'],
    ['ZITADEL_MAX_RPS', 'unlimited'],
    ['ZITADEL_MAX_RPS', '100001'],
    ['INSTANCE_URL', 'not a url'],
  ])('refuses %s=%s with a ConfigError naming the variable', (name, value) => {
    const error = configErrorFor({ ...VALID_ENV, [name]: value });
    expect(error.message).toContain(name);
    expect(error.problems.some((problem) => problem.startsWith(`${name} `))).toBe(true);
  });

  it('reads ZITADEL_MAX_RPS as requests per second, or off (no budget), in any case', () => {
    expect(load({ ZITADEL_MAX_RPS: '25' }).zitadelMaxRps).toBe(25);
    expect(load({ ZITADEL_MAX_RPS: ' OFF ' }).zitadelMaxRps).toBeUndefined();
  });

  it.each(['INSTANCE_URL', 'PAT', 'SIGNING_KEY'])('refuses a missing %s, naming it', (name) => {
    const env: NodeJS.ProcessEnv = { ...VALID_ENV };
    delete env[name];
    const error = configErrorFor(env);
    expect(error.name).toBe('ConfigError');
    expect(error.message).toContain(name);
  });

  it('lists every bad variable at once', () => {
    const error = configErrorFor({ PAT, PORT: 'x', LIMIT_STRATEGY: 'y', DRY_RUN: 'z' });
    for (const name of ['PORT', 'LIMIT_STRATEGY', 'DRY_RUN', 'INSTANCE_URL', 'SIGNING_KEY']) {
      expect(error.message).toContain(name);
    }
  });

  it('refuses an enforcement deadline shorter than the ZITADEL timeout', () => {
    const error = configErrorFor({
      ...VALID_ENV,
      ZITADEL_TIMEOUT_MS: '5000',
      ENFORCEMENT_DEADLINE_MS: '1000',
    });
    expect(error.message).toContain('ENFORCEMENT_DEADLINE_MS');
  });

  it('never puts the signing key in the message, even when it is malformed', () => {
    const malformedKey = 'abcSECRETKEY,,defSECRETKEY';
    const error = configErrorFor({ ...VALID_ENV, SIGNING_KEY: malformedKey });
    expect(error.message).toContain('SIGNING_KEY');
    expect(error.message).not.toContain('abcSECRETKEY');
    expect(error.message).not.toContain('defSECRETKEY');
    expect(error.message).not.toContain(PAT);
  });

  it('never puts the PAT or the signing key in the message when another variable is bad', () => {
    const error = configErrorFor({
      ...VALID_ENV,
      INSTANCE_URL: `ftp://${PAT}@example.com/?key=${SIGNING_KEY}`,
    });
    expect(error.message).toContain('INSTANCE_URL');
    expect(error.message).not.toContain(PAT);
    expect(error.message).not.toContain(SIGNING_KEY);
    expect(JSON.stringify(error.problems)).not.toContain(PAT);
  });

  it('never puts the values of bad variables in the message', () => {
    const error = configErrorFor({ ...VALID_ENV, PORT: 'port-value-XYZ', LOG_LEVEL: 'level-value-XYZ' });
    expect(error.message).not.toContain('XYZ');
  });

  it.each([
    ['https://my-instance.zitadel.cloud', 'https://my-instance.zitadel.cloud'],
    ['https://my-instance.zitadel.cloud/', 'https://my-instance.zitadel.cloud'],
    ['https://auth.example.com:8443', 'https://auth.example.com:8443'],
    ['http://localhost:8080', 'http://localhost:8080'],
    ['http://127.0.0.1:8080/', 'http://127.0.0.1:8080'],
    ['http://[::1]:8080', 'http://[::1]:8080'],
  ])('accepts INSTANCE_URL %s as %s', (value, expected) => {
    expect(load({ INSTANCE_URL: value }).instanceUrl).toBe(expected);
  });

  it.each([
    ['plain http to a public host', 'http://my-instance.zitadel.cloud'],
    ['plain http to a private address', 'http://10.0.0.5:8080'],
    ['another scheme', 'ftp://my-instance.zitadel.cloud'],
    ['a query string', 'https://my-instance.zitadel.cloud/?org=1'],
    ['a fragment', 'https://my-instance.zitadel.cloud/#x'],
    ['credentials', 'https://user:pass@my-instance.zitadel.cloud'],
    ['a user name only', 'https://user@my-instance.zitadel.cloud'],
    ['no scheme', 'my-instance.zitadel.cloud'],
  ])('refuses an INSTANCE_URL with %s', (_name, value) => {
    expect(configErrorFor({ ...VALID_ENV, INSTANCE_URL: value }).message).toContain('INSTANCE_URL');
  });

  it.each([
    'https://my-instance.zitadel.cloud/ui/console',
    'https://my-instance.zitadel.cloud/ui/console/users',
    'https://auth.example.com/ui/v2/login/loginname',
  ])('refuses the console or login URL %s, asking for the base URL', (value) => {
    expect(configErrorFor({ ...VALID_ENV, INSTANCE_URL: value }).message).toContain(
      "INSTANCE_URL must be the instance's base URL (e.g. https://my-instance.zitadel.cloud), not the console or login URL",
    );
  });

  it.each([
    'https://my-instance.zitadel.cloud/v2',
    'https://my-instance.zitadel.cloud/v2/',
    'https://my-instance.zitadel.cloud/management/v1',
    'https://auth.example.com/zitadel',
  ])('refuses the INSTANCE_URL %s with a path, saying to drop it', (value) => {
    expect(configErrorFor({ ...VALID_ENV, INSTANCE_URL: value }).problems).toEqual([
      "INSTANCE_URL must be the instance's base URL without a path (e.g. https://my-instance.zitadel.cloud): ZITADEL serves its APIs at the domain's root, so drop the path",
    ]);
  });

  it.each(['Bearer ', 'bearer ', 'BEARER  '])(
    'refuses a PAT that starts with "%s", naming the fix and never the token',
    (prefix) => {
      const error = configErrorFor({ ...VALID_ENV, PAT: `${prefix}${PAT}` });
      expect(error.problems).toEqual([
        'PAT must be the bare token, without the "Bearer " prefix: the limiter sends "Authorization: Bearer <PAT>" itself',
      ]);
      expect(error.message).not.toContain(PAT);
    },
  );

  it('accepts a PAT that merely contains the word Bearer', () => {
    expect(load({ PAT: `${PAT}Bearer` }).credential).toEqual({ kind: 'pat', token: `${PAT}Bearer` });
  });

  it.each([
    ['0.0.0.0', '0.0.0.0'],
    ['::', '::'],
    ['[::1]', '::1'],
    [' 10.0.0.7 ', '10.0.0.7'],
    ['localhost', 'localhost'],
  ])("listens on HOST=%s (%s); every interface (Node's default) when unset", (value, expected) => {
    expect(load({ HOST: value }).host).toBe(expected);
    expect(load().host).toBeUndefined();
  });

  it.each(['my-laptop', 'limiter.example.com', '0.0.0.0:3000', '300.1.1.1'])(
    'refuses HOST=%s, naming HOST and the addresses to use',
    (value) => {
      const error = configErrorFor({ ...VALID_ENV, HOST: value });
      expect(error.problems).toEqual([
        'HOST must be an IP address to listen on: 127.0.0.1 (this machine only), 0.0.0.0 (every IPv4 interface) or :: (every interface, IPv6 too); leave it unset for every interface; a host name is not accepted',
      ]);
    },
  );

  it('points a missing SIGNING_KEY at the setup command that prints it', () => {
    expect(configErrorFor({ ...VALID_ENV, SIGNING_KEY: '' }).message).toContain(
      "SIGNING_KEY is required (the target's signing key, which setup prints: npm run setup -- --endpoint",
    );
  });

  it('does not echo credentials of a refused INSTANCE_URL', () => {
    const error = configErrorFor({
      ...VALID_ENV,
      INSTANCE_URL: 'https://admin:hunter2pass@my-instance.zitadel.cloud',
    });
    expect(error.message).not.toContain('hunter2pass');
  });

  it('splits SIGNING_KEY on commas and trims each key', () => {
    expect(load({ SIGNING_KEY: ' new-key , old-key ' }).signingKeys).toEqual(['new-key', 'old-key']);
  });

  it('trims the PAT', () => {
    expect(load({ PAT: `  ${PAT}\n` }).credential).toEqual({ kind: 'pat', token: PAT });
  });

  it('refuses a SIGNING_KEY with a trailing comma', () => {
    expect(configErrorFor({ ...VALID_ENV, SIGNING_KEY: 'a,' }).message).toContain('SIGNING_KEY');
  });

  it('treats blank variables as unset, so defaults apply', () => {
    const config = load({
      PORT: '',
      CONCURRENT_SESSIONS: '   ',
      LIMIT_STRATEGY: '',
      DRY_RUN: ' ',
      DENY_MESSAGE: '  ',
    });
    expect(config.port).toBe(3000);
    expect(config.concurrentSessions).toBe(2);
    expect(config.limitStrategy).toBe('evict-oldest');
    expect(config.dryRun).toBe(false);
    expect(config.denyMessage.length).toBeGreaterThan(0);
  });

  it.each(['PAT', 'SIGNING_KEY', 'INSTANCE_URL'])('reports a blank required %s as missing', (name) => {
    expect(configErrorFor({ ...VALID_ENV, [name]: '  ' }).message).toContain(name);
  });

  it('ignores unrelated environment variables', () => {
    expect(load({ HOME: '/root', NODE_ENV: 'production' }).port).toBe(3000);
  });

  it('returns a frozen configuration', () => {
    const config = load({ SIGNING_KEY: 'a,b' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.credential)).toBe(true);
    expect(Object.isFrozen(config.signingKeys)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
  });
});

describe('loadConfig reports every problem at once', () => {
  it('names a missing credential even when INSTANCE_URL is also wrong', () => {
    const error = configErrorFor({ INSTANCE_URL: 'ftp://x', SIGNING_KEY });
    expect(error.message).toContain('INSTANCE_URL');
    expect(error.message).toContain('credential missing');
  });
});

describe('loadConfig: limits against abuse', () => {
  it('defaults MAX_BODY_BYTES to 64 KiB and MAX_CONNECTIONS to 512, and leaves /metrics open', () => {
    expect(load()).toMatchObject({ maxBodyBytes: 65_536, maxConnections: 512, metricsToken: undefined });
  });

  it('reads MAX_CONNECTIONS and METRICS_TOKEN', () => {
    const token = 'mt-4f9a1c7e2b8d6f03a5c1';
    expect(load({ MAX_CONNECTIONS: '64', METRICS_TOKEN: token })).toMatchObject({
      maxConnections: 64,
      metricsToken: token,
    });
  });

  it.each(['0', '-1', 'many', '1.5'])('refuses MAX_CONNECTIONS=%s, naming it', (value) => {
    expect(configErrorFor({ ...VALID_ENV, MAX_CONNECTIONS: value }).message).toContain('MAX_CONNECTIONS');
  });

  it('accepts three signing keys (a rotation and one spare)', () => {
    expect(load({ SIGNING_KEY: 'k1-aaaaaaaa,k2-bbbbbbbb,k3-cccccccc' }).signingKeys).toHaveLength(3);
  });

  it('refuses a fourth signing key, saying why and never echoing a key', () => {
    const keys = ['k1-SECRETaaaa', 'k2-SECRETbbbb', 'k3-SECRETcccc', 'k4-SECRETdddd'];
    const message = configErrorFor({ ...VALID_ENV, SIGNING_KEY: keys.join(',') }).message;
    expect(message).toContain('SIGNING_KEY');
    expect(message).toContain('at most 3');
    expect(message).toContain('HMAC');
    expect(message).not.toContain('SECRET');
  });

  it.each([
    ['too short', 'short-SECRET'],
    ['with a space inside', 'abcdefgh SECRET ijklmnop'],
    ['with a non-ASCII character', 'abcdefghSECRETijklmnöp'],
  ])('refuses a METRICS_TOKEN %s, without echoing it', (_name, token) => {
    const message = configErrorFor({ ...VALID_ENV, METRICS_TOKEN: token }).message;
    expect(message).toContain('METRICS_TOKEN');
    expect(message).not.toContain('SECRET');
  });
});
