import nock from 'nock';
import { describe, expect, it, vi } from 'vitest';
import { loadLimitSettings } from '../../src/config.js';
import { createUserPolicyReader, LOGIN_POLICY_TTL_MS } from '../../src/enforcement/userPolicy.js';
import { createLogger } from '../../src/logging/logger.js';
import { personalAccessToken } from '../../src/zitadel/accessToken.js';
import { createZitadelClient } from '../../src/zitadel/client.js';
import { deadlineIn } from '../../src/zitadel/deadline.js';
import { useNockForZitadel } from '../support/nockZitadel.js';

const ZITADEL = 'https://zitadel.test';
const USER = '284021120958301001';
const ORG = '284021120958300001';
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

useNockForZitadel();

function setUp(env: Record<string, string>, options: { graceMs?: number } = {}) {
  let nowMs = Date.UTC(2026, 0, 1);
  const lines: string[] = [];
  const logger = createLogger('debug', (line) => lines.push(line));
  const api = createZitadelClient({
    instanceUrl: ZITADEL,
    tokens: personalAccessToken('pat-test'),
    callTimeoutMs: 2000,
    retryPolicy: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
  });
  const reader = createUserPolicyReader({
    api,
    settings: loadLimitSettings(env),
    now: () => nowMs,
    // A grace no answer here needs (reads that are answered end the wait at once): on a busy machine the default
    // 500 ms can pass before nock's immediate reply is parsed, and a test would see a fallback it did not set up.
    graceMs: options.graceMs ?? 5_000,
  });
  const read = (organizationId: string | undefined = ORG) =>
    reader
      .begin({ userId: USER, organizationId, deadline: deadlineIn(5000) })
      .settle({ organizationId, logger });
  return { read, lines, advance: (ms: number) => (nowMs += ms) };
}

describe('the per-user limit from user metadata (LIMIT_METADATA_KEY)', () => {
  it('asks for exactly the configured key with the User Service v2 search and decodes the base64 value', async () => {
    const { read } = setUp({ LIMIT_METADATA_KEY: 'session_limit', COUNT_WHEN: 'any-factor' });
    let body: unknown;
    nock(ZITADEL)
      .post(`/v2/users/${USER}/metadata/search`, (sent: unknown) => {
        body = sent;
        return true;
      })
      .matchHeader('authorization', 'Bearer pat-test')
      .reply(200, { metadata: [{ key: 'session_limit', value: b64('4') }] });

    const policy = await read();

    expect(policy.limit).toEqual({ limit: 4, source: 'metadata' });
    expect(body).toEqual({
      pagination: { offset: '0', limit: 10 },
      filters: [{ keyFilter: { key: 'session_limit', method: 'TEXT_FILTER_METHOD_EQUALS' } }],
    });
  });

  it('reads the value once per LIMIT_METADATA_TTL_SECONDS for a user, then again', async () => {
    const { read, advance } = setUp({
      LIMIT_METADATA_KEY: 'session_limit',
      LIMIT_METADATA_TTL_SECONDS: '60',
      COUNT_WHEN: 'any-factor',
    });
    nock(ZITADEL)
      .post(`/v2/users/${USER}/metadata/search`)
      .reply(200, { metadata: [{ key: 'session_limit', value: b64('unlimited') }] });
    expect((await read()).limit.limit).toBe('unlimited');
    advance(59_000);
    expect((await read()).limit.limit).toBe('unlimited'); // from the cache: nock would refuse a second call
    advance(2_000);
    nock(ZITADEL)
      .post(`/v2/users/${USER}/metadata/search`)
      .reply(200, { metadata: [{ key: 'session_limit', value: b64('1') }] });
    expect((await read()).limit).toEqual({ limit: 1, source: 'metadata' });
  });

  it('ignores rows under other keys (a dropped filter) and falls to ORG_LIMITS when the user has none', async () => {
    const { read } = setUp({
      LIMIT_METADATA_KEY: 'session_limit',
      ORG_LIMITS: `${ORG}=3`,
      COUNT_WHEN: 'any-factor',
    });
    nock(ZITADEL)
      .post(`/v2/users/${USER}/metadata/search`)
      .reply(200, { metadata: [{ key: 'favourite_colour', value: b64('7') }] });
    expect(await read()).toMatchObject({ limit: { limit: 3, source: 'organization' }, fallbacks: [] });
  });

  it('warns with the user id but never the value when the value is not a limit, and uses the next rule', async () => {
    const { read, lines } = setUp({ LIMIT_METADATA_KEY: 'session_limit', COUNT_WHEN: 'any-factor' });
    nock(ZITADEL)
      .post(`/v2/users/${USER}/metadata/search`)
      .reply(200, { metadata: [{ key: 'session_limit', value: b64('gold-plan-secret') }] });

    const policy = await read();

    expect(policy.limit).toMatchObject({ limit: 2, source: 'default', metadataProblem: 'invalid' });
    expect(policy.fallbacks).toEqual(['limit_metadata_invalid']);
    const warning = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((l) => l.level === 'warn');
    expect(warning).toMatchObject({ userId: USER });
    expect(lines.join('\n')).not.toContain('gold-plan-secret');
  });

  it('holds the limit back (removes nothing) when the metadata cannot be read, and says so', async () => {
    const { read, lines } = setUp({ LIMIT_METADATA_KEY: 'session_limit', COUNT_WHEN: 'any-factor' });
    nock(ZITADEL).post(`/v2/users/${USER}/metadata/search`).reply(403, { code: 7, message: 'no user.read' });

    const policy = await read();

    expect(policy.limit).toEqual({ limit: 'unlimited', source: 'held_back', metadataProblem: 'unreadable' });
    expect(policy.fallbacks).toEqual(['limit_metadata_permission_denied']);
    expect(lines.some((line) => line.includes('"level":"warn"') && line.includes('user.read'))).toBe(true);
  });

  it('makes no metadata call at all when LIMIT_METADATA_KEY is unset', async () => {
    const { read } = setUp({ COUNT_WHEN: 'any-factor', CONCURRENT_SESSIONS: '3' });
    expect(await read()).toEqual({
      limit: { limit: 3, source: 'default', metadataProblem: undefined },
      signIn: { kind: 'any-factor' },
      fallbacks: [],
    });
  });
});

