import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { readinessOf, ruleCheckOf } from '../../src/http/readiness.js';
import { startupLine } from '../../src/http/startupReport.js';
import { buildHarness } from '../support/harness.js';
import { useNockForZitadel } from '../support/nockZitadel.js';
import { searchAnswer } from '../support/zitadelRows.js';

const ZITADEL = 'https://zitadel.test';
const DENIED = { code: 7, message: 'No matching permissions found (AUTH-5mWD2)' };

useNockForZitadel();

async function lineFor(env: Record<string, string>) {
  const { app, config } = buildHarness(env);
  return startupLine(config, readinessOf(app), ruleCheckOf(app));
}

describe('the start-up line', () => {
  it('says COUNT_WHEN=signed-in is degraded when the credential lacks policy.read, and warns', async () => {
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(200, searchAnswer([]))
      .get('/v2/users/zitadel-session-limiter-rule-check/authentication_methods')
      .reply(200, {})
      .get('/v2/settings/login')
      .reply(403, DENIED);

    const line = await lineFor({ COUNT_WHEN: 'signed-in' });

    expect(line.level).toBe('warn');
    expect(line.fields).toMatchObject({ zitadel: 'ready', inForce: [] });
    expect(line.fields.degraded).toEqual([
      'COUNT_WHEN=signed-in (no policy.read: forced MFA for users without a second factor is unknown)',
    ]);
  });

  it('reports a rule in force only when its reads were allowed; the limit itself stays unchecked', async () => {
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(200, searchAnswer([]))
      .get('/v2/users/zitadel-session-limiter-rule-check/authentication_methods')
      .reply(200, {})
      .get('/v2/settings/login')
      .reply(200, { settings: {} });

    const line = await lineFor({ COUNT_WHEN: 'signed-in', CONCURRENT_SESSIONS: '3' });

    expect(line.level).toBe('info');
    expect(line.fields.inForce).toEqual(['COUNT_WHEN=signed-in']);
    expect(line.fields.degraded).toEqual([]);
    expect(line.fields.unchecked).toEqual([
      'CONCURRENT_SESSIONS=3 evict-oldest (session.read and session.delete: run doctor)',
    ]);
  });

  it('says unchecked, never in force, when the checks could not run, and names instance_not_found', async () => {
    const notFound = {
      code: 5,
      message:
        'unable to set instance using origin &{zitadel.test  https} (ExternalDomain is a.example): Instance not found.',
    };
    nock(ZITADEL).persist().post(/.*/).reply(404, notFound).get(/.*/).reply(404, notFound);

    const line = await lineFor({ COUNT_WHEN: 'signed-in', LIMIT_METADATA_KEY: 'max_sessions' });

    expect(line.level).toBe('warn');
    expect(line.fields).toMatchObject({ zitadel: 'not_ready', reason: 'instance_not_found', inForce: [] });
    expect(line.fields.unchecked).toEqual(
      expect.arrayContaining([
        'COUNT_WHEN=signed-in (the authentication methods or login policy read failed)',
        'LIMIT_METADATA_KEY=max_sessions (the user.read check failed)',
      ]),
    );
    nock.cleanAll();
  });

  it('says LIMIT_METADATA_KEY is degraded without user.read', async () => {
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(200, searchAnswer([]))
      .get('/v2/users/zitadel-session-limiter-rule-check/authentication_methods')
      .reply(403, DENIED);

    const line = await lineFor({ COUNT_WHEN: 'any-factor', LIMIT_METADATA_KEY: 'max_sessions' });

    expect(line.fields.inForce).toEqual(['COUNT_WHEN=any-factor']);
    expect(line.fields.degraded).toEqual([
      'LIMIT_METADATA_KEY=max_sessions (no user.read: limits are held back)',
    ]);
  });

  it('says whether the devices page is on and where, never its client secret or keys', async () => {
    const secret = 'devices-client-secret-Wq7TESTSECRET';
    const key = 'devices-key-a-0123456789abcdefghijKLMN';
    const { config: off } = buildHarness();
    const { config: on } = buildHarness({
      DEVICES_PUBLIC_URL: 'https://limiter.example.com/',
      DEVICES_CLIENT_ID: '312345678901234567',
      DEVICES_CLIENT_SECRET: secret,
      DEVICES_KEYS: key,
    });

    const offLine = await startupLine(off, undefined, undefined);
    const onLine = await startupLine(on, undefined, undefined);

    expect(offLine.fields.devices).toBe('off');
    expect(offLine.fields).not.toHaveProperty('devicesUrl');
    expect(onLine.fields).toMatchObject({ devices: 'on', devicesUrl: 'https://limiter.example.com' });
    expect(JSON.stringify(onLine)).not.toContain(secret);
    expect(JSON.stringify(onLine)).not.toContain(key);
  });
});
