import nock from 'nock';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/runCli.js';
import { isInstanceNotFoundAnswer } from '../../src/zitadel/errors.js';
import { buildHarness, postWebhook, TEST_PAT } from '../support/harness.js';
import { useNockForZitadel } from '../support/nockZitadel.js';
import { loginWebhook } from '../support/webhooks.js';

const ZITADEL = 'https://zitadel.test';
// What ZITADEL's instance interceptor answers when the request's host is none of the instance's domains.
const INSTANCE_NOT_FOUND = {
  code: 5,
  message:
    'unable to set instance using origin &{zitadel.test  https} (ExternalDomain is auth.example.com): Instance not found.',
  details: [],
};
// The HTTP handlers (OAuth, well-known) write the same as plain text.
const INSTANCE_NOT_FOUND_TEXT =
  'unable to set instance using origin &{zitadel.test  https} (ExternalDomain is auth.example.com): ID=QUERY-n0wng Message=Instance not found\n';

useNockForZitadel();

describe('INSTANCE_URL whose host is not the instance’s domain ("Instance not found")', () => {
  it('recognises the answer in JSON and as plain text, and nothing else', () => {
    expect(isInstanceNotFoundAnswer(404, INSTANCE_NOT_FOUND)).toBe(true);
    expect(isInstanceNotFoundAnswer(404, INSTANCE_NOT_FOUND_TEXT)).toBe(true);
    expect(isInstanceNotFoundAnswer(404, { code: 5, message: 'Errors.Session.NotFound (QUERY-SJ2s3)' })).toBe(
      false,
    );
    expect(isInstanceNotFoundAnswer(403, INSTANCE_NOT_FOUND)).toBe(false);
  });

  it('makes /readyz answer instance_not_found, not zitadel_rejected', async () => {
    const { app } = buildHarness();
    nock(ZITADEL).post('/v2/sessions/search').reply(404, INSTANCE_NOT_FOUND);

    const res = await request(app).get('/readyz');

    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'not_ready', reason: 'instance_not_found' });
  });

  it('leaves a webhook undecided with instance_not_found, instead of ignoring the session as not found', async () => {
    const { app } = buildHarness();
    nock(ZITADEL).get('/v2/sessions/s-new').reply(404, INSTANCE_NOT_FOUND);

    const res = await postWebhook(app, loginWebhook('s-new'));

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ outcome: 'undecided', reason: 'instance_not_found' });
    const metrics = await request(app).get('/metrics');
    expect(metrics.text).toContain(
      'zitadel_session_limiter_webhooks_total{outcome="undecided",reason="instance_not_found"} 1',
    );
  });

  it('makes the CLI name the fix (the instance’s domain, ExternalDomain), not the credential or "code 5"', async () => {
    nock(ZITADEL).persist().post('/v2/users').reply(404, INSTANCE_NOT_FOUND);
    let stderr = '';
    const code = await runCli(['sessions', 'someone@example.com'], {
      env: { INSTANCE_URL: ZITADEL, PAT: TEST_PAT },
      stdout: { write: () => true },
      stderr: { write: (text: string) => (stderr += text) },
      now: Date.now,
    });

    expect(code).toBe(4);
    expect(stderr).toContain('Instance not found');
    expect(stderr).toContain('"zitadel.test" is none of its domains');
    expect(stderr).toContain('ExternalDomain');
    expect(stderr).not.toContain('code 5');
    expect(stderr).not.toContain('role');
  });

  it('names the fix for the token endpoint’s plain-text answer too (client credentials)', async () => {
    nock(ZITADEL).persist().post('/oauth/v2/token').reply(404, INSTANCE_NOT_FOUND_TEXT, {
      'Content-Type': 'text/plain; charset=utf-8',
    });
    let stderr = '';
    const code = await runCli(['sessions', '1001'], {
      env: {
        INSTANCE_URL: ZITADEL,
        ZITADEL_CLIENT_ID: 'limiter',
        ZITADEL_CLIENT_SECRET: 'secret-never-shown',
      },
      stdout: { write: () => true },
      stderr: { write: (text: string) => (stderr += text) },
      now: Date.now,
    });

    expect(code).toBe(4);
    expect(stderr).toContain('ExternalDomain');
    expect(stderr).not.toContain('secret-never-shown');
  });
});
