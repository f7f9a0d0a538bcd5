import { describe, expect, it } from 'vitest';
import { readLocalSigningKey } from '../../src/cli/localSigningKey.js';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/vocabulary.js';

// Everything the service needs besides SIGNING_KEY, valid, so that loadConfig's verdict is about the key alone.
const SERVICE_ENV: NodeJS.ProcessEnv = { INSTANCE_URL: 'https://example.zitadel.cloud', PAT: 'pat-Xy7' };

/** The service's verdict: the keys it would run with, or the problems it names when it refuses to start. */
function serviceVerdict(signingKey: string | undefined) {
  try {
    return { keys: loadConfig({ ...SERVICE_ENV, SIGNING_KEY: signingKey }).signingKeys };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { problems: error.problems };
  }
}

describe("doctor's reading of SIGNING_KEY agrees with the service's", () => {
  it.each([
    ['one key', 'sk-one'],
    ['a rotation, trimmed', ' sk-new , sk-old '],
    ['three keys, the most accepted', 'k1,k2,k3'],
  ])('accepts %s with the same keys', (_name, signingKey) => {
    const keys = serviceVerdict(signingKey).keys;
    expect(keys).toBeDefined();
    expect(readLocalSigningKey({ SIGNING_KEY: signingKey })).toEqual({ state: 'valid', keys });
  });

  it.each([
    ['a trailing comma', 'sk-one,'],
    ['a leading comma', ',sk-one'],
    ['an empty key between commas', 'sk-new,,sk-old'],
    ['a blank key between commas', 'sk-new, ,sk-old'],
    ['only commas', ',,'],
    ['four keys', 'k1,k2,k3,k4'],
  ])('refuses %s with the same problems', (_name, signingKey) => {
    const problems = serviceVerdict(signingKey).problems;
    expect(problems).toEqual([expect.stringMatching(/^SIGNING_KEY /)]);
    expect(readLocalSigningKey({ SIGNING_KEY: signingKey })).toEqual({ state: 'invalid', problems });
  });

  it.each([
    ['unset', undefined],
    ['blank', '  '],
  ])('reads a %s SIGNING_KEY as unset, where the service reports it missing', (_name, signingKey) => {
    expect(serviceVerdict(signingKey).problems).toEqual([expect.stringMatching(/^SIGNING_KEY is required/)]);
    expect(readLocalSigningKey({ SIGNING_KEY: signingKey })).toEqual({ state: 'unset' });
  });

  it('never puts the key into a problem', () => {
    const verdict = readLocalSigningKey({ SIGNING_KEY: 'sk-Secret-9,,x' });
    expect(verdict.state).toBe('invalid');
    expect(JSON.stringify(verdict)).not.toContain('sk-Secret-9');
  });
});
