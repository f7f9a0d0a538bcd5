import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devicesCheck } from '../../src/cli/devicesCheck.js';
import { FakeOidcProvider } from '../support/fakeOidc.js';
import { FakeZitadel } from '../support/fakeZitadel.js';

/** `doctor`'s devices line against the test ZITADEL's OIDC endpoints: proven, refused, or not checked — never a ✓ it did not earn. */

let zitadel: FakeZitadel;
const CLIENT = { clientId: 'devices@limiter', clientSecret: 'right-secret-000000000001' };
const ON = { DEVICES_PUBLIC_URL: 'https://limiter.test', DEVICES_CLIENT_ID: CLIENT.clientId };

beforeAll(async () => {
  const oidc = await FakeOidcProvider.create();
  zitadel = await new FakeZitadel({ publicRoutes: oidc.mount }).start();
  oidc.registerClient({
    ...CLIENT,
    redirectUris: ['https://limiter.test/devices/callback'],
    projectId: 'p-1',
  });
});
afterAll(() => zitadel.stop());

describe('doctor: the devices application', () => {
  it('says the page is off when DEVICES_PUBLIC_URL is unset', async () => {
    expect(await devicesCheck({}, { instanceUrl: zitadel.url, timeoutMs: 2_000 })).toMatchObject({
      status: 'info',
    });
  });

  it('proves the client id and secret with ZITADEL', async () => {
    const check = await devicesCheck(
      { ...ON, DEVICES_CLIENT_SECRET: CLIENT.clientSecret },
      { instanceUrl: zitadel.url, timeoutMs: 2_000 },
    );
    expect(check).toMatchObject({ status: 'ok' });
  });

  it('fails with the fix when ZITADEL refuses the secret, or when it is unset', async () => {
    for (const env of [{ ...ON, DEVICES_CLIENT_SECRET: 'wrong-secret-0000000000001' }, ON]) {
      const check = await devicesCheck(env, { instanceUrl: zitadel.url, timeoutMs: 2_000 });
      expect(check.status).toBe('fail');
      expect(check.fix).toContain('--devices-new-secret');
      expect(JSON.stringify(check)).not.toContain('wrong-secret');
    }
  });

  it('fails, before any call, on a DEVICES_PUBLIC_URL the limiter would refuse at start-up', async () => {
    const check = await devicesCheck(
      { ...ON, DEVICES_PUBLIC_URL: 'http://limiter.example.com', DEVICES_CLIENT_SECRET: CLIENT.clientSecret },
      { instanceUrl: 'http://127.0.0.1:9', timeoutMs: 2_000 },
    );
    expect(check.status).toBe('fail');
    expect(check.summary).toMatch(/^DEVICES_PUBLIC_URL /);
  });

  it('is a warning, never a pass, when ZITADEL does not answer', async () => {
    const check = await devicesCheck(
      { ...ON, DEVICES_CLIENT_SECRET: CLIENT.clientSecret },
      { instanceUrl: 'http://127.0.0.1:9', timeoutMs: 2_000 },
    );
    expect(check.status).toBe('warn');
  });
});
