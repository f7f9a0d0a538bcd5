import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/runCli.js';
import { loadConfig } from '../../src/config.js';
import { FakeActions } from '../support/fakeActions.js';
import { FakeOidcApps } from '../support/fakeOidcApps.js';
import { FakeZitadel } from '../support/fakeZitadel.js';

const ADMIN_PAT = 'cli-admin-pat-9Xk';
const ORG_VIEWER_PAT = 'cli-viewer-pat-4Qe';
const ENDPOINT = 'https://limiter.example.com/session/manage';
const PUBLIC_URL = 'https://limiter.example.com';

describe('setup --devices-url', () => {
  let zitadel: FakeZitadel;
  let apps: FakeOidcApps;

  beforeEach(async () => {
    const actions = new FakeActions();
    apps = new FakeOidcApps();
    zitadel = await new FakeZitadel({
      acceptedTokens: [ADMIN_PAT, ORG_VIEWER_PAT],
      protectedRoutes: (app) => {
        apps.mount(app);
        actions.mount(app);
      },
    }).start();
  });

  afterEach(async () => {
    await zitadel.stop();
  });

  /** setup in this process, as test/cli/setup.test.ts runs it: stdout, stderr, exit code. */
  async function setup(args: string[], pat = ADMIN_PAT) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(['setup', '--endpoint', ENDPOINT, '--no-probe', ...args], {
      env: { INSTANCE_URL: zitadel.url, PAT: pat },
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      now: Date.now,
    });
    return { code, stdout, stderr };
  }

  /** The NAME=value lines setup printed. */
  const linesOf = (stdout: string): Record<string, string> =>
    Object.fromEntries(
      stdout
        .split('\n')
        .map((line) => /^(DEVICES_[A-Z_]+)=(.*)$/.exec(line))
        .filter((match): match is RegExpExecArray => match !== null)
        .map((match) => [match[1]!, match[2]!]),
    );

  it('creates the project and the web app, and prints DEVICES_* lines the service starts with', async () => {
    const run = await setup(['--devices-url', `${PUBLIC_URL}/`]);

    expect(run.code).toBe(0);
    expect(apps.projects.map((project) => project.name)).toEqual(['ZITADEL Session Limiter']);
    const [client] = apps.registeredClients();
    expect(apps.registeredClients()).toHaveLength(1);
    expect(client).toMatchObject({
      projectId: apps.projects[0]!.id,
      redirectUris: [`${PUBLIC_URL}/devices/callback`],
      postLogoutRedirectUris: [`${PUBLIC_URL}/devices`],
    });
    const [request] = zitadel.requests('POST', `/management/v1/projects/${client!.projectId}/apps/oidc`);
    expect(request?.body).toEqual({
      name: 'Your devices',
      redirectUris: [`${PUBLIC_URL}/devices/callback`],
      postLogoutRedirectUris: [`${PUBLIC_URL}/devices`],
      responseTypes: ['OIDC_RESPONSE_TYPE_CODE'],
      grantTypes: ['OIDC_GRANT_TYPE_AUTHORIZATION_CODE'],
      appType: 'OIDC_APP_TYPE_WEB',
      authMethodType: 'OIDC_AUTH_METHOD_TYPE_BASIC',
      accessTokenType: 'OIDC_TOKEN_TYPE_BEARER',
      devMode: false,
      version: 'OIDC_VERSION_1_0',
    });
    const lines = linesOf(run.stdout);
    expect(lines).toEqual({
      DEVICES_PUBLIC_URL: PUBLIC_URL,
      DEVICES_CLIENT_ID: client!.clientId,
      DEVICES_CLIENT_SECRET: client!.clientSecret,
      DEVICES_KEYS: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) as unknown,
    });
    expect(run.stdout.split(client!.clientSecret).length - 1).toBe(1);
    expect(run.stderr).not.toContain(client!.clientSecret);
    expect(run.stdout).toContain('OIDC app "Your devices"');
    // What setup printed is what the service accepts.
    const config = loadConfig({ INSTANCE_URL: zitadel.url, PAT: ADMIN_PAT, SIGNING_KEY: 'sk-x', ...lines });
    expect(config.devices).toMatchObject({ publicUrl: PUBLIC_URL, clientId: client!.clientId });
  });

  it('finds the app on a second run: no second app, no write, and says the secret cannot be shown again', async () => {
    await setup(['--devices-url', PUBLIC_URL]);
    const [client] = apps.registeredClients();

    const again = await setup(['--devices-url', PUBLIC_URL]);

    expect(again.code).toBe(0);
    expect(apps.projects).toHaveLength(1);
    expect(apps.registeredClients()).toEqual([client]);
    expect(
      zitadel.requests('POST', '/management/v1/projects/').filter((r) => r.path.endsWith('/oidc')),
    ).toHaveLength(1);
    expect(zitadel.requests('PUT', '/management/v1/projects')).toHaveLength(0);
    expect(linesOf(again.stdout)).toEqual({
      DEVICES_PUBLIC_URL: PUBLIC_URL,
      DEVICES_CLIENT_ID: client!.clientId,
    });
    expect(again.stdout).toContain('cannot be shown again');
    expect(again.stdout).toContain('--devices-new-secret');
    expect(again.stdout).not.toContain(client!.clientSecret);
  });

  it('adds the redirect URIs of a new public URL to the existing app, keeping the old ones and other settings', async () => {
    const project = apps.addProject('ZITADEL Session Limiter');
    const existing = apps.addApp(project, 'Your devices', {
      redirectUris: ['https://old.example.com/devices/callback'],
      postLogoutRedirectUris: ['https://old.example.com/devices'],
      responseTypes: ['OIDC_RESPONSE_TYPE_CODE'],
      grantTypes: ['OIDC_GRANT_TYPE_AUTHORIZATION_CODE'],
      idTokenUserinfoAssertion: true,
      clockSkew: '2s',
    });

    const run = await setup(['--devices-url', PUBLIC_URL]);

    expect(run.code).toBe(0);
    expect(project.apps).toHaveLength(1);
    expect(existing.config).toMatchObject({
      redirectUris: ['https://old.example.com/devices/callback', `${PUBLIC_URL}/devices/callback`],
      postLogoutRedirectUris: ['https://old.example.com/devices', `${PUBLIC_URL}/devices`],
      authMethodType: 'OIDC_AUTH_METHOD_TYPE_BASIC',
      idTokenUserinfoAssertion: true,
      clockSkew: '2s',
    });
    expect(existing.config).not.toHaveProperty('clientId');
    expect(run.stdout).toContain(`OIDC app "Your devices" (${existing.id}): updated`);
    expect(linesOf(run.stdout).DEVICES_CLIENT_ID).toBe(existing.clientId);
  });

  it('makes a new client secret with --devices-new-secret and prints it once', async () => {
    await setup(['--devices-url', PUBLIC_URL]);
    const [before] = apps.registeredClients();

    const run = await setup(['--devices-url', PUBLIC_URL, '--devices-new-secret']);

    const [after] = apps.registeredClients();
    expect(run.code).toBe(0);
    expect(after!.clientSecret).not.toBe(before!.clientSecret);
    expect(linesOf(run.stdout).DEVICES_CLIENT_SECRET).toBe(after!.clientSecret);
    expect(linesOf(run.stdout)).not.toHaveProperty('DEVICES_KEYS');
    expect(
      zitadel
        .requests('POST', '/management/v1/projects/')
        .filter((r) => r.path.endsWith('/_generate_client_secret')),
    ).toHaveLength(1);
  });

  it('turns dev mode on only for http on loopback', async () => {
    const run = await setup(['--devices-url', 'http://localhost:3000']);

    expect(run.code).toBe(0);
    const [app] = apps.projects[0]!.apps;
    expect(app!.config).toMatchObject({
      devMode: true,
      redirectUris: ['http://localhost:3000/devices/callback'],
    });
  });

  it.each([
    ['http://limiter.example.com', '--devices-url must use https://'],
    ['https://limiter.example.com/devices', 'without /devices'],
    ['not a url', '--devices-url must be the URL where browsers reach the limiter'],
  ])('refuses --devices-url %j before calling ZITADEL (exit 2)', async (url, message) => {
    const run = await setup(['--devices-url', url]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(zitadel.seen).toHaveLength(0);
  });

  it('refuses --devices-new-secret without --devices-url', async () => {
    const run = await setup(['--devices-new-secret']);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--devices-new-secret goes with --devices-url');
  });

  it('names the permissions when ZITADEL refuses the management calls (exit 4)', async () => {
    apps.restricted.add(ORG_VIEWER_PAT);

    const run = await setup(['--devices-url', PUBLIC_URL], ORG_VIEWER_PAT);

    expect(run.code).toBe(4);
    expect(run.stderr).toContain('project.create and project.app.write');
    expect(run.stderr).toContain('IAM_OWNER or ORG_OWNER');
    expect(apps.projects).toHaveLength(0);
  });

  it('answers --json with the app and, on creation, its secret and a key', async () => {
    const run = await setup(['--devices-url', PUBLIC_URL, '--json']);

    const [client] = apps.registeredClients();
    const answer = JSON.parse(run.stdout) as { devices: Record<string, unknown> };
    expect(answer.devices).toMatchObject({
      publicUrl: PUBLIC_URL,
      projectStatus: 'created',
      appStatus: 'created',
      clientId: client!.clientId,
      clientSecret: client!.clientSecret,
      generatedKey: expect.any(String) as unknown,
    });
  });
});
