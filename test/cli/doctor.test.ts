import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/runCli.js';
import { FakeActions, type FakeTarget } from '../support/fakeActions.js';
import { FakeInstanceInfo } from '../support/fakeInstanceInfo.js';
import { FakeZitadel } from '../support/fakeZitadel.js';
import { buildHarness } from '../support/harness.js';
import {
  FakeJwks,
  instanceWebKey,
  targetKeyPair,
  type InstanceWebKey,
  type TargetKeyPair,
} from '../support/payloadKeys.js';

const PAT = 'doctor-pat-Qw3';
const VIEWER_PAT = 'doctor-viewer-pat-Lp0';
const METHODS = [
  '/zitadel.session.v2.SessionService/CreateSession',
  '/zitadel.session.v2.SessionService/SetSession',
  '/zitadel.session.v2beta.SessionService/CreateSession',
  '/zitadel.session.v2beta.SessionService/SetSession',
];

interface DoctorRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly checks: { id: string; status: string; summary: string; fix?: string }[];
}

let webKey: InstanceWebKey;
let ours: TargetKeyPair;
let theirs: TargetKeyPair;

beforeAll(async () => {
  webKey = await instanceWebKey('web-key-1');
  ours = targetKeyPair('ec');
  theirs = targetKeyPair('ec');
});