describe('what makes a session count (COUNT_WHEN=signed-in)', () => {
  it("reads the user's methods and the organisation's login policy and builds the requirement", async () => {
    const { read } = setUp({});
    nock(ZITADEL)
      .get(`/v2/users/${USER}/authentication_methods`)
      .reply(200, {
        authMethodTypes: ['AUTHENTICATION_METHOD_TYPE_PASSWORD', 'AUTHENTICATION_METHOD_TYPE_TOTP'],
      })
      .get('/v2/settings/login')
      .query({ 'ctx.orgId': ORG })
      .reply(200, { settings: { forceMfaLocalOnly: true } });

    expect((await read()).signIn).toEqual({
      kind: 'signed-in',
      userHasSecondFactor: true,
      forceMfa: false,
      forceMfaLocalOnly: true,
    });
  });

  it('keeps the login policy longer than the methods', async () => {
    const { read, advance } = setUp({});
    nock(ZITADEL)
      .get(`/v2/users/${USER}/authentication_methods`)
      .times(2)
      .reply(200, { authMethodTypes: ['AUTHENTICATION_METHOD_TYPE_PASSWORD'] })
      .get('/v2/settings/login')
      .query(true)
      .reply(200, { settings: { forceMfa: true } });
    await read();
    advance(61_000); // past the methods' minute, well within the policy's five
    expect(LOGIN_POLICY_TTL_MS).toBeGreaterThan(61_000);
    expect((await read()).signIn).toMatchObject({ kind: 'signed-in', forceMfa: true });
  });

  it('waits for the organisation when only the session search will tell it', async () => {
    const { lines } = setUp({});
    const api = createZitadelClient({
      instanceUrl: ZITADEL,
      tokens: personalAccessToken('pat-test'),
      callTimeoutMs: 2000,
    });
    const reader = createUserPolicyReader({ api, settings: loadLimitSettings({}), now: Date.now });
    nock(ZITADEL)
      .get(`/v2/users/${USER}/authentication_methods`)
      .reply(200, { authMethodTypes: [] })
      .get('/v2/settings/login')
      .query({ 'ctx.orgId': 'org-from-search' })
      .reply(200, { settings: { forceMfa: true } });
    const pending = reader.begin({
      userId: USER,
      organizationId: Promise.resolve('org-from-search'),
      deadline: deadlineIn(5000),
    });
    const logger = createLogger('debug', (line) => lines.push(line));
    expect((await pending.settle({ organizationId: 'org-from-search', logger })).signIn).toMatchObject({
      forceMfa: true,
    });
  });

  it('falls back to any verified factor, with a warning, when a read fails', async () => {
    const { read, lines } = setUp({});
    nock(ZITADEL)
      .get(`/v2/users/${USER}/authentication_methods`)
      .reply(503, { code: 14, message: 'unavailable' })
      .get('/v2/settings/login')
      .query(true)
      .reply(200, { settings: {} });

    const policy = await read();

    expect(policy.signIn).toEqual({ kind: 'any-factor' });
    expect(policy.fallbacks).toEqual(['authentication_methods_unreadable']);
    expect(
      lines.some((line) => line.includes('"level":"warn"') && line.includes('any verified factor')),
    ).toBe(true);
  });

  it('falls back when a read is slower than the grace after the search, and fills the cache for next time', async () => {
    // The login policy is answered at once, well inside a second; the methods are held back until the first read
    // has given up on them: slower than the grace however the machine is scheduled (a fixed delay raced a fixed
    // sleep, and lost on a busy machine).
    const { read } = setUp({}, { graceMs: 1_000 });
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    nock(ZITADEL)
      .get(`/v2/users/${USER}/authentication_methods`)
      .reply(async () => {
        await released;
        return [200, { authMethodTypes: ['AUTHENTICATION_METHOD_TYPE_OTP_EMAIL'] }];
      })
      .get('/v2/settings/login')
      .query(true)
      .reply(200, { settings: {} });

    expect((await read()).fallbacks).toEqual(['authentication_methods_unreadable']);
    release();
    // Nothing would answer a new call: "signed-in" can only come from the late answer, cached.
    await vi.waitFor(
      async () =>
        expect((await read()).signIn).toMatchObject({ kind: 'signed-in', userHasSecondFactor: true }),
      { timeout: 10_000, interval: 50 },
    );
  });
});

