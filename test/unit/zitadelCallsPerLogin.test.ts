import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createWebhookProcessor } from '../../src/enforcement/processSessionWebhook.js';
import { createLogger } from '../../src/logging/logger.js';
import type { SessionTrigger } from '../../src/webhook/parseSessionWebhook.js';
import type { SessionRow } from '../../src/zitadel/sessionSchema.js';
import { createMemoryZitadel, memoryRow, type MemoryZitadelOptions } from '../support/memoryZitadelApi.js';

// What each login costs ZITADEL, call by call, with the default configuration (COUNT_WHEN=signed-in,
// COUNT_BY=device, evict-oldest, CONCURRENT_SESSIONS=3) unless a test says otherwise.
const USER = 'user-1';
const MINUTE = 60_000;
const NOW_MS = Date.UTC(2026, 11, 2, 12);
const ENV: NodeJS.ProcessEnv = {
  INSTANCE_URL: 'https://my-instance.zitadel.cloud',
  PAT: 'pat-Zq8vN3xK1mW7TESTSECRET',
  SIGNING_KEY: 'sk-Hj4pL9sR2tY6TESTSECRET',
  CONCURRENT_SESSIONS: '3',
};
const at = (minutesAgo: number) => new Date(NOW_MS - minutesAgo * MINUTE).toISOString();
const PASSWORD_AND_TOTP = (minutesAgo: number) => ({
  password: { verifiedAt: at(minutesAgo) },
  totp: { verifiedAt: at(minutesAgo) },
});

/** `count` earlier sessions on as many browsers, the oldest first, signed in with `factors` (a password). */
function earlier(count: number, factors?: (minutesAgo: number) => NonNullable<SessionRow['factors']>) {
  return Array.from({ length: count }, (_, index) =>
    memoryRow(`s${index + 1}`, NOW_MS - (60 - index) * MINUTE, {
      userId: USER,
      fingerprintId: `browser-${index + 1}`,
      ...(factors === undefined ? {} : { factors: factors(60 - index) }),
    }),
  );
}

const login = (factors?: NonNullable<SessionRow['factors']>) =>
  memoryRow('s-new', NOW_MS - 1000, {
    userId: USER,
    fingerprintId: 'browser-new',
    ...(factors === undefined ? {} : { factors }),
  });

const webhook: SessionTrigger = {
  kind: 'session',
  instanceId: undefined,
  source: 'response',
  name: '/zitadel.session.v2.SessionService/SetSession',
  sessionId: 's-new',
  userHint: undefined,
  requestHasAuthenticationCheck: true,
  createdAt: undefined,
  requestedLifetime: undefined,
};

async function callsFor(options: MemoryZitadelOptions, env: NodeJS.ProcessEnv = {}) {
  const zitadel = createMemoryZitadel(options);
  const process = createWebhookProcessor({
    config: loadConfig({ ...ENV, ...env }),
    zitadel: zitadel.api,
    now: () => NOW_MS,
  });
  const outcome = await process(webhook, { logger: createLogger('silent') });
  return { ops: zitadel.calls.map((call) => call.op), outcome, deleted: zitadel.deleteCalls() };
}

