import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli as runCliInProcess } from '../../src/cli/runCli.js';
import { FakeActions, type FakeActionsOptions } from '../support/fakeActions.js';
import { FakeInstanceInfo } from '../support/fakeInstanceInfo.js';
import { FakeZitadel } from '../support/fakeZitadel.js';
import { jsonOf, runCli } from './cliProcess.js';

const ADMIN_PAT = 'cli-admin-pat-9Xk';
const ENDPOINT = 'https://limiter.example.com/session/manage';
const CREATE_SESSION = '/zitadel.session.v2.SessionService/CreateSession';
const SET_SESSION = '/zitadel.session.v2.SessionService/SetSession';
const CREATE_SESSION_V2BETA = '/zitadel.session.v2beta.SessionService/CreateSession';
const SET_SESSION_V2BETA = '/zitadel.session.v2beta.SessionService/SetSession';

describe('setup', () => {
  let zitadel: FakeZitadel;
  let actions: FakeActions;

  async function startInstance(options: FakeActionsOptions = {}) {
    actions = new FakeActions(options);
    zitadel = await new FakeZitadel({ acceptedTokens: [ADMIN_PAT], protectedRoutes: actions.mount }).start();
  }

  const createRequests = () =>
    zitadel.seen.filter((request) => request.method === 'POST' && request.path === '/v2/actions/targets');
  const env = (extra: Record<string, string> = {}) => ({
    INSTANCE_URL: zitadel.url,
    PAT: ADMIN_PAT,
    ...extra,
  });

  /** setup in this process (no process start-up, which the machine's load can stretch): stdout, stderr, code. */
  async function setupHere(args: string[], extra: Record<string, string> = {}) {
    let stdout = '';
    let stderr = '';
    const code = await runCliInProcess(['setup', '--endpoint', ENDPOINT, '--no-probe', ...args], {
      env: env(extra),
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      now: Date.now,
    });
    return { code, stdout, stderr };
  }

  beforeEach(async () => {
    await startInstance();
  });

  afterEach(async () => {
    await zitadel.stop();
  });

  it('creates a restWebhook target and response executions on CreateSession and SetSession, and prints the key once', async () => {
    const run = await runCli(['setup', '--endpoint', ENDPOINT], env());

    expect(run.code).toBe(0);
    const [target] = [...actions.targets.values()];
    expect(actions.targets.size).toBe(1);
    expect(target).toMatchObject({
      name: 'zitadel-session-limiter',
      endpoint: ENDPOINT,
      timeout: '10s',
      type: 'restWebhook',
      interruptOnError: false,
    });
    expect(actions.responseTargets(CREATE_SESSION)).toEqual([target!.id]);
    expect(actions.responseTargets(SET_SESSION)).toEqual([target!.id]);
    expect(createRequests()[0]?.body).toEqual({
      name: 'zitadel-session-limiter',
      endpoint: ENDPOINT,
      timeout: '10s',
      restWebhook: { interruptOnError: false },
    });
    expect(zitadel.requests('PUT', '/v2/actions/executions').map((request) => request.body)).toEqual([
      { condition: { response: { method: CREATE_SESSION } }, targets: [target!.id] },
      { condition: { response: { method: SET_SESSION } }, targets: [target!.id] },
      { condition: { response: { method: CREATE_SESSION_V2BETA } }, targets: [target!.id] },
      { condition: { response: { method: SET_SESSION_V2BETA } }, targets: [target!.id] },
    ]);
    expect(run.stdout).toContain(`SIGNING_KEY=${target!.signingKey}\n`);
    expect(run.stdout.split(target!.signingKey).length - 1).toBe(1);
    expect(run.stdout).toContain(`Target "zitadel-session-limiter" (${target!.id}): created`);
  });

  it('finds the target by name on a re-run: no duplicate, no write, the same key', async () => {
    const first = await runCli(['setup', '--endpoint', ENDPOINT, '--json'], env());
    const writesBefore = zitadel.seen.filter(
      (request) => request.method !== 'GET' && !request.path.endsWith('/search'),
    ).length;

    const second = await runCli(['setup', '--endpoint', ENDPOINT, '--json'], env());

    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    expect(actions.targets.size).toBe(1);
    const [target] = [...actions.targets.values()];
    expect(actions.responseTargets(CREATE_SESSION)).toEqual([target!.id]);
    expect(actions.responseTargets(SET_SESSION)).toEqual([target!.id]);
    expect(
      zitadel.seen.filter((request) => request.method !== 'GET' && !request.path.endsWith('/search')).length,
    ).toBe(writesBefore);
    const answer = jsonOf(second);
    expect(answer).toMatchObject({
      ok: true,
      command: 'setup',
      api: 'v2',
      target: { id: target!.id, status: 'unchanged' },
      executions: [
        { method: CREATE_SESSION, status: 'unchanged' },
        { method: SET_SESSION, status: 'unchanged' },
        { method: CREATE_SESSION_V2BETA, status: 'unchanged' },
        { method: SET_SESSION_V2BETA, status: 'unchanged' },
      ],
      signingKey: target!.signingKey,
    });
    expect(jsonOf(first).signingKey).toBe(target!.signingKey);
  });

  it('updates the existing target when the endpoint changes, keeping its id and signing key', async () => {
    await runCli(['setup', '--endpoint', ENDPOINT], env());
    const [before] = [...actions.targets.values()];
    const key = before!.signingKey;

    const run = await runCli(
      ['setup', '--endpoint', 'https://limiter2.example.com/session/manage', '--timeout', '20s'],
      env(),
    );

    expect(run.code).toBe(0);
    expect(actions.targets.size).toBe(1);
    expect(actions.targets.get(before!.id)).toMatchObject({
      endpoint: 'https://limiter2.example.com/session/manage',
      timeout: '20s',
      signingKey: key,
    });
    expect(zitadel.requests('POST', `/v2/actions/targets/${before!.id}`)).toHaveLength(1);
    expect(zitadel.requests('GET', `/v2/actions/targets/${before!.id}`).length).toBeGreaterThanOrEqual(1);
    expect(run.stdout).toContain(`(${before!.id}): updated`);
    expect(run.stdout).toContain(`SIGNING_KEY=${key}`);
  });

  it('keeps other targets already registered on the same executions', async () => {
    const other = await runCli(
      ['setup', '--endpoint', 'https://audit.example.com/hook', '--name', 'audit-log'],
      env(),
    );
    expect(other.code).toBe(0);
    const audit = [...actions.targets.values()].find((target) => target.name === 'audit-log')!;

    const run = await runCli(['setup', '--endpoint', ENDPOINT], env());

    expect(run.code).toBe(0);
    const limiter = [...actions.targets.values()].find(
      (target) => target.name === 'zitadel-session-limiter',
    )!;
    expect(actions.responseTargets(CREATE_SESSION)).toEqual([audit.id, limiter.id]);
    expect(actions.responseTargets(SET_SESSION)).toEqual([audit.id, limiter.id]);
  });

  it('registers restAsync with --async, and never restCall', async () => {
    const run = await runCli(['setup', '--endpoint', ENDPOINT, '--async'], env());

    expect(run.code).toBe(0);
    expect(createRequests()[0]?.body).toEqual({
      name: 'zitadel-session-limiter',
      endpoint: ENDPOINT,
      timeout: '10s',
      restAsync: {},
    });
    expect([...actions.targets.values()][0]?.type).toBe('restAsync');
  });

  it('interrupts on error by default under deny-new, and not when told otherwise', async () => {
    const denyNew = await runCli(['setup', '--endpoint', ENDPOINT], env({ LIMIT_STRATEGY: 'deny-new' }));
    expect(denyNew.code).toBe(0);
    expect([...actions.targets.values()][0]?.interruptOnError).toBe(true);

    const failOpen = await runCli(
      ['setup', '--endpoint', ENDPOINT, '--no-interrupt-on-error'],
      env({ LIMIT_STRATEGY: 'deny-new' }),
    );
    expect(failOpen.code).toBe(0);
    expect([...actions.targets.values()][0]?.interruptOnError).toBe(false);
    expect(failOpen.stderr).toContain('only shows the refusal');
  });

  it('says under deny-new that every login now depends on the limiter being up, and what to run', async () => {
    const denyNew = await setupHere([], { LIMIT_STRATEGY: 'deny-new' });
    const evict = await setupHere([]);

    expect(denyNew.code).toBe(0);
    expect(denyNew.stderr).toContain(
      'LIMIT_STRATEGY=deny-new with interruptOnError: every login, username steps included, depends on the limiter being up',
    );
    expect(denyNew.stderr).toContain(
      "fails every CreateSession with HTTP 500 (its message names the limiter's URL)",
    );
    expect(denyNew.stderr).toContain('each failed attempt leaves a signed-in session behind');
    expect(denyNew.stderr).toContain('two or more replicas behind a load balancer');
    expect(denyNew.stderr).toContain('GET /readyz');
    expect(evict.stderr).not.toContain('depends on the limiter being up');
  });

  it('registers no event execution for a JWT target, and warns about one added by hand', async () => {
    const first = await setupHere(['--payload-type', 'jwt']);
    expect(first.code).toBe(0);
    expect(first.stderr).not.toContain('event executions');
    const conditions = zitadel
      .requests('PUT', '/v2/actions/executions')
      .map((request) => Object.keys((request.body as { condition: object }).condition)[0]);
    expect(conditions).toEqual(['response', 'response', 'response', 'response']);

    const [target] = [...actions.targets.values()];
    actions.setExecution({ event: { group: 'session' } }, [target!.id]);
    const again = await setupHere(['--payload-type', 'jwt']);

    expect(again.code).toBe(0);
    expect(again.stderr).toContain(
      'warning: the target sends JWT payloads and also runs on event executions (group session)',
    );
    expect(again.stderr).toContain('never delivers events to a JWT or JWE target');
  });

  it('falls back to /v2beta/actions on an instance without /v2/actions', async () => {
    await zitadel.stop();
    await startInstance({ versions: ['v2beta'] });

    const run = await runCli(['setup', '--endpoint', ENDPOINT], env());
    const again = await runCli(['setup', '--endpoint', ENDPOINT], env());

    expect(run.code).toBe(0);
    expect(again.code).toBe(0);
    expect(run.stdout).toContain('Action Service: /v2beta/actions');
    expect(actions.targets.size).toBe(1);
    const [target] = [...actions.targets.values()];
    expect(actions.responseTargets(SET_SESSION)).toEqual([target!.id]);
    expect(zitadel.requests('POST', '/v2beta/actions/targets').length).toBeGreaterThan(0);
    expect(zitadel.requests('PUT', '/v2beta/actions/executions')).toHaveLength(4);
    expect(zitadel.requests('PUT', '/v2/actions/executions')).toHaveLength(0);
  });

  it('fails with exit code 4 when the instance has no Action Service at all', async () => {
    await zitadel.stop();
    await startInstance({ versions: [] });

    // One of the few runs as a real process: the exit code comes through src/cli.ts and process.exitCode.
    const run = await runCli(['setup', '--endpoint', ENDPOINT], env(), 30_000, { process: true });

    expect(run.code).toBe(4);
    expect(run.stderr).toContain('neither /v2/actions nor /v2beta/actions');
  });

  it('refuses a plain http:// endpoint without --insecure, before calling ZITADEL', async () => {
    const refused = await runCli(['setup', '--endpoint', 'http://limiter.example.com/session/manage'], env());

    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--insecure');
    expect(zitadel.seen).toHaveLength(0);

    const allowed = await runCli(
      ['setup', '--endpoint', 'http://limiter.example.com/session/manage', '--insecure'],
      env(),
    );
    expect(allowed.code).toBe(0);
    expect([...actions.targets.values()][0]?.endpoint).toBe('http://limiter.example.com/session/manage');
  });

  it("explains ZITADEL's deny list when the endpoint is refused, naming both keys when the version is unknown", async () => {
    actions.denyPrivateEndpoints = true;

    const run = await runCli(['setup', '--endpoint', 'https://localhost:3000/session/manage'], env());

    expect(run.code).toBe(4);
    expect(run.stderr).toContain('localhost is in the default deny list of self-hosted ZITADEL');
    expect(run.stderr).toContain('ZITADEL_EXECUTIONS_DENYLIST');
    expect(run.stderr).toContain('ZITADEL_HTTPCLIENT_DENYLIST');
    expect(run.stderr).toContain("ZITADEL's version could not be read here, so both keys follow");
    expect(actions.targets.size).toBe(0);
  });

  it.each([
    ['v4.13.1', 'v4.13', 'ZITADEL_EXECUTIONS_DENYLIST', 'ZITADEL_HTTPCLIENT_DENYLIST'],
    ['v4.14.0', 'later', 'ZITADEL_HTTPCLIENT_DENYLIST', 'ZITADEL_EXECUTIONS_DENYLIST'],
  ] as const)(
    'names the deny list ZITADEL %s reads, and only that one',
    async (version, release, named, other) => {
      await zitadel.stop();
      actions = new FakeActions({ denyPrivateEndpoints: true, denyListRelease: release });
      const info = new FakeInstanceInfo();
      info.version = version;
      zitadel = await new FakeZitadel({
        acceptedTokens: [ADMIN_PAT],
        protectedRoutes: (app) => {
          info.mount(app);
          actions.mount(app);
        },
      }).start();

      const run = await runCli(['setup', '--endpoint', 'https://127.0.0.1/session/manage'], env());

      expect(run.code).toBe(4);
      expect(run.stderr).toContain(`ZITADEL ${version.replace(/\.\d+$/, '')} checks every target against`);
      expect(run.stderr).toContain(named);
      expect(run.stderr).not.toContain(other);
    },
  );

  it('is not refused on a 10.x address by v4.13, whose default deny list covers only loopback and the unspecified address', async () => {
    actions.denyPrivateEndpoints = true;

    const run = await runCli(['setup', '--endpoint', 'https://10.1.2.3/session/manage', '--no-probe'], env());

    expect(run.code).toBe(0);
    expect([...actions.targets.values()][0]?.endpoint).toBe('https://10.1.2.3/session/manage');
  });

  it('answers --json errors as one parseable document', async () => {
    const run = await runCli(
      ['setup', '--endpoint', 'https://localhost/x', '--timeout', '300s', '--json'],
      env(),
    );

    expect(run.code).toBe(2);
    expect(jsonOf(run)).toMatchObject({ ok: false, error: { kind: 'usage', exitCode: 2 } });
  });

  it('exits with 4 and names the missing role when ZITADEL refuses the credential', async () => {
    const run = await runCli(['setup', '--endpoint', ENDPOINT], env({ PAT: 'not-an-admin' }));

    expect(run.code).toBe(4);
    expect(run.stderr).toContain('refused the credential');
    expect(run.stderr).not.toContain('not-an-admin');
  });

  it('exits with 3 on a PAT with the "Bearer " prefix or an INSTANCE_URL with a path, with the start-up message', async () => {
    // The CLI's own loading (runCli → connect), as the service's start-up reads the same variables.
    const bearer = await setupHere([], { PAT: `Bearer ${ADMIN_PAT}` });
    const withPath = await setupHere([], { INSTANCE_URL: `${zitadel.url}/v2` });

    expect(bearer.code).toBe(3);
    expect(bearer.stderr).toContain('PAT must be the bare token, without the "Bearer " prefix');
    expect(bearer.stderr).not.toContain(ADMIN_PAT);
    expect(withPath.code).toBe(3);
    expect(withPath.stderr).toContain(
      "INSTANCE_URL must be the instance's base URL without a path (e.g. https://my-instance.zitadel.cloud): ZITADEL serves its APIs at the domain's root, so drop the path",
    );
    expect(zitadel.seen).toHaveLength(0);
  });

  it('exits with 3 when INSTANCE_URL is missing, naming it', async () => {
    const run = await runCli(['setup', '--endpoint', ENDPOINT], { PAT: ADMIN_PAT }, 30_000, {
      process: true,
    });

    expect(run.code).toBe(3);
    expect(run.stderr).toContain('INSTANCE_URL');
    expect(run.stderr).not.toContain(ADMIN_PAT);
  });
});
