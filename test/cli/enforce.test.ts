import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeZitadel, type FakeSession } from '../support/fakeZitadel.js';
import { jsonOf, runCli } from './cliProcess.js';

const PAT = 'cli-enforcer-pat-7Qd';
const MINUTE = 60_000;

describe('enforce', () => {
  let zitadel: FakeZitadel;
  let byAge: FakeSession[];
  const env = (extra: Record<string, string> = {}) => ({ INSTANCE_URL: zitadel.url, PAT, ...extra });

  // A service account that may read sessions but not delete them: ZITADEL answers 403 to every DELETE.
  let refuseDeletes = false;

  beforeEach(async () => {
    refuseDeletes = false;
    zitadel = await new FakeZitadel({
      acceptedTokens: [PAT],
      protectedRoutes: (app) => {
        app.delete('/v2/sessions/:id', (_req, res, next) => {
          if (refuseDeletes)
            res.status(403).json({ code: 7, message: 'No matching permissions found (AUTH-5mWD2)' });
          else next();
        });
      },
    }).start();
    // Newest first: 10, 20, 30, 40 minutes old, plus one that only has a username and one of another user.
    byAge = [10, 20, 30, 40].map((minutes) =>
      zitadel.addSession({ userId: '1001', creationDate: new Date(Date.now() - minutes * MINUTE) }),
    );
    zitadel.addSession({ userId: '1001', factors: [], creationDate: new Date(Date.now() - 50 * MINUTE) });
    zitadel.addSession({ userId: '2002', creationDate: new Date(Date.now() - 60 * MINUTE) });
  });

  afterEach(async () => {
    await zitadel.stop();
  });

  it('deletes the oldest counted sessions beyond the limit and says which', async () => {
    const run = await runCli(['enforce', '1001'], env());

    expect(run.code).toBe(0);
    const [newest, second, third, fourth] = byAge.map((session) => session.id);
    expect(
      zitadel
        .liveSessionsOf('1001')
        .map((session) => session.id)
        .sort(),
    ).toEqual([newest, second, expect.any(String)].sort());
    expect(
      zitadel
        .requests('DELETE', '/v2/sessions')
        .map((request) => request.path)
        .sort(),
    ).toEqual([`/v2/sessions/${third}`, `/v2/sessions/${fourth}`].sort());
    expect(zitadel.liveSessionsOf('2002')).toHaveLength(1);
    expect(run.stdout).toContain(
      'User 1001: 4 sessions on 4 devices count toward the limit of 2 devices (evict-oldest; limit from CONCURRENT_SESSIONS).',
    );
    expect(run.stdout).toContain(`Deleted 2 (2 devices): ${third}, ${fourth}`);
    expect(run.stdout).toContain(`Kept 2: ${newest}, ${second}`);
  });

  it('resolves a login name to the user, as sessions does, instead of taking it for a user id', async () => {
    const run = await runCli(['enforce', '1001@example.com', '--dry-run'], env());

    expect(run.code).toBe(0);
    const [, , third, fourth] = byAge.map((session) => session.id);
    expect(run.stdout).toContain(
      'User 1001 (login name 1001@example.com): 4 sessions on 4 devices count toward the limit of 2 devices (evict-oldest; limit from CONCURRENT_SESSIONS).',
    );
    expect(run.stdout).toContain(`Would delete 2 (2 devices): ${third}, ${fourth}`);
    expect(zitadel.requests('POST', '/v2/users').at(-1)?.body).toMatchObject({
      queries: [{ loginNameQuery: { loginName: '1001@example.com', method: 'TEXT_QUERY_METHOD_EQUALS' } }],
    });
    expect(zitadel.requests('POST', '/v2/sessions/search').at(-1)?.body).toMatchObject({
      queries: [{ userIdQuery: { id: '1001' } }],
    });
    expect(zitadel.requests('DELETE', '/v2/sessions')).toEqual([]);

    const json = await runCli(['enforce', '1001@example.com', '--json'], env());
    expect(jsonOf(json)).toMatchObject({ ok: true, userId: '1001', loginName: '1001@example.com' });
    expect(zitadel.liveSessionsOf('1001')).toHaveLength(3);
  });

  it('exits with 2 for a login name no user has, and for an empty user, before any deletion', async () => {
    const unknown = await runCli(['enforce', 'nobody@example.com'], env());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no user has the login name "nobody@example.com"');
    expect(zitadel.requests('POST', '/v2/sessions/search')).toEqual([]);

    const empty = await runCli(['enforce', ' '], env());
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('<userId | loginName> must not be empty');
    expect(zitadel.requests('DELETE', '/v2/sessions')).toEqual([]);
    expect(zitadel.liveSessionsOf('1001')).toHaveLength(5);
  });

  it('deletes nothing with --dry-run, and reports what it would delete as JSON', async () => {
    const run = await runCli(['enforce', '1001', '--dry-run', '--json'], env());

    expect(run.code).toBe(0);
    expect(zitadel.requests('DELETE', '/v2/sessions')).toHaveLength(0);
    expect(jsonOf(run)).toMatchObject({
      ok: true,
      command: 'enforce',
      outcome: 'enforced',
      dryRun: true,
      counted: 4,
      deleted: [byAge[2]!.id, byAge[3]!.id],
      kept: [byAge[0]!.id, byAge[1]!.id],
      failed: [],
    });
  });

  it('keeps the oldest under deny-new, as a sweep of that strategy does', async () => {
    const run = await runCli(['enforce', '1001', '--json'], env({ LIMIT_STRATEGY: 'deny-new' }));

    expect(run.code).toBe(0);
    expect(jsonOf(run)).toMatchObject({ strategy: 'deny-new', deleted: [byAge[0]!.id, byAge[1]!.id] });
  });

  it('honours DRY_RUN=true from the environment', async () => {
    const run = await runCli(['enforce', '1001'], env({ DRY_RUN: 'true' }));

    expect(run.code).toBe(0);
    expect(zitadel.requests('DELETE', '/v2/sessions')).toHaveLength(0);
    expect(run.stdout).toContain('Would delete 2');
    expect(run.stderr).toContain('DRY_RUN=true');
  });

  it('changes nothing when run again', async () => {
    await runCli(['enforce', '1001'], env());
    const deletes = zitadel.requests('DELETE', '/v2/sessions').length;

    const again = await runCli(['enforce', '1001', '--json'], env());

    expect(again.code).toBe(0);
    expect(jsonOf(again)).toMatchObject({ outcome: 'within_limit', deleted: [] });
    expect(zitadel.requests('DELETE', '/v2/sessions')).toHaveLength(deletes);
  });

  it('rides out a 429 and a 503', async () => {
    zitadel.queuedFaults.push(429, 503);

    const run = await runCli(['enforce', '1001'], env());

    expect(run.code).toBe(0);
    expect(zitadel.liveSessionsOf('1001')).toHaveLength(3);
  });

  it('exits with 4 and lists what was not deleted when ZITADEL refuses the deletions', async () => {
    refuseDeletes = true;

    const run = await runCli(['enforce', '1001', '--json'], env());

    expect(run.code).toBe(4);
    expect(jsonOf(run)).toMatchObject({ ok: false, deleted: [], failed: [byAge[2]!.id, byAge[3]!.id] });
    expect(run.stderr).toContain('2 deletions did not go through');
    expect(zitadel.liveSessionsOf('1001')).toHaveLength(5);
  });

  it('exits with 4 when ZITADEL refuses the credential, and with 2 or 3 on bad input', async () => {
    const refused = await runCli(['enforce', '1001'], env({ PAT: 'revoked-pat' }));
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('refused the credential (HTTP 401, code 16)');

    const usage = await runCli(['enforce'], env());
    expect(usage.code).toBe(2);
    const extra = await runCli(['enforce', '1001', '1002'], env());
    expect(extra.code).toBe(2);
    const unknown = await runCli(['enforce', '1001', '--force'], env());
    expect(unknown.code).toBe(2);
    const config = await runCli(['enforce', '1001'], env({ LIMIT_STRATEGY: 'random' }));
    expect(config.code).toBe(3);
    expect(config.stderr).toContain('LIMIT_STRATEGY');
  });

  it('exits with 3 and names the variable, never the key, when the key file holds no RSA key', async () => {
    const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const keyJson = JSON.stringify({ type: 'serviceaccount', keyId: 'k1', key: ecKey, userId: 'u1' });
    const run = await runCli(['enforce', '1001'], { INSTANCE_URL: zitadel.url, ZITADEL_KEY_JSON: keyJson });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('ZITADEL_KEY_FILE / ZITADEL_KEY_JSON');
    expect(run.stderr).not.toContain(ecKey.split('\n')[1]!);
  });
});
