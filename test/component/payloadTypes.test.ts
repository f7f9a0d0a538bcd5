import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeZitadel } from '../support/fakeZitadel.js';
import { buildHarness, postWebhook, TEST_PAT } from '../support/harness.js';
import {
  FakeJwks,
  instanceWebKey,
  jwePayload,
  jwtPayload,
  targetKeyPair,
  type InstanceWebKey,
  type TargetKeyPair,
} from '../support/payloadKeys.js';
import { createSessionResponse, signatureHeader } from '../support/webhooks.js';

const USER = '284021120958301001';
const MINUTE = 60_000;

let rsaWebKey: InstanceWebKey;
let ecWebKey: InstanceWebKey;
let strangerWebKey: InstanceWebKey;
let rsaTarget: TargetKeyPair;
let ecTarget: TargetKeyPair;
let otherTarget: TargetKeyPair;

beforeAll(async () => {
  rsaWebKey = await instanceWebKey('web-key-rsa', 'RS256');
  ecWebKey = await instanceWebKey('web-key-ec', 'ES256');
  strangerWebKey = await instanceWebKey('web-key-rsa', 'RS256');
  rsaTarget = targetKeyPair('rsa');
  ecTarget = targetKeyPair('ec');
  otherTarget = targetKeyPair('rsa');
});