describe('doctor', () => {
  let zitadel: FakeZitadel;
  let actions: FakeActions;
  let info: FakeInstanceInfo;
  let jwks: FakeJwks;
  let limiter: Server | undefined;
  let endpoint: string;
  let target: FakeTarget;

  /** The real limiter on a local port. */
  async function startLimiter(env: Record<string, string>): Promise<string> {
    const { app } = buildHarness(env, zitadel.url);
    limiter = await new Promise<Server>((resolve) => {
      const server = app.listen(0, '127.0.0.1', () => resolve(server));
    });
    return `http://127.0.0.1:${(limiter.address() as AddressInfo).port}/session/manage`;
  }

  async function stopLimiter() {
    if (limiter === undefined) return;
    limiter.closeAllConnections();
    await new Promise((resolve) => limiter!.close(resolve));
    limiter = undefined;
  }

  async function doctor(extraEnv: Record<string, string> = {}, args: string[] = []): Promise<DoctorRun> {
    let stdout = '';
    let stderr = '';
    const code = await runCli(['doctor', '--endpoint', endpoint, '--insecure', '--json', ...args], {
      env: {
        INSTANCE_URL: zitadel.url,
        PAT,
        SIGNING_KEY: target.signingKey,
        ZITADEL_TIMEOUT_MS: '3000',
        ...extraEnv,
      },
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      now: Date.now,
    });
    const parsed = JSON.parse(stdout) as { checks?: DoctorRun['checks'] };
    return { code, stdout, stderr, checks: parsed.checks ?? [] };
  }

  const statusOf = (run: DoctorRun, id: string) => run.checks.find((check) => check.id === id)?.status;
  const failed = (run: DoctorRun) =>
    run.checks.filter((check) => check.status === 'fail').map((check) => check.id);

  beforeEach(async () => {
    actions = new FakeActions();
    info = new FakeInstanceInfo();
    info.permissions.set(PAT, [
      'session.read',
      'session.delete',
      'user.read',
      'policy.read',
      'action.target.read',
    ]);
    info.permissions.set(VIEWER_PAT, ['session.read', 'session.delete', 'user.read', 'policy.read']);
    info.restricted.add(VIEWER_PAT);
    jwks = new FakeJwks([webKey]);
    zitadel = await new FakeZitadel({
      acceptedTokens: [PAT, VIEWER_PAT],
      publicRoutes: jwks.mount,
      protectedRoutes: (app) => {
        info.mount(app);
        actions.mount(app);
      },
    }).start();
    // A well-wired instance: setup's target, every execution, and the limiter holding the key.
    target = actions.addTarget({
      name: 'zitadel-session-limiter',
      endpoint: 'https://placeholder.example.com',
    });
    endpoint = await startLimiter({ SIGNING_KEY: target.signingKey });
    target.endpoint = endpoint;
    for (const method of METHODS) actions.setExecution({ response: { method } }, [target.id]);
  });

  afterEach(async () => {
    await stopLimiter();
    await zitadel.stop();
  });

  it('passes a well-wired instance, read-only, and says what an eviction ends', async () => {
    const run = await doctor();

    expect(failed(run)).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.checks.map((check) => check.id)).toEqual([
      'credential',
      'permissions',
      'session_read',
      'session_delete',
      'user_read',
      'policy_read',
      'version',
      'target',
      'deny_list',
      'target_type',
      'timeout',
      'interrupt_on_error',
      'payload_type',
      'executions',
      'executions_v2beta',
      'broad_executions',
      'back_channel_logout',
      'refresh_tokens',
      'jwt_access_tokens',
      'devices',
      'probe',
    ]);
    expect(statusOf(run, 'probe')).toBe('ok');
    expect(run.checks.find((check) => check.id === 'version')?.summary).toBe('ZITADEL v4.12.0');
    expect(statusOf(run, 'back_channel_logout')).toBe('ok');
    // Changes nothing: the one write is the DeleteSession of an id no session can have (it proves session.delete).
    const writes = zitadel.seen.filter(
      (request) => request.method !== 'GET' && !request.path.endsWith('search'),
    );
    expect(writes.map((request) => `${request.method} ${request.path}`)).toEqual([
      'DELETE /v2/sessions/zitadel-session-limiter-doctor-probe',
    ]);
    expect(run.stdout + run.stderr).not.toContain(target.signingKey);
    expect(run.stdout + run.stderr).not.toContain(PAT);
  });

  it('prints one line per check with ✓ and the fixes under ✗, exit 4', async () => {
    target.timeout = '5s';
    let stdout = '';
    const code = await runCli(['doctor', '--endpoint', endpoint, '--insecure'], {
      env: { INSTANCE_URL: zitadel.url, PAT, SIGNING_KEY: target.signingKey },
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: () => true },
      now: Date.now,
    });
    expect(code).toBe(4);
    expect(stdout).toContain('✓ ZITADEL at');
    expect(stdout).toMatch(
      /✗ the target's timeout \(5s\) is not above ENFORCEMENT_DEADLINE_MS \(8000 ms\)\n {4}ZITADEL gives up/,
    );
    expect(stdout).toContain('Some checks failed');
  });

  it('✗ credential: a refused credential stops the ZITADEL checks, the probe still runs', async () => {
    const run = await doctor({ PAT: 'unknown-pat' });
    expect(run.code).toBe(4);
    expect(failed(run)).toEqual(['credential']);
    expect(run.checks.map((check) => check.id)).toEqual(['credential', 'devices', 'probe']);
    expect(statusOf(run, 'probe')).toBe('ok');
    expect(run.stdout).not.toContain('unknown-pat');
  });

  it('✗ permissions: session.delete missing; user.read only when LIMIT_METADATA_KEY is set', async () => {
    info.permissions.set(PAT, ['session.read']);
    const run = await doctor({ COUNT_WHEN: 'any-factor' });
    expect(failed(run)).toEqual(['permissions']);
    expect(run.checks.find((check) => check.id === 'permissions')?.summary).toBe(
      'the credential lacks session.delete',
    );

    info.permissions.set(PAT, ['session.read', 'session.delete']);
    expect(failed(await doctor({ COUNT_WHEN: 'any-factor' }))).toEqual([]);
    const metadata = await doctor({ LIMIT_METADATA_KEY: 'max_sessions', COUNT_WHEN: 'any-factor' });
    expect(failed(metadata)).toEqual(['permissions']);
    expect(metadata.checks.find((check) => check.id === 'permissions')?.fix).toContain('LIMIT_METADATA_KEY');
  });

  it('✗ policy_read: a credential without policy.read (IAM_USER_MANAGER alone) is caught by the call itself', async () => {
    zitadel.withheldPermissions.set(PAT, new Set(['policy.read']));
    info.permissions.set(PAT, ['session.read', 'session.delete', 'user.read', 'action.target.read']);
    const signedIn = zitadel.addSession({ userId: '1001', factors: ['password'] });

    const run = await doctor();

    expect(run.code).toBe(4);
    expect(failed(run)).toEqual(['permissions', 'policy_read']);
    const policy = run.checks.find((check) => check.id === 'policy_read');
    expect(policy?.summary).toContain('policy.read');
    expect(policy?.fix).toContain('IAM_OWNER_VIEWER');
    expect(policy?.fix).toContain('ORG_USER_MANAGER');
    expect(run.checks.find((check) => check.id === 'permissions')?.fix).toContain('IAM_OWNER_VIEWER');
    // Proven by the calls the limiter makes: GetSession of a visible session, the user's methods, the policy.
    expect(statusOf(run, 'session_read')).toBe('ok');
    expect(statusOf(run, 'user_read')).toBe('ok');
    expect(zitadel.requests('GET', `/v2/sessions/${signedIn.id}`)).toHaveLength(1);
    expect(zitadel.requests('GET', '/v2/users/1001/authentication_methods')).toHaveLength(1);
    expect(zitadel.requests('GET', '/v2/settings/login')).toHaveLength(1);
    expect(zitadel.liveSessionsOf('1001')).toHaveLength(1);
  });

  it('never shows ✓ for a permission no call proved (no visible session: session.read is not proven)', async () => {
    const run = await doctor();
    expect(statusOf(run, 'session_read')).toBe('warn');
    expect(run.checks.find((check) => check.id === 'session_read')?.summary).toContain('not proven');
  });

  it('falls back to a session search when the instance does not list permissions', async () => {
    info.withoutPermissionList = true;
    const run = await doctor();
    expect(statusOf(run, 'credential')).toBe('ok');
    expect(statusOf(run, 'permissions')).toBe('info');
    expect(run.code).toBe(0);
    // The access check, then the search for a session to prove session.read with.
    expect(zitadel.requests('POST', '/v2/sessions/search')).toHaveLength(2);
    const refused = await doctor({ PAT: 'unknown-pat' });
    expect(failed(refused)).toEqual(['credential']);
  });

  it('! actions: a credential that may not read targets gets a warning, not a failure', async () => {
    const run = await doctor({ PAT: VIEWER_PAT });
    expect(run.code).toBe(0);
    expect(statusOf(run, 'actions')).toBe('warn');
    expect(statusOf(run, 'version')).toBe('info');
    expect(statusOf(run, 'probe')).toBe('ok');
  });

  it.each([
    ['a trailing comma', (key: string) => `${key},`, 'SIGNING_KEY has an empty key between commas'],
    ['four keys', (key: string) => `${key},b,c,d`, 'SIGNING_KEY has 4 keys; at most 3 are accepted'],
  ])(
    '✗ signing_key: a SIGNING_KEY with %s, which the limiter refuses, is never used for the probe',
    async (_name, malformed, problem) => {
      const readable = await doctor({ SIGNING_KEY: malformed(target.signingKey) });
      expect(failed(readable)).toEqual(['signing_key']);
      const check = readable.checks.find((candidate) => candidate.id === 'signing_key');
      expect(check?.summary).toContain(problem);
      expect(readable.stdout).not.toContain(target.signingKey);
      // The target's own key still signs the probe.
      expect(statusOf(readable, 'probe')).toBe('ok');

      // With the target unreadable, the only key at hand is the refused one: no probe rather than a false "ok".
      const unreadable = await doctor({ PAT: VIEWER_PAT, SIGNING_KEY: malformed(target.signingKey) });
      expect(failed(unreadable)).toEqual(['signing_key']);
      expect(unreadable.code).toBe(4);
      const probe = unreadable.checks.find((candidate) => candidate.id === 'probe');
      expect(probe).toMatchObject({ status: 'skip' });
      expect(probe?.summary).toContain('SIGNING_KEY is not valid');
    },
  );

  it('✗ target: none posts to the endpoint', async () => {
    target.endpoint = 'https://elsewhere.example.com/session/manage';
    const run = await doctor();
    expect(failed(run)).toEqual(['target']);
  });

  it('! deny_list: names the deny list the version reads (Executions up to v4.13, HTTPClient after; both when unknown)', async () => {
    const summaryOf = (run: DoctorRun) => {
      const check = run.checks.find((candidate) => candidate.id === 'deny_list');
      expect(check?.status).toBe('warn');
      return `${check?.summary} ${check?.fix}`;
    };
    const v412 = summaryOf(await doctor());
    expect(v412).toContain("the endpoint's host 127.0.0.1 is in the default deny list of ZITADEL v4.12");
    expect(v412).toContain('ZITADEL_EXECUTIONS_DENYLIST');
    expect(v412).not.toContain('ZITADEL_HTTPCLIENT_DENYLIST');
    expect(v412).toContain('skips the target silently');

    info.version = 'v4.14.0';
    const v414 = summaryOf(await doctor());
    expect(v414).toContain('ZITADEL_HTTPCLIENT_DENYLIST');
    expect(v414).not.toContain('ZITADEL_EXECUTIONS_DENYLIST');

    info.version = undefined;
    const unknown = summaryOf(await doctor());
    expect(unknown).toContain('ZITADEL_EXECUTIONS_DENYLIST');
    expect(unknown).toContain('ZITADEL_HTTPCLIENT_DENYLIST');
  });

  it('! deny_new_availability: deny-new with interruptOnError says every login depends on the limiter, and what to run', async () => {
    target.interruptOnError = true;
    const run = await doctor({ LIMIT_STRATEGY: 'deny-new' });

    expect(run.code).toBe(0);
    const check = run.checks.find((candidate) => candidate.id === 'deny_new_availability');
    expect(check?.status).toBe('warn');
    expect(check?.summary).toContain('every login, username steps included, depends on the limiter being up');
    expect(check?.fix).toContain('fails every CreateSession with HTTP 500');
    expect(check?.fix).toContain('leaves a signed-in session behind');
    expect(check?.fix).toContain('two or more replicas');
    expect(check?.fix).toContain('GET /readyz');
    expect(statusOf(await doctor(), 'deny_new_availability')).toBeUndefined();
  });

  it('! event_executions: a JWT or JWE target on event executions, which v4.13.1 never delivers to it', async () => {
    actions.setExecution({ event: { event: 'session.password.checked' } }, [target.id]);
    expect(statusOf(await doctor(), 'event_executions')).toBeUndefined();

    target.payloadType = 'PAYLOAD_TYPE_JWT';
    const run = await doctor({ REQUIRE_PAYLOAD_TYPE: 'jwt' });
    const check = run.checks.find((candidate) => candidate.id === 'event_executions');
    expect(check?.status).toBe('warn');
    expect(check?.summary).toContain('session.password.checked');
    expect(check?.summary).toContain('never delivers events to a JWT or JWE target');
    expect(check?.fix).toContain('Remove the target from those executions');
    expect(run.code).toBe(0);
  });

  it('✗ target_type: restCall', async () => {
    target.type = 'restCall';
    expect(failed(await doctor())).toEqual(['target_type']);
  });

  it('✗ interrupt_on_error: deny-new without interruptOnError; ! under evict-oldest with it', async () => {
    expect(failed(await doctor({ LIMIT_STRATEGY: 'deny-new' }))).toEqual(['interrupt_on_error']);
    target.interruptOnError = true;
    const evict = await doctor();
    expect(statusOf(evict, 'interrupt_on_error')).toBe('warn');
    expect(evict.code).toBe(0);
  });

  it('✗ payload_type: the limiter requires JWT but the target sends JSON (the probe sees it too)', async () => {
    await stopLimiter();
    const url = await startLimiter({ SIGNING_KEY: target.signingKey, REQUIRE_PAYLOAD_TYPE: 'jwt' });
    expect(url).not.toBe(endpoint);
    target.endpoint = url;
    endpoint = url;
    const run = await doctor({ REQUIRE_PAYLOAD_TYPE: 'jwt' });
    expect(failed(run)).toEqual(['payload_type', 'probe']);
    expect(run.checks.find((check) => check.id === 'probe')?.summary).toContain(
      'requires JWT or JWE payloads',
    );
  });

  it('✓ JWT target with REQUIRE_PAYLOAD_TYPE=jwt; ✗ jwks when the key set cannot be fetched', async () => {
    target.payloadType = 'PAYLOAD_TYPE_JWT';
    const good = await doctor({ REQUIRE_PAYLOAD_TYPE: 'jwt' });
    expect(failed(good)).toEqual([]);
    expect(statusOf(good, 'jwks')).toBe('ok');
    jwks.failing = true;
    expect(failed(await doctor({ REQUIRE_PAYLOAD_TYPE: 'jwt' }))).toEqual(['jwks']);
    const loose = await doctor();
    expect(statusOf(loose, 'payload_type')).toBe('warn');
  });

  it('✗ decryption_key: JWE without a configured key, without an active key, or with a key the limiter does not hold', async () => {
    target.payloadType = 'PAYLOAD_TYPE_JWE';
    expect(failed(await doctor())).toContain('decryption_key');

    const withKey = { PAYLOAD_DECRYPTION_KEY: ours.privatePem };
    expect(failed(await doctor(withKey))).toEqual(['decryption_key']);

    target.publicKeys.push({
      keyId: 'k-theirs',
      publicKeyPem: theirs.publicPem,
      active: true,
      expirationDate: undefined,
    });
    const mismatch = await doctor(withKey);
    expect(failed(mismatch)).toEqual(['decryption_key']);
    expect(mismatch.checks.find((check) => check.id === 'decryption_key')?.summary).toContain('matches none');

    target.publicKeys = [
      { keyId: 'k-ours', publicKeyPem: ours.publicPem, active: true, expirationDate: undefined },
    ];
    const good = await doctor(withKey);
    expect(failed(good)).toEqual([]);
    expect(statusOf(good, 'decryption_key')).toBe('ok');
  });

  it('✗ executions: v2 SetSession missing; ! v2beta missing', async () => {
    actions.setExecution({ response: { method: METHODS[3]! } }, []);
    const v2beta = await doctor();
    expect(statusOf(v2beta, 'executions_v2beta')).toBe('warn');
    expect(v2beta.code).toBe(0);

    actions.setExecution({ response: { method: METHODS[1]! } }, ['some-other-target']);
    const run = await doctor();
    expect(failed(run)).toEqual(['executions']);
    expect(run.checks.find((check) => check.id === 'executions')?.summary).toContain(
      'SessionService/SetSession',
    );
  });

  it('✗ broad_executions: the target on the whole session service or on all; ! on request conditions', async () => {
    actions.setExecution({ response: { service: 'zitadel.session.v2.SessionService' } }, [target.id]);
    expect(failed(await doctor())).toEqual(['broad_executions']);
    actions.setExecution({ response: { service: 'zitadel.session.v2.SessionService' } }, []);
    actions.setExecution({ request: { all: true } }, [target.id]);
    expect(failed(await doctor())).toEqual(['broad_executions']);
    actions.setExecution({ request: { all: true } }, []);
    actions.setExecution({ request: { method: METHODS[1]! } }, [target.id]);
    const request = await doctor();
    expect(statusOf(request, 'request_executions')).toBe('warn');
    expect(request.code).toBe(0);
  });

  it('✗ probe: the limiter holds another signing key, or does not answer', async () => {
    target.signingKey = 'a-key-the-limiter-does-not-have';
    const wrongKey = await doctor();
    expect(failed(wrongKey)).toEqual(['probe']);
    expect(wrongKey.checks.find((check) => check.id === 'probe')?.fix).toContain('SIGNING_KEY');

    await stopLimiter();
    const down = await doctor();
    expect(failed(down)).toEqual(['probe']);
    expect(down.checks.find((check) => check.id === 'probe')?.summary).toContain('could not be reached');
  });

  it('says which eviction limits apply: back-channel logout off before v4.11', async () => {
    info.version = 'v4.10.3';
    info.backChannelLogout = false;
    const off = await doctor();
    expect(statusOf(off, 'back_channel_logout')).toBe('warn');
    info.backChannelLogout = true;
    expect(statusOf(await doctor(), 'back_channel_logout')).toBe('ok');
    info.version = undefined;
    info.backChannelLogout = undefined;
    expect(statusOf(await doctor(), 'back_channel_logout')).toBe('info');
  });

  it('names the OIDC apps an eviction does not reach, as far as the credential sees them', async () => {
    info.projects = [
      {
        id: 'p-1',
        name: 'shop',
        apps: [
          {
            name: 'web',
            oidcConfig: {
              accessTokenType: 'OIDC_TOKEN_TYPE_JWT',
              grantTypes: ['OIDC_GRANT_TYPE_AUTHORIZATION_CODE', 'OIDC_GRANT_TYPE_REFRESH_TOKEN'],
            },
          },
          {
            name: 'backoffice',
            oidcConfig: {
              grantTypes: ['OIDC_GRANT_TYPE_AUTHORIZATION_CODE'],
              backChannelLogoutUri: 'https://backoffice.example.com/logout',
            },
          },
          { name: 'api' },
        ],
      },
    ];
    const run = await doctor();
    const summary = (id: string) => run.checks.find((check) => check.id === id)?.summary ?? '';
    expect(run.code).toBe(0);
    expect(statusOf(run, 'back_channel_apps')).toBe('warn');
    expect(summary('back_channel_apps')).toContain("1 of 2 OIDC app(s) in the credential's organisation");
    expect(summary('back_channel_apps')).toContain('shop/web');
    expect(summary('back_channel_apps')).not.toContain('backoffice');
    expect(statusOf(run, 'refresh_tokens')).toBe('warn');
    expect(summary('refresh_tokens')).toContain('shop/web');
    expect(statusOf(run, 'jwt_access_tokens')).toBe('warn');

    info.projects[0]!.apps = [info.projects[0]!.apps[1]!];
    const clean = await doctor();
    expect(statusOf(clean, 'back_channel_apps')).toBe('ok');
    expect(statusOf(clean, 'refresh_tokens')).toBe('ok');
    expect(statusOf(clean, 'jwt_access_tokens')).toBe('ok');

    const hidden = await doctor({ PAT: VIEWER_PAT });
    expect(statusOf(hidden, 'refresh_tokens')).toBe('info');
    expect(hidden.checks.find((check) => check.id === 'refresh_tokens')?.summary).toContain(
      'cannot list the OIDC apps',
    );
  });

  it('completes the endpoint like setup and refuses a missing one (exit 2)', async () => {
    let stderr = '';
    const code = await runCli(['doctor'], {
      env: { INSTANCE_URL: zitadel.url, PAT },
      stdout: { write: () => true },
      stderr: { write: (text: string) => (stderr += text) },
      now: Date.now,
    });
    expect(code).toBe(2);
    expect(stderr).toContain('missing --endpoint');
    endpoint = endpoint.replace('/session/manage', '');
    const run = await doctor();
    expect(failed(run)).toEqual([]);
  });
});
