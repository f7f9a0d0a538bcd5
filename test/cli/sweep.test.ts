import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeZitadel } from '../support/fakeZitadel.js';
import { jsonOf, runCli } from './cliProcess.js';

const PAT = 'cli-sweeper-pat-2Wm';
const MINUTE = 60_000;

/** Counted sessions: the user's own, live, authenticated and not expired. */
function countedOf(zitadel: FakeZitadel, userId: string): number {
  return zitadel
    .liveSessionsOf(userId)
    .filter(
      (s) =>
        s.factors.length > 0 && (s.expirationDate === undefined || s.expirationDate.getTime() > Date.now()),
    ).length;
}

describe('sweep', () => {
  let zitadel: FakeZitadel;
  // The fake puts every session in org-1; these users are moved to org-2 in the search answers.
  const secondOrgUsers = new Set<string>();
  const env = (extra: Record<string, string> = {}) => ({ INSTANCE_URL: zitadel.url, PAT, ...extra });

  beforeEach(async () => {
    secondOrgUsers.clear();
    zitadel = await new FakeZitadel({
      acceptedTokens: [PAT],
      protectedRoutes: (app) => {
        app.post('/v2/sessions/search', (_req, res, next) => {
          const send = res.json.bind(res);
          res.json = (body: {
            sessions?: { factors: { user: { id: string; organizationId: string } } }[];
          }) => {
            for (const session of body.sessions ?? []) {
              if (secondOrgUsers.has(session.factors.user.id)) session.factors.user.organizationId = 'org-2';
            }
            return send(body);
          };
          next();
        });
      },
    }).start();
    const ago = (minutes: number) => new Date(Date.now() - minutes * MINUTE);
    for (let i = 0; i < 5; i++) zitadel.addSession({ userId: '1001', creationDate: ago(10 + i) });
    for (let i = 0; i < 3; i++) zitadel.addSession({ userId: '1002', creationDate: ago(20 + i) });
    zitadel.addSession({ userId: '1003', creationDate: ago(5) });
    // Two that count, plus three that do not: expired, and username steps.
    zitadel.addSession({ userId: '1004', creationDate: ago(1) });
    zitadel.addSession({ userId: '1004', creationDate: ago(2) });
    zitadel.addSession({ userId: '1004', creationDate: ago(3), expirationDate: ago(1) });
    zitadel.addSession({ userId: '1004', creationDate: ago(4), factors: [] });
    zitadel.addSession({ userId: '1004', creationDate: ago(5), factors: [] });
  });

  afterEach(async () => {
    await zitadel.stop();
  });

  it('brings every user back to the limit, and a second run changes nothing', async () => {
    const first = await runCli(['sweep', '--json'], env());

    expect(first.code).toBe(0);
    for (const userId of ['1001', '1002', '1003', '1004'])
      expect(countedOf(zitadel, userId)).toBeLessThanOrEqual(2);
    expect(countedOf(zitadel, '1001')).toBe(2);
    expect(countedOf(zitadel, '1002')).toBe(2);
    expect(zitadel.liveSessionsOf('1004')).toHaveLength(5);
    expect(jsonOf(first)).toMatchObject({
      ok: true,
      command: 'sweep',
      limit: 2,
      sessionsListed: 14,
      usersSeen: 4,
      usersOverLimit: 2,
      sessionsDeleted: 4,
      usersFailed: 0,
    });
    const listing = zitadel.requests('POST', '/v2/sessions/search')[0]?.body as Record<string, unknown>;
    expect(listing).toEqual({
      query: { offset: '0', limit: 500, asc: true },
      sortingColumn: 'SESSION_FIELD_NAME_CREATION_DATE',
    });

    const deletes = zitadel.requests('DELETE', '/v2/sessions').length;
    const second = await runCli(['sweep', '--json'], env());

    expect(second.code).toBe(0);
    expect(zitadel.requests('DELETE', '/v2/sessions')).toHaveLength(deletes);
    expect(jsonOf(second)).toMatchObject({ usersOverLimit: 0, sessionsDeleted: 0 });
  });

  it('prints a readable summary and no progress line when stderr is not a terminal', async () => {
    const run = await runCli(['sweep'], env());

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'User 1001: 5 sessions on 5 devices count toward the limit of 2 devices (evict-oldest; limit from CONCURRENT_SESSIONS).',
    );
    expect(run.stdout).toContain(
      'Sweep: 14 sessions listed, 4 users, 2 over the limit of 2 (evict-oldest); 4 sessions deleted on 4 devices.',
    );
    expect(run.stderr).not.toContain('\r');
  });

  it('only touches one organisation with --org', async () => {
    secondOrgUsers.add('1002');

    const preview = await runCli(['sweep', '--org', 'org-2', '--dry-run'], env());
    expect(preview.stdout).toContain(
      'Sweep (dry run): 14 sessions listed, 1 user in organisation org-2, 1 over the limit of 2 (evict-oldest); 1 session would be deleted on 1 device.',
    );

    const run = await runCli(['sweep', '--org', 'org-2', '--json'], env());

    expect(run.code).toBe(0);
    expect(countedOf(zitadel, '1002')).toBe(2);
    expect(countedOf(zitadel, '1001')).toBe(5);
    expect(jsonOf(run)).toMatchObject({
      organisation: 'org-2',
      usersSeen: 1,
      usersOverLimit: 1,
      sessionsDeleted: 1,
      sessionsOfOtherOrganisations: 11,
    });
  });

  it('deletes nothing with --dry-run', async () => {
    const run = await runCli(['sweep', '--dry-run', '--concurrency', '1'], env());

    expect(run.code).toBe(0);
    expect(zitadel.requests('DELETE', '/v2/sessions')).toHaveLength(0);
    expect(run.stdout).toContain(
      'Sweep (dry run): 14 sessions listed, 4 users, 2 over the limit of 2 (evict-oldest); 4 sessions would be deleted on 4 devices.',
    );
  });

  it('pages through more sessions than one page holds', async () => {
    for (let i = 0; i < 1100; i++)
      zitadel.addSession({
        userId: `2${String(i % 550).padStart(3, '0')}`,
        creationDate: new Date(Date.now() - (i + 100) * 1000),
      });

    // About 1,100 calls (a search and a deletion per user): under the default budget of 40 calls a second that is
    // half a minute of waiting for the token bucket (41 s in CI), which tests nothing here; the budget has its own
    // tests.
    const run = await runCli(
      ['sweep', '--json', '--concurrency', '8'],
      env({ CONCURRENT_SESSIONS: '1', ZITADEL_MAX_RPS: 'off' }),
    );

    expect(run.code).toBe(0);
    const offsets = zitadel
      .requests('POST', '/v2/sessions/search')
      .map((request) => (request.body as { query?: { offset?: string } }).query?.offset);
    expect(offsets.slice(0, 2)).toEqual(['0', '500']);
    expect(jsonOf(run)).toMatchObject({
      sessionsListed: 1114,
      usersSeen: 554,
      usersOverLimit: 553,
      usersFailed: 0,
    });
    expect(countedOf(zitadel, '2000')).toBe(1);
    expect(countedOf(zitadel, '2549')).toBe(1);
  });

  it('counts every page of a three-page listing, each session once, and asks for no page past the total', async () => {
    // 986 more sessions for 14 users (1000 with the 14 above): with the limit high no one is over it, so the run
    // is the census alone and quick.
    for (let i = 0; i < 986; i++)
      zitadel.addSession({
        userId: `3${String(i % 14).padStart(3, '0')}`,
        creationDate: new Date(Date.now() - i * 1000),
      });
    zitadel.addSession({ userId: '3999', creationDate: new Date(Date.now() - 2 * MINUTE) });

    const run = await runCli(['sweep', '--json'], env({ CONCURRENT_SESSIONS: '100' }));

    expect(run.code).toBe(0);
    const offsets = zitadel
      .requests('POST', '/v2/sessions/search')
      .map((request) => (request.body as { query?: { offset?: string } }).query?.offset);
    // 1001 rows: two full pages and one of a single row, which is also the reported total.
    expect(offsets).toEqual(['0', '500', '1000']);
    expect(jsonOf(run)).toMatchObject({
      sessionsListed: 1001,
      usersSeen: 19,
      usersOverLimit: 0,
      usersFailed: 0,
    });
    expect(zitadel.requests('DELETE', '/v2/sessions')).toHaveLength(0);
  });

  it('rides out rate limiting', async () => {
    zitadel.queuedFaults.push(429, 429, 429);

    const run = await runCli(['sweep', '--json'], env());

    expect(run.code).toBe(0);
    expect(jsonOf(run)).toMatchObject({ usersOverLimit: 2, sessionsDeleted: 4, usersFailed: 0 });
  });

  it('rejects a bad --concurrency with exit code 2', async () => {
    const run = await runCli(['sweep', '--concurrency', '0'], env());

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--concurrency must be a whole number from 1 to 32');
    expect(zitadel.seen).toHaveLength(0);
  });
});