describe('a side read refused (403) versus failed versus late', () => {
  it("keeps the user's methods when the login policy fails: a TOTP user still needs the second factor", async () => {
    const { read, lines } = setUp({});
    nock(ZITADEL)
      .get(`/v2/users/${USER}/authentication_methods`)
      .reply(200, {
        authMethodTypes: ['AUTHENTICATION_METHOD_TYPE_PASSWORD', 'AUTHENTICATION_METHOD_TYPE_TOTP'],
      })
      .get('/v2/settings/login')
      .query(true)
      .reply(503, { code: 14, message: 'unavailable' });

    const policy = await read();

    expect(policy.signIn).toEqual({
      kind: 'signed-in',
      userHasSecondFactor: true,
      forceMfa: false,
      forceMfaLocalOnly: false,
    });
    expect(policy.fallbacks).toEqual(['login_settings_unreadable']);
    const warning = lines.find((line) => line.includes('"level":"warn"')) ?? '';
    expect(warning).toContain('users without a second factor');
    expect(warning).toContain(USER);
  });

  it('names user.read when ZITADEL refuses the authentication methods, and falls back to any factor', async () => {
    const { read, lines } = setUp({});
    nock(ZITADEL)
      .get(`/v2/users/${USER}/authentication_methods`)
      .reply(403, { code: 7, message: 'No matching permissions found (AUTH-5mWD2)' })
      .get('/v2/settings/login')
      .query(true)
      .reply(200, { settings: {} });

    const policy = await read();

    expect(policy.signIn).toEqual({ kind: 'any-factor' });
    expect(policy.fallbacks).toEqual(['authentication_methods_permission_denied']);
    const warning = JSON.parse(lines.find((line) => line.includes('"level":"warn"')) ?? '{}') as Record<
      string,
      unknown
    >;
    expect(warning).toMatchObject({
      permission: 'user.read',
      fallback: 'authentication_methods_permission_denied',
    });
    expect(String(warning.msg)).not.toContain('in time');
  });

  it('says "in time" only for a read that was late', async () => {
    // The login policy is held back until the read has given up on it: late however the machine is scheduled.
    const { read, lines } = setUp({}, { graceMs: 1_000 });
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    nock(ZITADEL)
      .get(`/v2/users/${USER}/authentication_methods`)
      .reply(200, { authMethodTypes: [] })
      .get('/v2/settings/login')
      .query(true)
      .reply(async () => {
        await released;
        return [200, { settings: {} }];
      });

    expect((await read()).fallbacks).toEqual(['login_settings_unreadable']);
    expect(lines.some((line) => line.includes('the login policy could not be read in time'))).toBe(true);
    release();
  });

  it('names user.read when ZITADEL refuses the limit metadata, and holds the limit back', async () => {
    const { read } = setUp({ LIMIT_METADATA_KEY: 'session_limit', COUNT_WHEN: 'any-factor' });
    nock(ZITADEL)
      .post(`/v2/users/${USER}/metadata/search`)
      .reply(403, { code: 7, message: 'No matching permissions found (AUTH-5mWD2)' });

    const policy = await read();

    expect(policy.limit).toMatchObject({ limit: 'unlimited', source: 'held_back' });
    expect(policy.fallbacks).toEqual(['limit_metadata_permission_denied']);
  });
});

describe('the login policy without a known organisation', () => {
  it("asks for the instance's default policy (no ctx.orgId)", async () => {
    const lines: string[] = [];
    const api = createZitadelClient({
      instanceUrl: ZITADEL,
      tokens: personalAccessToken('pat-test'),
      callTimeoutMs: 2000,
    });
    const reader = createUserPolicyReader({ api, settings: loadLimitSettings({}), now: Date.now });
    let query: unknown;
    nock(ZITADEL)
      .get(`/v2/users/${USER}/authentication_methods`)
      .reply(200, { authMethodTypes: [] })
      .get('/v2/settings/login')
      .query((sent) => {
        query = sent;
        return true;
      })
      .reply(200, { settings: { forceMfa: true } });
    const policy = await reader
      .begin({ userId: USER, organizationId: undefined, deadline: deadlineIn(5000) })
      .settle({ organizationId: undefined, logger: createLogger('debug', (line) => lines.push(line)) });
    expect(query).toEqual({});
    expect(policy.signIn).toMatchObject({ forceMfa: true });
  });
});
