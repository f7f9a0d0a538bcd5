import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { READ_BACK_DELAYS_MS } from '../../src/cli/setup.js';
import { runCli as runCliInProcess } from '../../src/cli/runCli.js';
import { FakeActions, type FakeActionsOptions } from '../support/fakeActions.js';
import { FakeZitadel } from '../support/fakeZitadel.js';
import { buildHarness } from '../support/harness.js';
import { targetKeyPair } from '../support/payloadKeys.js';
import { jsonOf, runCli } from './cliProcess.js';

const ADMIN_PAT = 'cli-admin-pat-9Xk';
const ENDPOINT = 'https://limiter.example.com/session/manage';
const V2BETA_CREATE = '/zitadel.session.v2beta.SessionService/CreateSession';
const V2BETA_SET = '/zitadel.session.v2beta.SessionService/SetSession';

describe('setup: payload types, v2beta, endpoint completion and the probe', () => {
  let zitadel: FakeZitadel;
  let actions: FakeActions;
  let directory: string;
  let limiter: Server | undefined;

  async function startInstance(options: FakeActionsOptions = {}) {
    actions = new FakeActions(options);
    zitadel = await new FakeZitadel({ acceptedTokens: [ADMIN_PAT], protectedRoutes: actions.mount }).start();
  }

  const env = (extra: Record<string, string> = {}) => ({
    INSTANCE_URL: zitadel.url,
    PAT: ADMIN_PAT,
    ...extra,
  });
  const onlyTarget = () => {
    expect(actions.targets.size).toBe(1);
    return [...actions.targets.values()][0]!;
  };

  /** The real limiter app on a local port, with the given signing key and settings. */
  async function startLimiter(extra: Record<string, string>): Promise<string> {
    const { app } = buildHarness(extra, zitadel.url);
    limiter = await new Promise<Server>((resolve) => {
      const server = app.listen(0, '127.0.0.1', () => resolve(server));
    });
    return `http://127.0.0.1:${(limiter.address() as AddressInfo).port}`;
  }

  /**
   * setup in this process, with a sleep that only records what it was asked to wait: the read-back's backoff runs
   * in full without the test waiting for it.
   */
  async function setupWithoutWaiting(args: string[]) {
    let stdout = '';
    let stderr = '';
    const sleeps: number[] = [];
    const code = await runCliInProcess(['setup', '--endpoint', ENDPOINT, '--no-probe', ...args], {
      env: env(),
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      now: Date.now,
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
    });
    return { code, stdout, stderr, sleeps };
  }
  const targetReads = () =>
    zitadel.seen.filter((request) => request.method === 'GET' && request.path.includes('/actions/targets/'));

  beforeEach(async () => {
    directory = mkdtempSync(path.join(tmpdir(), 'limiter-setup-'));
    await startInstance();
  });

  afterEach(async () => {
    await zitadel.stop();
    if (limiter !== undefined) {
      limiter.closeAllConnections();
      await new Promise((resolve) => limiter!.close(resolve));
      limiter = undefined;
    }
    rmSync(directory, { recursive: true, force: true });
  });

  it('wires v2beta CreateSession and SetSession too, and skips them where the instance does not serve them', async () => {
    await zitadel.stop();
    await startInstance({ unknownMethods: [V2BETA_CREATE, V2BETA_SET] });

    const run = await runCli(['setup', '--endpoint', ENDPOINT, '--no-probe'], env());

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${V2BETA_CREATE}  not served by this instance (skipped)`);
    expect(actions.responseTargets(V2BETA_SET)).toEqual([]);
    expect(actions.responseTargets('/zitadel.session.v2.SessionService/SetSession')).toEqual([
      onlyTarget().id,
    ]);
  });

  it('completes an endpoint without our route, and says so', async () => {
    const run = await runCli(['setup', '--endpoint', 'https://limiter.example.com', '--no-probe'], env());
    const prefixed = await runCli(
      ['setup', '--endpoint', 'https://proxy.example.com/limiter/', '--name', 'other', '--no-probe'],
      env(),
    );

    expect(run.code).toBe(0);
    expect(run.stderr).toContain('completed the endpoint to https://limiter.example.com/session/manage');
    expect(prefixed.code).toBe(0);
    expect([...actions.targets.values()].map((target) => target.endpoint)).toEqual([
      'https://limiter.example.com/session/manage',
      'https://proxy.example.com/limiter/session/manage',
    ]);
  });

  it('--payload-type jwt sets the target to PAYLOAD_TYPE_JWT and suggests REQUIRE_PAYLOAD_TYPE=jwt', async () => {
    const run = await runCli(['setup', '--endpoint', ENDPOINT, '--payload-type', 'jwt', '--no-probe'], env());

    expect(run.code).toBe(0);
    expect(onlyTarget().payloadType).toBe('PAYLOAD_TYPE_JWT');
    expect(run.stdout).toContain('payload   PAYLOAD_TYPE_JWT');
    expect(run.stdout).toContain('REQUIRE_PAYLOAD_TYPE=jwt');
  });

  it('takes the payload type from REQUIRE_PAYLOAD_TYPE when no flag is given', async () => {
    const run = await runCli(
      ['setup', '--endpoint', ENDPOINT, '--no-probe'],
      env({ REQUIRE_PAYLOAD_TYPE: 'jwt' }),
    );
    expect(run.code).toBe(0);
    expect(onlyTarget().payloadType).toBe('PAYLOAD_TYPE_JWT');
  });

  it('fails with exit 4 when the instance drops payloadType (before ZITADEL 4.8), after every read-back, before wiring anything', async () => {
    await zitadel.stop();
    await startInstance({ withoutPayloadTypes: true });

    const run = await setupWithoutWaiting(['--payload-type', 'jwt']);

    expect(run.code).toBe(4);
    expect(run.stderr).toContain('need ZITADEL 4.8 or newer');
    expect(run.sleeps).toEqual(READ_BACK_DELAYS_MS);
    expect(targetReads()).toHaveLength(READ_BACK_DELAYS_MS.length + 1);
    expect(zitadel.requests('PUT', '/v2/actions/executions')).toHaveLength(0);
  });

  it.each(['jwt', 'jwe'])(
    '--payload-type %s on a new target waits for a lagging view (3 stale reads) instead of exiting 4, and wires the executions',
    async (form) => {
      await zitadel.stop();
      await startInstance({ payloadTypeReadLag: 3 });

      const keyOut = form === 'jwe' ? ['--private-key-out', path.join(directory, 'payload.pem')] : [];
      const run = await setupWithoutWaiting(['--payload-type', form, ...keyOut]);

      expect(run.stderr).not.toContain('did not keep payloadType');
      expect(run.code).toBe(0);
      expect(onlyTarget().payloadType).toBe(`PAYLOAD_TYPE_${form.toUpperCase()}`);
      // Three stale reads, three waits (growing), then the fourth read shows what ZITADEL kept.
      expect(run.sleeps).toEqual(READ_BACK_DELAYS_MS.slice(0, 3));
      expect(run.sleeps[1]!).toBeGreaterThan(run.sleeps[0]!);
      expect(zitadel.requests('PUT', '/v2/actions/executions')).toHaveLength(4);
      expect(run.stdout).toContain(`REQUIRE_PAYLOAD_TYPE=${form}`);
    },
  );

  it('--payload-type jwe generates a key pair, writes the private key (0600) and never prints it, uploads and activates the public key', async () => {
    const keyFile = path.join(directory, 'payload.pem');
    const run = await runCli(
      ['setup', '--endpoint', ENDPOINT, '--payload-type', 'jwe', '--private-key-out', keyFile, '--no-probe'],
      env(),
    );

    expect(run.code).toBe(0);
    const target = onlyTarget();
    expect(target.payloadType).toBe('PAYLOAD_TYPE_JWE');
    expect(target.publicKeys).toHaveLength(1);
    expect(target.publicKeys[0]!.active).toBe(true);
    const privatePem = readFileSync(keyFile, 'utf8');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const derived = createPublicKey(createPrivateKey(privatePem)).export({ type: 'spki', format: 'pem' });
    expect(target.publicKeys[0]!.publicKeyPem).toBe(derived);
    const body = privatePem.split('\n')[1]!;
    expect(run.stdout + run.stderr).not.toContain(body);
    expect(run.stdout).toContain(`PAYLOAD_DECRYPTION_KEY_FILE=${keyFile}`);
    // The key was activated before the target switched to JWE: ZITADEL never had a JWE target without a key.
    const order = zitadel.seen
      .filter(
        (request) => request.method === 'POST' && /\/targets\/[^/]+(\/publickeys.*)?$/.test(request.path),
      )
      .map((request) =>
        request.path.endsWith('/activate')
          ? 'activate'
          : ((request.body as { payloadType?: string }).payloadType ?? 'key'),
      );
    expect(order.indexOf('activate')).toBeLessThan(order.indexOf('PAYLOAD_TYPE_JWE'));

    const again = await runCli(
      [
        'setup',
        '--endpoint',
        ENDPOINT,
        '--payload-type',
        'jwe',
        '--private-key-out',
        keyFile,
        '--no-probe',
        '--json',
      ],
      env(),
    );
    expect(again.code).toBe(0);
    expect(jsonOf(again)).toMatchObject({
      target: { status: 'unchanged' },
      publicKey: { keyId: target.publicKeys[0]!.keyId, status: 'kept' },
    });
    expect(target.publicKeys).toHaveLength(1);
  });

  it('--public-key uploads and activates the given key; a private key is refused before any call', async () => {
    const pair = targetKeyPair('rsa');
    const publicFile = path.join(directory, 'public.pem');
    const privateFile = path.join(directory, 'private.pem');
    writeFileSync(publicFile, pair.publicPem);
    writeFileSync(privateFile, pair.privatePem);

    const refused = await runCli(
      ['setup', '--endpoint', ENDPOINT, '--payload-type', 'jwe', '--public-key', privateFile, '--no-probe'],
      env(),
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--public-key holds a private key');
    expect(zitadel.seen).toHaveLength(0);

    const run = await runCli(
      ['setup', '--endpoint', ENDPOINT, '--payload-type', 'jwe', '--public-key', publicFile, '--no-probe'],
      env(),
    );
    expect(run.code).toBe(0);
    const target = onlyTarget();
    expect(target.publicKeys.map((key) => [key.publicKeyPem, key.active])).toEqual([[pair.publicPem, true]]);
    expect(run.stdout).not.toContain('PAYLOAD_DECRYPTION_KEY_FILE=');
  });

  it('probes the endpoint it registers: ✓ when the limiter holds the key', async () => {
    const existing = actions.addTarget({
      name: 'zitadel-session-limiter',
      endpoint: 'https://old.example.com',
    });
    const url = await startLimiter({ SIGNING_KEY: existing.signingKey });

    const run = await runCli(['setup', '--endpoint', url, '--insecure', '--json'], env());

    expect(run.code).toBe(0);
    expect(jsonOf(run)).toMatchObject({ probe: { verdict: 'ok', status: 200, code: 'ignored' } });
    expect(zitadel.requests('POST', '/v2/sessions')).toHaveLength(0);
  });

  it('probe: a limiter requiring JWT payloads still proves the key; a wrong key is a warning with the fix, not a failure', async () => {
    const existing = actions.addTarget({
      name: 'zitadel-session-limiter',
      endpoint: 'https://old.example.com',
    });
    const url = await startLimiter({ SIGNING_KEY: existing.signingKey, REQUIRE_PAYLOAD_TYPE: 'jwt' });

    const strict = await runCli(['setup', '--endpoint', url, '--insecure', '--payload-type', 'jwt'], env());
    expect(strict.code).toBe(0);
    expect(strict.stdout).toContain('Probe: ✓ the limiter accepted the probe');

    existing.signingKey = 'rotated-key-the-limiter-does-not-know';
    const wrong = await runCli(['setup', '--endpoint', url, '--insecure'], env());
    expect(wrong.code).toBe(0);
    expect(wrong.stderr).toContain('warning: probe: the limiter refused the probe');
    expect(wrong.stderr).toContain("SIGNING_KEY does not contain this target's signing key");
    expect(wrong.stderr).not.toContain('rotated-key-the-limiter-does-not-know');
  });

  it('probe: an unreachable endpoint is a warning, not a crash', async () => {
    const run = await runCli(
      ['setup', '--endpoint', 'http://127.0.0.1:9/session/manage', '--insecure'],
      env(),
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('could not be reached from here');
    expect(onlyTarget().endpoint).toBe('http://127.0.0.1:9/session/manage');
  });
});
