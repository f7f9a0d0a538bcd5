import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/cliProcess.js';
import { FakeActions } from '../support/fakeActions.js';
import { FakeZitadel } from '../support/fakeZitadel.js';
import { startLimiter, type LimiterProcess } from '../support/limiterProcess.js';
import { bodyForTarget, FakeJwks, instanceWebKey, type InstanceWebKey } from '../support/payloadKeys.js';
import { createSessionResponse, signatureHeader } from '../support/webhooks.js';

const PAT = 'e2e-payload-pat-Tq2';
const USER = '284021120958305555';
const MINUTE = 60_000;

let webKey: InstanceWebKey;
let directory: string;

beforeAll(async () => {
  webKey = await instanceWebKey('instance-web-key-1', 'ES256');
  directory = mkdtempSync(path.join(tmpdir(), 'limiter-payload-e2e-'));
});

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

/**
 * The whole path as an operator runs it: `setup --payload-type` against the fake Action Service, the real
 * limiter process started with what setup printed, and webhooks made from the target the way ZITADEL makes them.
 */
describe.each(['jwt', 'jwe'] as const)('a %s target, end to end', (payloadType) => {
  let zitadel: FakeZitadel;
  let actions: FakeActions;
  let jwks: FakeJwks;
  let limiter: LimiterProcess | undefined;

  afterEach(async () => {
    await limiter?.stop();
    limiter = undefined;
    await zitadel.stop();
  });

  it('is set up by the CLI, enforced by the limiter, and a plain JSON forgery is refused', async () => {
    actions = new FakeActions();
    jwks = new FakeJwks([webKey]);
    zitadel = await new FakeZitadel({
      acceptedTokens: [PAT],
      publicRoutes: jwks.mount,
      protectedRoutes: actions.mount,
    }).start();
    const keyFile = path.join(directory, `${payloadType}.pem`);

    const setup = await runCli(
      [
        'setup',
        '--endpoint',
        'https://limiter.example.com',
        '--payload-type',
        payloadType,
        ...(payloadType === 'jwe' ? ['--private-key-out', keyFile] : []),
        '--no-probe',
      ],
      { INSTANCE_URL: zitadel.url, PAT },
    );
    expect(setup.code).toBe(0);
    const target = [...actions.targets.values()][0]!;
    expect(target.payloadType).toBe(payloadType === 'jwt' ? 'PAYLOAD_TYPE_JWT' : 'PAYLOAD_TYPE_JWE');
    // The lines setup printed for the limiter's environment.
    const printed = Object.fromEntries(
      setup.stdout
        .split('\n')
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(printed).toMatchObject({
      SIGNING_KEY: target.signingKey,
      REQUIRE_PAYLOAD_TYPE: payloadType,
      ...(payloadType === 'jwe' ? { PAYLOAD_DECRYPTION_KEY_FILE: keyFile } : {}),
    });

    limiter = await startLimiter({ INSTANCE_URL: zitadel.url, PAT, CONCURRENT_SESSIONS: '2', ...printed });
    for (const minutes of [30, 20, 10])
      zitadel.addSession({ userId: USER, creationDate: new Date(Date.now() - minutes * MINUTE) });
    const login = zitadel.addSession({ userId: USER });
    const json = createSessionResponse(login);
    const post = async (body: string) => {
      const res = await fetch(`${limiter!.url}/session/manage`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'ZITADEL-Signature': signatureHeader(body, target.signingKey),
        },
        body,
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    // Someone who can read the target (and so its signing key) forges a plain JSON webhook.
    const forged = await post(json);
    expect(forged).toEqual({ status: 400, body: { error: 'payload_type_required' } });
    expect(zitadel.liveSessionsOf(USER)).toHaveLength(4);

    const body = await bodyForTarget(json, target, webKey);
    const res = await post(body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: 'enforced', userId: USER, sessionId: login.id });
    expect(zitadel.liveSessionsOf(USER).map((session) => session.id)).toContain(login.id);
    expect(zitadel.liveSessionsOf(USER)).toHaveLength(2);
    expect(jwks.fetches).toBe(1);

    const output = limiter.output.join('\n');
    expect(output).not.toContain(body.slice(-40));
    expect(output).not.toContain(target.signingKey);
    expect(output).not.toContain('tok_do_not_log_me');
    if (payloadType === 'jwe') expect(output).not.toContain(readFileSync(keyFile, 'utf8').split('\n')[1]!);
  });
});
