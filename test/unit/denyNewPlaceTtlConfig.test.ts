import { describe, expect, it } from 'vitest';
import { loadConfig, loadLimitSettings } from '../../src/config.js';
import { ConfigError } from '../../src/vocabulary.js';

const ENV: NodeJS.ProcessEnv = {
  INSTANCE_URL: 'https://my-instance.zitadel.cloud',
  PAT: 'pat-Zq8vN3xK1mW7TESTSECRET',
  SIGNING_KEY: 'sk-Hj4pL9sR2tY6TESTSECRET',
};

const HOUR = 3_600_000;

describe('DENY_NEW_PLACE_TTL', () => {
  it("defaults to 24 hours, Login V2's default session lifetime, for the service and the CLI alike", () => {
    expect(loadConfig(ENV).denyNewPlaceTtlMs).toBe(24 * HOUR);
    expect(loadLimitSettings({}).denyNewPlaceTtlMs).toBe(24 * HOUR);
  });

  it.each([
    ['90m', 90 * 60_000],
    ['36h', 36 * HOUR],
    ['7d', 7 * 24 * HOUR],
    ['3600s', HOUR],
    [' 12H ', 12 * HOUR],
  ])('reads %j as a duration', (value, ms) => {
    expect(loadConfig({ ...ENV, DENY_NEW_PLACE_TTL: value }).denyNewPlaceTtlMs).toBe(ms);
  });

  it.each(['off', 'OFF', '0', '0h'])(
    '%j turns ageing off: places are held until the session ends',
    (value) => {
      expect(loadConfig({ ...ENV, DENY_NEW_PLACE_TTL: value }).denyNewPlaceTtlMs).toBeUndefined();
    },
  );

  it.each(['24', '1.5h', '-1h', '2w', '400d', 'forever'])(
    'refuses %j at start-up, naming the variable and the form it takes',
    (value) => {
      let problems: readonly string[] = [];
      try {
        loadConfig({ ...ENV, DENY_NEW_PLACE_TTL: value });
      } catch (error) {
        if (error instanceof ConfigError) problems = error.problems;
      }
      expect(problems).toEqual([
        'DENY_NEW_PLACE_TTL must be a duration with a unit, up to 366d (e.g. 24h, 90m, 7d), or off',
      ]);
    },
  );
});