describe('JWT and JWE payload types', () => {
  let zitadel: FakeZitadel;
  let jwks: FakeJwks;

  async function start(env: Record<string, string> = {}) {
    jwks = new FakeJwks([rsaWebKey, ecWebKey]);
    zitadel = await new FakeZitadel({ acceptedTokens: [TEST_PAT], publicRoutes: jwks.mount }).start();
    return buildHarness({ CONCURRENT_SESSIONS: '2', ...env }, zitadel.url);
  }

  /** Three older sessions and a new login: with N=2 the two oldest go. Returns the login's JSON body. */
  function loginOverTheLimit(): string {
    for (const minutes of [30, 20, 10])
      zitadel.addSession({ userId: USER, creationDate: new Date(Date.now() - minutes * MINUTE) });
    const login = zitadel.addSession({ userId: USER });
    return createSessionResponse(login);
  }

  const sessionCalls = () => zitadel.seen.filter((request) => request.path.startsWith('/v2/sessions'));

  afterEach(async () => {
    await zitadel.stop();
  });

  it('enforces a JWT payload signed by the instance key (RS256), fetching the key set once', async () => {
    const { app } = await start();
    const first = await postWebhook(app, await jwtPayload(loginOverTheLimit(), rsaWebKey));
    const second = await postWebhook(
      app,
      await jwtPayload(createSessionResponse(zitadel.addSession({ userId: USER })), rsaWebKey),
    );

    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ outcome: 'enforced', userId: USER });
    expect((first.body as { deleted: string[] }).deleted).toHaveLength(2);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ outcome: 'enforced' });
    expect(zitadel.liveSessionsOf(USER)).toHaveLength(2);
    expect(jwks.fetches).toBe(1);
  });

  it('enforces a JWT payload signed with an EC instance key (ES256)', async () => {
    const { app } = await start();
    const res = await postWebhook(app, await jwtPayload(loginOverTheLimit(), ecWebKey));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: 'enforced' });
    expect(zitadel.liveSessionsOf(USER)).toHaveLength(2);
  });

  it.each([
    ['RSA (RSA-OAEP-256)', () => rsaTarget],
    ['EC P-256 (ECDH-ES+A256KW)', () => ecTarget],
  ])('enforces a JWE payload encrypted to an %s target key', async (_name, target) => {
    const { app } = await start({ PAYLOAD_DECRYPTION_KEY: target().privatePem });
    const body = await jwePayload(await jwtPayload(loginOverTheLimit(), rsaWebKey), target());

    const res = await postWebhook(app, body);

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: 'enforced', userId: USER });
    expect(zitadel.liveSessionsOf(USER)).toHaveLength(2);
  });

  it('decrypts with any of several configured keys (rotation), and takes \\n-escaped PEM from one line', async () => {
    const keys = `${otherTarget.privatePem}${ecTarget.privatePem}`.replace(/\n/g, '\\n');
    const { app } = await start({ PAYLOAD_DECRYPTION_KEY: keys, REQUIRE_PAYLOAD_TYPE: 'jwe' });
    const body = await jwePayload(await jwtPayload(loginOverTheLimit(), rsaWebKey), ecTarget);
    const res = await postWebhook(app, body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: 'enforced' });
  });

  it('checks the HMAC first: a JWT with a wrong signature header is refused without fetching the key set', async () => {
    const { app } = await start();
    const res = await postWebhook(app, await jwtPayload(loginOverTheLimit(), rsaWebKey), {
      key: 'not-the-signing-key',
    });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'signature_mismatch' });
    expect(jwks.fetches).toBe(0);
    expect(sessionCalls()).toHaveLength(0);
  });

  it('refuses a JWT whose kid the instance does not publish, refetching the key set once, and calls no session API', async () => {
    const { app } = await start();
    const foreign = { ...strangerWebKey, kid: 'web-key-unknown' };
    const res = await postWebhook(app, await jwtPayload(loginOverTheLimit(), foreign));
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'payload_key_unknown' });
    expect(jwks.fetches).toBe(1);
    expect(sessionCalls()).toHaveLength(0);
    expect(zitadel.liveSessionsOf(USER)).toHaveLength(4);
  });

  it('refuses a JWT signed by another key under a published kid', async () => {
    const { app } = await start();
    const res = await postWebhook(app, await jwtPayload(loginOverTheLimit(), strangerWebKey));
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'payload_signature_invalid' });
    expect(sessionCalls()).toHaveLength(0);
  });

  it('refuses a JWS with a symmetric or "none" algorithm', async () => {
    const { app } = await start();
    const header = Buffer.from(JSON.stringify({ alg: 'none', kid: rsaWebKey.kid })).toString('base64url');
    const payload = Buffer.from(loginOverTheLimit()).toString('base64url');
    const hs = Buffer.from(JSON.stringify({ alg: 'HS256', kid: rsaWebKey.kid })).toString('base64url');
    const none = await postWebhook(app, `${header}.${payload}.`);
    const symmetric = await postWebhook(app, `${hs}.${payload}.c2lnbmF0dXJl`);
    expect(none.status).toBe(400);
    expect(none.body).toEqual({ error: 'payload_jws_invalid' });
    expect(symmetric.status).toBe(400);
    expect(symmetric.body).toEqual({ error: 'payload_jws_invalid' });
    expect(sessionCalls()).toHaveLength(0);
  });

  it('refuses a JWE without a configured decryption key, or encrypted to another key', async () => {
    const { app } = await start();
    const jws = await jwtPayload(loginOverTheLimit(), rsaWebKey);
    const unconfigured = await postWebhook(app, await jwePayload(jws, rsaTarget));
    expect(unconfigured.status).toBe(400);
    expect(unconfigured.body).toEqual({ error: 'payload_decryption_unconfigured' });

    await zitadel.stop();
    const { app: withKey } = await start({ PAYLOAD_DECRYPTION_KEY: rsaTarget.privatePem });
    const wrongKey = await postWebhook(withKey, await jwePayload(jws, otherTarget));
    const wrongKind = await postWebhook(withKey, await jwePayload(jws, ecTarget));
    expect(wrongKey.status).toBe(400);
    expect(wrongKey.body).toEqual({ error: 'payload_decryption_failed' });
    expect(wrongKind.body).toEqual({ error: 'payload_decryption_failed' });
    expect(sessionCalls()).toHaveLength(0);
  });

  it('refuses a JWE that wraps plain JSON instead of the signed JWT', async () => {
    const { app } = await start({ PAYLOAD_DECRYPTION_KEY: rsaTarget.privatePem });
    const res = await postWebhook(app, await jwePayload(loginOverTheLimit(), rsaTarget));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'payload_jws_invalid' });
    expect(sessionCalls()).toHaveLength(0);
  });

  it('REQUIRE_PAYLOAD_TYPE=jwt refuses plain JSON and accepts JWT and JWE', async () => {
    const { app } = await start({
      REQUIRE_PAYLOAD_TYPE: 'jwt',
      PAYLOAD_DECRYPTION_KEY: rsaTarget.privatePem,
    });
    const json = await postWebhook(app, loginOverTheLimit());
    expect(json.status).toBe(400);
    expect(json.body).toEqual({ error: 'payload_type_required' });
    expect(sessionCalls()).toHaveLength(0);

    const jwt = await postWebhook(
      app,
      await jwtPayload(createSessionResponse(zitadel.addSession({ userId: USER })), rsaWebKey),
    );
    const jwe = await postWebhook(
      app,
      await jwePayload(
        await jwtPayload(createSessionResponse(zitadel.addSession({ userId: USER })), rsaWebKey),
        rsaTarget,
      ),
    );
    expect(jwt.status).toBe(200);
    expect(jwe.status).toBe(200);
  });

  it('REQUIRE_PAYLOAD_TYPE=jwe refuses a JWT', async () => {
    const { app } = await start({
      REQUIRE_PAYLOAD_TYPE: 'jwe',
      PAYLOAD_DECRYPTION_KEY: rsaTarget.privatePem,
    });
    const res = await postWebhook(app, await jwtPayload(loginOverTheLimit(), rsaWebKey));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'payload_type_required' });
    expect(jwks.fetches).toBe(0);
  });

  it('lets the login pass undecided (jwks_unavailable) when the key set cannot be fetched, and does not ask again at once', async () => {
    const { app } = await start();
    jwks.failing = true;
    const first = await postWebhook(app, await jwtPayload(loginOverTheLimit(), rsaWebKey));
    const burst = await Promise.all(
      [1, 2, 3].map(async () =>
        postWebhook(
          app,
          await jwtPayload(createSessionResponse(zitadel.addSession({ userId: USER })), rsaWebKey),
        ),
      ),
    );

    expect(first.status).toBe(200);
    expect(first.body).toEqual({ outcome: 'undecided', reason: 'jwks_unavailable' });
    expect(burst.map((res) => (res.body as { reason?: string }).reason)).toEqual([
      'jwks_unavailable',
      'jwks_unavailable',
      'jwks_unavailable',
    ]);
    expect(jwks.fetches).toBe(1);
    expect(sessionCalls()).toHaveLength(0);
  });

  it('with ON_FAILURE=refuse, answers 502 jwks_unavailable when the key set URL answers something that is not a key set', async () => {
    const { app } = await start({ ON_FAILURE: 'refuse' });
    jwks.garbled = true;
    const res = await postWebhook(app, await jwtPayload(loginOverTheLimit(), rsaWebKey));
    expect(res.status).toBe(502);
    expect(res.body).toEqual({ error: 'jwks_unavailable' });
  });

  it('never logs the JWT, the JWE or what they carry', async () => {
    const { app, logLines } = await start({ PAYLOAD_DECRYPTION_KEY: rsaTarget.privatePem });
    const jws = await jwtPayload(loginOverTheLimit(), rsaWebKey);
    const jwe = await jwePayload(jws, rsaTarget);
    await postWebhook(app, jwe);
    await postWebhook(app, jws, { header: signatureHeader(jws, 'wrong') });
    await postWebhook(app, await jwePayload(jws, otherTarget));

    const log = logLines.join('\n');
    expect(logLines.length).toBeGreaterThan(0);
    for (const secret of [
      jws.split('.')[1]!,
      jws.split('.')[2]!,
      jwe.split('.')[3]!,
      'S3cret!',
      'tok_do_not_log_me',
    ])
      expect(log).not.toContain(secret);
    expect(log).not.toContain('PRIVATE KEY');
  });
});
