import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeZitadel } from '../support/fakeZitadel.js';
import { jsonOf, runCli } from './cliProcess.js';

const PAT = 'cli-plans-pat-8Qd';
const MINUTE = 60_000;
const ago = (minutes: number) => new Date(Date.now() - minutes * MINUTE);

describe('enforce and sweep apply each user their own limit, in devices', () => {
  let zitadel: FakeZitadel;
  const env = (extra: Record<string, string> = {}) => ({
    INSTANCE_URL: zitadel.url,
    PAT,
    CONCURRENT_SESSIONS: '2',
    LIMIT_METADATA_KEY: 'session_limit',
    ...extra,
  });

  /** `devices` browsers for the user, each with `perDevice` sessions, the first device signed in longest ago. */
  function seed(userId: string, devices: number, perDevice = 1, organizationId?: string): void {
    for (let device = 0; device < devices; device++)
      for (let session = 0; session < perDevice; session++)
        zitadel.addSession({
          userId,
          creationDate: ago(100 - device * 10 - session),
          fingerprintId: `${userId}-browser-${device}`,
          ...(organizationId === undefined ? {} : { organizationId }),
        });
  }
  const devicesOf = (userId: string) =>
    new Set(zitadel.liveSessionsOf(userId).map((session) => session.fingerprintId)).size;

  beforeEach(async () => {
    zitadel = await new FakeZitadel({ acceptedTokens: [PAT] }).start();
  });
  afterEach(async () => {
    await zitadel.stop();
  });

  it('sweep: basic (metadata 1), premium (metadata 4), an ORG_LIMITS organisation and the default, each to their own limit', async () => {
    seed('1001', 3, 2); // basic: 3 browsers, 2 sessions each
    zitadel.setUserMetadata('1001', 'session_limit', '1');
    seed('1002', 4); // premium: 4 devices stay
    zitadel.setUserMetadata('1002', 'session_limit', '4');
    seed('1003', 3, 1, 'org-unlimited'); // an organisation without a limit
    seed('1004', 3); // no metadata, default 2
    zitadel.catchUpProjection();

    const run = await runCli(['sweep', '--json'], env({ ORG_LIMITS: 'org-unlimited=unlimited' }));

    expect(run.code).toBe(0);
    expect(jsonOf(run)).toMatchObject({ usersOverLimit: 2, sessionsDeleted: 5, devicesRemoved: 3 });
    expect(devicesOf('1001')).toBe(1);
    expect(zitadel.liveSessionsOf('1001')).toHaveLength(2); // the kept browser keeps both its sessions
    expect(devicesOf('1002')).toBe(4);
    expect(devicesOf('1003')).toBe(3);
    expect(devicesOf('1004')).toBe(2);
    // The most recently signed-in browsers stayed.
    expect(
      zitadel
        .liveSessionsOf('1004')
        .map((s) => s.fingerprintId)
        .sort(),
    ).toEqual(['1004-browser-1', '1004-browser-2']);
    // Each user's metadata was read with the User Service v2 search, for the configured key.
    expect(zitadel.requests('POST', '/v2/users/1001/metadata/search')[0]?.body).toMatchObject({
      filters: [{ keyFilter: { key: 'session_limit' } }],
    });

    const again = await runCli(['sweep', '--json'], env({ ORG_LIMITS: 'org-unlimited=unlimited' }));
    expect(jsonOf(again)).toMatchObject({ usersOverLimit: 0, sessionsDeleted: 0 });
  });

  it('enforce: an invalid metadata value falls back to CONCURRENT_SESSIONS and says so', async () => {
    seed('2001', 3);
    zitadel.setUserMetadata('2001', 'session_limit', 'gold');
    zitadel.catchUpProjection();

    const run = await runCli(['enforce', '2001'], env());

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'User 2001: 3 sessions on 3 devices count toward the limit of 2 devices (evict-oldest; limit from CONCURRENT_SESSIONS).',
    );
    expect(run.stdout).toContain('Warning: the limit metadata is not a whole number or "unlimited"');
    expect(run.stdout + run.stderr).not.toContain('gold');
    expect(devicesOf('2001')).toBe(2);
  });
});