describe('ZITADEL calls per login: only the reads the decision depends on', () => {
  it('under the limit: exactly GetSession and the search', async () => {
    const { ops, outcome } = await callsFor({ sessions: [...earlier(2), login()] });
    expect(ops).toEqual(['get', 'list']);
    expect(outcome).toMatchObject({ outcome: 'within_limit', devices: 3 });
  });

  it('under the limit with a per-user limit key: the metadata too, unless one session is all there is', async () => {
    const oneSession = await callsFor({ sessions: [login()] }, { LIMIT_METADATA_KEY: 'session_limit' });
    expect(oneSession.ops).toEqual(['get', 'list']);
    expect(oneSession.outcome).toMatchObject({ outcome: 'within_limit', limitSource: 'not_needed' });
    // Two sessions are within the default of 3, but a user's metadata may say 1.
    const two = await callsFor(
      { sessions: [...earlier(1), login()], metadata: { [USER]: '1' } },
      { LIMIT_METADATA_KEY: 'session_limit' },
    );
    expect(two.ops).toEqual(['get', 'list', 'metadata', 'auth_methods', 'login_policy', 'delete']);
    expect(two.outcome).toMatchObject({ outcome: 'enforced', limit: 1, limitSource: 'metadata' });
    // With no metadata of their own, the sign-in reads are not made: the default limit of 3 holds both.
    const noOwnLimit = await callsFor(
      { sessions: [...earlier(1), login()] },
      { LIMIT_METADATA_KEY: 'session_limit' },
    );
    expect(noOwnLimit.ops).toEqual(['get', 'list', 'metadata']);
    expect(noOwnLimit.outcome).toMatchObject({ outcome: 'within_limit', limitSource: 'default' });
  });

  it('one over, password-only sessions: the methods and the login policy (they decide what counts), then one delete', async () => {
    const { ops, deleted, outcome } = await callsFor({ sessions: [...earlier(3), login()] });
    expect(ops).toEqual(['get', 'list', 'auth_methods', 'login_policy', 'delete']);
    expect(deleted).toEqual(['s1']);
    expect(outcome).toMatchObject({ outcome: 'enforced', devices: 4 });
  });

  it('one over, the login carrying its TOTP: it proves the second factor, so GetSession, the search and the delete', async () => {
    const { ops, deleted } = await callsFor({
      sessions: [...earlier(3, PASSWORD_AND_TOTP), login(PASSWORD_AND_TOTP(0))],
    });
    expect(ops).toEqual(['get', 'list', 'delete']);
    expect(deleted).toEqual(['s1']);
  });

  it('five over, the login carrying its TOTP: GetSession, the search and five deletes', async () => {
    const { ops, deleted } = await callsFor({
      sessions: [...earlier(7, PASSWORD_AND_TOTP), login(PASSWORD_AND_TOTP(0))],
    });
    expect(ops).toEqual(['get', 'list', 'delete', 'delete', 'delete', 'delete', 'delete']);
    expect(deleted).toEqual(['s1', 's2', 's3', 's4', 's5']);
  });

  it('five over, password-only sessions: one round of reads, not one per deletion', async () => {
    const { ops, deleted } = await callsFor({ sessions: [...earlier(7), login()] });
    expect(ops).toEqual(['get', 'list', 'auth_methods', 'login_policy', ...Array<string>(5).fill('delete')]);
    expect(deleted).toEqual(['s1', 's2', 's3', 's4', 's5']);
  });

  it('the proof changes nothing the reads would have decided: password-only sessions of a TOTP user do not count', async () => {
    const sessions = [
      ...earlier(3),
      ...earlier(2, PASSWORD_AND_TOTP).map((row, index) => ({
        ...row,
        id: `t${index}`,
        userAgent: { fingerprintId: `totp-${index}` },
      })),
      login(PASSWORD_AND_TOTP(0)),
    ];
    const proven = await callsFor({ sessions });
    const read = await callsFor({
      sessions: [
        ...sessions.slice(0, -1),
        login({ password: { verifiedAt: at(0) }, webAuthN: { verifiedAt: at(0) } }),
      ],
      authMethods: { [USER]: ['AUTHENTICATION_METHOD_TYPE_PASSWORD', 'AUTHENTICATION_METHOD_TYPE_TOTP'] },
    });
    expect(proven.ops).toEqual(['get', 'list']);
    expect(read.ops).toEqual(['get', 'list', 'auth_methods', 'login_policy']);
    for (const { outcome } of [proven, read])
      expect(outcome).toMatchObject({ outcome: 'within_limit', devices: 3, notSignedIn: 3 });
  });

  it('under COUNT_WHEN=any-factor, one over: GetSession, the search and the delete', async () => {
    const { ops } = await callsFor({ sessions: [...earlier(3), login()] }, { COUNT_WHEN: 'any-factor' });
    expect(ops).toEqual(['get', 'list', 'delete']);
  });
});
