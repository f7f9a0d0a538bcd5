import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeZitadel, type FakeSession } from '../support/fakeZitadel.js';
import { jsonOf, runCli } from './cliProcess.js';

const PAT = 'cli-reader-pat-4Tg';
const MINUTE = 60_000;

describe('sessions', () => {
  // A switch that makes the search drop its user filter, as ZITADEL does with a misspelt one.
  let dropUserFilter = false;
  const zitadel = new FakeZitadel({
    acceptedTokens: [PAT],
    protectedRoutes: (app) => {
      app.post('/v2/sessions/search', (req, _res, next) => {
        if (dropUserFilter) delete (req.body as { queries?: unknown }).queries;
        next();
      });
    },
  });
  const env = () => ({ INSTANCE_URL: zitadel.url, PAT });
  let sessions: Record<string, FakeSession>;

  beforeAll(async () => {
    await zitadel.start();
    const ago = (minutes: number) => new Date(Date.now() - minutes * MINUTE);
    sessions = {
      oldest: zitadel.addSession({ userId: '1001', loginName: 'alice@example.com', creationDate: ago(50) }),
      older: zitadel.addSession({
        userId: '1001',
        loginName: 'alice@example.com',
        creationDate: ago(40),
        factors: ['webAuthN'],
      }),
      newest: zitadel.addSession({
        userId: '1001',
        loginName: 'alice@example.com',
        creationDate: ago(10),
        factors: ['password', 'totp'],
      }),
      expired: zitadel.addSession({
        userId: '1001',
        loginName: 'alice@example.com',
        creationDate: ago(30),
        expirationDate: ago(5),
      }),
      typed: zitadel.addSession({
        userId: '1001',
        loginName: 'alice@example.com',
        creationDate: ago(1),
        factors: [],
      }),
      bob: zitadel.addSession({ userId: '2002', loginName: 'bob@example.com', creationDate: ago(20) }),
    };
  });

  afterAll(async () => {
    await zitadel.stop();
  });

  it('shows every session with whether it counts and why not', async () => {
    const run = await runCli(['sessions', '1001'], env());

    expect(run.code).toBe(0);
    const line = (session: FakeSession) =>
      run.stdout.split('\n').find((row) => row.startsWith(session.id)) ?? '';
    expect(line(sessions.newest!)).toMatch(/password,totp .* yes$/);
    expect(line(sessions.older!)).toMatch(/webAuthN .* yes$/);
    expect(line(sessions.oldest!)).toMatch(/yes, over the limit$/);
    expect(line(sessions.expired!)).toMatch(/no: expired$/);
    expect(line(sessions.typed!)).toMatch(/user only .* no: not authenticated \(username only\)$/);
    expect(line(sessions.newest!)).toContain('Firefox on Linux @ 127.0.0.1');
    expect(run.stdout).toContain(
      'User 1001: 3 of 5 sessions count, on 3 devices, toward the limit of 2 devices (evict-oldest; limit from CONCURRENT_SESSIONS). `enforce 1001` would delete 1 session on 1 device.',
    );
    // Read-only: nothing was deleted.
    expect(zitadel.requests('DELETE', '/v2/sessions')).toHaveLength(0);
  });

  it('marks rows of other users when ZITADEL drops the user filter', async () => {
    dropUserFilter = true;
    try {
      const run = await runCli(['sessions', '1001', '--json'], env());

      expect(run.code).toBe(0);
      const rows = jsonOf(run).sessions as {
        id: string;
        counts: boolean;
        reason?: string;
        userId?: string;
      }[];
      expect(rows.find((row) => row.id === sessions.bob!.id)).toMatchObject({
        counts: false,
        reason: 'other_user',
        userId: '2002',
      });
      expect(jsonOf(run).counted).toBe(3);
    } finally {
      dropUserFilter = false;
    }
  });

  it('resolves a login name to the user', async () => {
    const run = await runCli(['sessions', 'bob@example.com', '--json'], env());

    expect(run.code).toBe(0);
    const answer = jsonOf(run);
    expect(answer).toMatchObject({
      ok: true,
      command: 'sessions',
      userId: '2002',
      loginName: 'bob@example.com',
      limit: 2,
      counted: 1,
      overLimit: 0,
    });
    expect(answer.sessions).toEqual([
      expect.objectContaining({
        id: sessions.bob!.id,
        counts: true,
        overLimit: false,
        factors: ['password'],
      }),
    ]);
    expect(zitadel.requests('POST', '/v2/users').at(-1)?.body).toMatchObject({
      queries: [{ loginNameQuery: { loginName: 'bob@example.com', method: 'TEXT_QUERY_METHOD_EQUALS' } }],
    });
  });

  it('uses the configured limit and says when a user has no sessions', async () => {
    const wide = await runCli(['sessions', '1001', '--json'], { ...env(), CONCURRENT_SESSIONS: '5' });
    expect(jsonOf(wide)).toMatchObject({ limit: 5, counted: 3, overLimit: 0 });

    const none = await runCli(['sessions', '3003'], env());
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('User 3003: no sessions.');
  });

  it('exits with 2 for a login name no user has, rather than listing it as an empty user id', async () => {
    const searchesBefore = zitadel.requests('POST', '/v2/sessions/search').length;
    const run = await runCli(['sessions', 'nobody@example.com'], env());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no user has the login name "nobody@example.com"');
    expect(zitadel.requests('POST', '/v2/sessions/search')).toHaveLength(searchesBefore);
  });

  it("treats an empty user ('') as a usage error and never calls ZITADEL", async () => {
    const before = zitadel.seen.length;
    const run = await runCli(['sessions', ''], env());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('<userId | loginName> must not be empty');
    expect(zitadel.seen).toHaveLength(before);
  });

  it("groups one browser's sessions into one device and applies the user's own limit from metadata", async () => {
    const ago = (minutes: number) => new Date(Date.now() - minutes * MINUTE);
    const carol = { userId: '3003', loginName: 'carol@example.com' };
    const laptopOld = zitadel.addSession({
      ...carol,
      creationDate: ago(60),
      fingerprintId: 'fp-laptop',
      userAgentDescription: 'Chrome on macOS',
    });
    const laptopNew = zitadel.addSession({
      ...carol,
      creationDate: ago(5),
      fingerprintId: 'fp-laptop',
      userAgentDescription: 'Chrome on macOS',
    });
    const phone = zitadel.addSession({
      ...carol,
      creationDate: ago(30),
      fingerprintId: 'fp-phone',
      userAgentDescription: 'Safari on iOS',
    });
    zitadel.setUserMetadata('3003', 'session_limit', '1');
    zitadel.catchUpProjection();

    const run = await runCli(['sessions', '3003'], { ...env(), LIMIT_METADATA_KEY: 'session_limit' });

    expect(run.code).toBe(0);
    const device = (description: string) =>
      run.stdout.split('\n').find((row) => row.includes(`${description}  `)) ?? '';
    expect(device('Chrome on macOS')).toMatch(/^1 +Chrome on macOS +2 +.* counts$/);
    expect(device('Safari on iOS')).toMatch(/^2 +Safari on iOS +1 +.* over the limit$/);
    expect(run.stdout).toContain(
      "User 3003: 3 of 3 sessions count, on 2 devices, toward the limit of 1 device (evict-oldest; limit from the user's metadata). `enforce 3003` would delete 1 session on 1 device.",
    );
    const json = jsonOf(
      await runCli(['sessions', '3003', '--json'], { ...env(), LIMIT_METADATA_KEY: 'session_limit' }),
    );
    expect(json).toMatchObject({ limit: 1, limitSource: 'metadata', countBy: 'device', devicesCounted: 2 });
    expect(json.devices).toEqual([
      expect.objectContaining({ device: 1, sessions: [laptopNew.id, laptopOld.id], overLimit: false }),
      expect.objectContaining({ device: 2, sessions: [phone.id], overLimit: true }),
    ]);
  });

  it('exits with 2 without a user, and with 3 on an invalid limit', async () => {
    const missing = await runCli(['sessions'], env());
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing <userId | loginName>');

    const invalid = await runCli(['sessions', '1001'], { ...env(), CONCURRENT_SESSIONS: '0' });
    expect(invalid.code).toBe(3);
    expect(invalid.stderr).toContain('CONCURRENT_SESSIONS');
  });
});
