import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeZitadel } from '../support/fakeZitadel.js';
import { buildHarness, postWebhook, TEST_PAT } from '../support/harness.js';
import { createSessionResponse } from '../support/webhooks.js';

const USER = '284021120958301001';
const MINUTE = 60_000;
const TOTP_USER_METHODS = ['AUTHENTICATION_METHOD_TYPE_PASSWORD', 'AUTHENTICATION_METHOD_TYPE_TOTP'];

const lines = (logLines: string[]) => logLines.map((line) => JSON.parse(line) as Record<string, unknown>);

describe('a credential without policy.read (IAM_USER_MANAGER alone, as on the real v4.13.1)', () => {
  let zitadel: FakeZitadel;

  async function start() {
    zitadel = await new FakeZitadel({ acceptedTokens: [TEST_PAT] }).start();
    zitadel.withheldPermissions.set(TEST_PAT, new Set(['policy.read']));
    zitadel.authMethods.set(USER, TOTP_USER_METHODS);
    // The user's one fully signed-in device: password and TOTP.
    const signedIn = zitadel.addSession({
      userId: USER,
      factors: ['password', 'totp'],
      fingerprintId: 'laptop',
      creationDate: new Date(Date.now() - 30 * MINUTE),
    });
    return { signedIn, ...buildHarness({ CONCURRENT_SESSIONS: '1', COUNT_WHEN: 'signed-in' }, zitadel.url) };
  }

  afterEach(async () => {
    await zitadel.stop();
  });

  it("keeps the user's authentication methods: a TOTP user's password-only login signs out no device", async () => {
    const { signedIn, app, logLines } = await start();
    // Half-way: the password is checked, the TOTP step still to come, on another browser.
    const halfWay = zitadel.addSession({ userId: USER, factors: ['password'], fingerprintId: 'phone' });

    const res = await postWebhook(app, createSessionResponse(halfWay));

    expect(res.status).toBe(200);
    expect(zitadel.requests('GET', '/v2/settings/login')).toHaveLength(1);
    expect(zitadel.requests('DELETE', '/v2/sessions')).toEqual([]);
    expect(
      zitadel
        .liveSessionsOf(USER)
        .map((session) => session.id)
        .sort(),
    ).toEqual([signedIn.id, halfWay.id].sort());
    const audit = lines(logLines).find((line) => line.log === 'audit');
    expect(audit).toMatchObject({ fallbacks: ['login_settings_permission_denied'] });
  });

  it('names the missing permission and the role, never "in time", and warns once per interval', async () => {
    const { app, logLines } = await start();
    // A password-only session makes what counts depend on the policy, and the logins' security keys (webAuthN
    // without user verification) do not prove a TOTP or OTP the way a TOTP check would: the policy is asked for.
    zitadel.addSession({ userId: USER, factors: ['password'], fingerprintId: 'kiosk' });
    for (const fingerprintId of ['phone', 'tablet']) {
      const login = zitadel.addSession({ userId: USER, factors: ['password', 'webAuthN'], fingerprintId });
      await postWebhook(app, createSessionResponse(login));
    }

    const warnings = lines(logLines).filter(
      (line) => line.level === 'warn' && String(line.msg).includes('/v2/settings/login'),
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      fallback: 'login_settings_permission_denied',
      permission: 'policy.read',
    });
    expect(String(warnings[0]?.msg)).toContain('IAM_OWNER_VIEWER');
    expect(String(warnings[0]?.msg)).toContain('users without a second factor');
    expect(logLines.join('\n')).not.toContain('in time');
    const metrics = await request(app).get('/metrics');
    expect(metrics.text).toMatch(
      /zitadel_session_limiter_policy_fallbacks_total\{reason="login_settings_permission_denied"\} 2/,
    );
  });

  it('still enforces with what was read: a second fully signed-in device evicts the older one', async () => {
    const { signedIn, app } = await start();
    const login = zitadel.addSession({ userId: USER, factors: ['password', 'totp'], fingerprintId: 'phone' });

    const res = await postWebhook(app, createSessionResponse(login));

    expect(res.body).toMatchObject({ outcome: 'enforced', deleted: [signedIn.id], kept: [login.id] });
  });

  it('stays ready: a 403 on a side read degrades a rule, it does not stop the limiter', async () => {
    const { app } = await start();
    const login = zitadel.addSession({ userId: USER, factors: ['password', 'totp'], fingerprintId: 'phone' });
    await postWebhook(app, createSessionResponse(login));

    const ready = await request(app).get('/readyz');

    expect(ready.status).toBe(200);
  });
});
