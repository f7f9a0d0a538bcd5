import { describe, expect, it } from 'vitest';
import { loadConfig, loadLimitSettings } from '../../src/config.js';
import { ConfigError } from '../../src/vocabulary.js';

const VALID_ENV: NodeJS.ProcessEnv = {
  INSTANCE_URL: 'https://my-instance.zitadel.cloud',
  PAT: 'pat-test',
  SIGNING_KEY: 'sk-test',
};

function problemsFor(env: NodeJS.ProcessEnv): readonly string[] {
  try {
    loadConfig({ ...VALID_ENV, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('loadConfig accepted an invalid environment');
}

describe('the device and per-plan variables', () => {
  it('default to devices, last sign-in, fully signed-in sessions, no metadata, no organisation limits', () => {
    const config = loadConfig(VALID_ENV);
    expect(config).toMatchObject({
      countBy: 'device',
      evictionOrder: 'last-authenticated',
      countWhen: 'signed-in',
      limitMetadataKey: undefined,
      limitMetadataTtlMs: 60_000,
    });
    expect(config.orgLimits.size).toBe(0);
  });

  it('read the old behaviour back when asked', () => {
    const config = loadConfig({
      ...VALID_ENV,
      COUNT_BY: 'session',
      EVICTION_ORDER: 'created',
      COUNT_WHEN: 'any-factor',
      LIMIT_METADATA_KEY: ' session_limit ',
      LIMIT_METADATA_TTL_SECONDS: '5',
    });
    expect(config).toMatchObject({
      countBy: 'session',
      evictionOrder: 'created',
      countWhen: 'any-factor',
      limitMetadataKey: 'session_limit',
      limitMetadataTtlMs: 5000,
    });
  });

  it('reads ORG_LIMITS as a limit per organisation id', () => {
    const config = loadConfig({ ...VALID_ENV, ORG_LIMITS: '123456789=1, 987654321=unlimited,42=4' });
    expect([...config.orgLimits]).toEqual([
      ['123456789', 1],
      ['987654321', 'unlimited'],
      ['42', 4],
    ]);
  });

  it.each([
    ['123', 'entry 1 is not orgId=limit'],
    ['1=2,,3=4', 'entry 2 is not orgId=limit'],
    ['=2', 'entry 1 is not orgId=limit'],
    ['1=2=3', 'entry 1 is not orgId=limit'],
    ['1=0', 'entry 1 has a limit that is not a whole number'],
    ['1=two', 'entry 1 has a limit that is not a whole number'],
    ['1=2,1=3', 'entry 2 names an organisation a second time'],
  ])('stops start-up on ORG_LIMITS=%j, naming the variable and the entry', (value, message) => {
    const problems = problemsFor({ ORG_LIMITS: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('ORG_LIMITS');
    expect(problems[0]).toContain(message);
  });

  it.each([
    ['COUNT_BY', 'browser', 'must be device or session'],
    ['EVICTION_ORDER', 'newest', 'must be last-authenticated or created'],
    ['COUNT_WHEN', 'always', 'must be signed-in or any-factor'],
    ['LIMIT_METADATA_TTL_SECONDS', '-1', 'must be a whole number'],
    ['LIMIT_METADATA_KEY', 'k'.repeat(201), 'must be at most 200 characters'],
  ])('stops start-up on a bad %s', (name, value, message) => {
    const problems = problemsFor({ [name]: value });
    expect(problems).toEqual([expect.stringContaining(`${name} ${message}`)]);
  });

  it('gives the operator CLI the same settings', () => {
    const settings = loadLimitSettings({
      ORG_LIMITS: '7=3',
      COUNT_BY: 'session',
      LIMIT_METADATA_KEY: 'plan',
    });
    expect(settings).toMatchObject({ countBy: 'session', limitMetadataKey: 'plan', countWhen: 'signed-in' });
    expect(settings.orgLimits.get('7')).toBe(3);
  });
});
