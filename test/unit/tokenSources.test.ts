import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import { inspect } from 'node:util';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/vocabulary.js';
import type { AccessTokenSource } from '../../src/zitadel/accessToken.js';
import {
  cachingTokenSource,
  refreshMarginMs,
  type IssuedAccessToken,
  type RequestAccessToken,
} from '../../src/zitadel/cachedAccessToken.js';
import { ZitadelError } from '../../src/zitadel/errors.js';
import {
  clientCredentialsTokenSource,
  jwtProfileTokenSource,
  ZITADEL_API_SCOPE,
  type OAuthTokenSourceOptions,
} from '../../src/zitadel/oauthTokenSource.js';
import {
  createServiceAccountKey,
  FakeTokenEndpoint,
  pemBodyLines,
  type TestServiceAccountKey,
} from '../support/fakeOAuth.js';
import { FakeZitadel } from '../support/fakeZitadel.js';

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const T0 = Date.parse('2026-03-01T12:00:00Z');

/** A clock the test moves by hand. */
function manualClock(start = T0) {
  let nowMs = start;
  return { now: () => nowMs, advance: (ms: number) => void (nowMs += ms) };
}

const noSignal = () => new AbortController().signal;

/** A token endpoint the test answers by hand: each request waits until the test resolves or rejects it. */
function scriptedEndpoint() {
  const requests: {
    signal: AbortSignal;
    resolve: (issued: IssuedAccessToken) => void;
    reject: (error: Error) => void;
  }[] = [];
  const request: RequestAccessToken = (signal) =>
    new Promise((resolve, reject) => requests.push({ signal, resolve, reject }));
  const answer = (index: number, accessToken: string, expiresInSeconds = 3600) =>
    requests[index]!.resolve({ accessToken, expiresInSeconds });
  return { request, requests, answer };
}

/** The error a promise rejected with (fails the test when it resolved). */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Every way an error could reach a log or an answer. */
function everyRendering(error: unknown): string {
  return [
    String(error),
    (error as Error).stack ?? '',
    inspect(error, { depth: 10 }),
    JSON.stringify(error),
  ].join('\n');
}

describe('refreshMarginMs', () => {
  it.each([
    [12 * HOUR, 60 * SECOND],
    [HOUR, 60 * SECOND],
    [600 * SECOND, 60 * SECOND],
    [300 * SECOND, 30 * SECOND],
    [10 * SECOND, 1 * SECOND],
  ])(
    'for a lifetime of %i ms refreshes %i ms early (a minute, or 10 %% of a short life)',
    (lifetime, margin) => {
      expect(refreshMarginMs(lifetime)).toBe(margin);
    },
  );
});

describe('cachingTokenSource', () => {
  it('serves the cached token until a minute before it expires, then asks again', async () => {
    const clock = manualClock();
    const endpoint = scriptedEndpoint();
    const source = cachingTokenSource(endpoint.request, clock.now);

    const first = source.getAccessToken(noSignal());
    endpoint.answer(0, 'token-1', 3600);
    expect(await first).toBe('token-1');

    clock.advance(HOUR - 60 * SECOND - 1);
    expect(await source.getAccessToken(noSignal())).toBe('token-1');
    expect(endpoint.requests).toHaveLength(1);

    clock.advance(1);
    const refreshed = source.getAccessToken(noSignal());
    expect(endpoint.requests).toHaveLength(2);
    endpoint.answer(1, 'token-2');
    expect(await refreshed).toBe('token-2');
  });

  it('keeps a short-lived token for 90 % of its life', async () => {
    const clock = manualClock();
    const endpoint = scriptedEndpoint();
    const source = cachingTokenSource(endpoint.request, clock.now);
    const first = source.getAccessToken(noSignal());
    endpoint.answer(0, 'short', 100);
    await first;

    clock.advance(90 * SECOND - 1);
    expect(await source.getAccessToken(noSignal())).toBe('short');
    clock.advance(1);
    void source.getAccessToken(noSignal());
    expect(endpoint.requests).toHaveLength(2);
  });

  it('counts the lifetime from when the token was asked for, not from when it arrived', async () => {
    const clock = manualClock();
    const endpoint = scriptedEndpoint();
    const source = cachingTokenSource(endpoint.request, clock.now);
    const first = source.getAccessToken(noSignal());
    clock.advance(30 * SECOND);
    endpoint.answer(0, 'slow', 3600);
    await first;

    clock.advance(HOUR - 60 * SECOND - 30 * SECOND);
    void source.getAccessToken(noSignal());
    expect(endpoint.requests).toHaveLength(2);
  });

  it('makes one request for 50 concurrent callers and hands all of them its token', async () => {
    const endpoint = scriptedEndpoint();
    const source = cachingTokenSource(endpoint.request, manualClock().now);

    const callers = Array.from({ length: 50 }, () => source.getAccessToken(noSignal()));
    expect(endpoint.requests).toHaveLength(1);
    endpoint.answer(0, 'shared');

    expect(new Set(await Promise.all(callers))).toEqual(new Set(['shared']));
    expect(endpoint.requests).toHaveLength(1);
  });

  it('drops a refused token, says a retry can help, and fetches a fresh one on the next call', async () => {
    const endpoint = scriptedEndpoint();
    const source = cachingTokenSource(endpoint.request, manualClock().now);
    const first = source.getAccessToken(noSignal());
    endpoint.answer(0, 'refused');
    await first;

    expect(source.invalidate('refused')).toBe(true);
    const next = source.getAccessToken(noSignal());
    expect(endpoint.requests).toHaveLength(2);
    endpoint.answer(1, 'fresh');
    expect(await next).toBe('fresh');
  });

  it('keeps the newer token when an older one is refused after it was replaced', async () => {
    const endpoint = scriptedEndpoint();
    const source = cachingTokenSource(endpoint.request, manualClock().now);
    const first = source.getAccessToken(noSignal());
    endpoint.answer(0, 'old');
    await first;
    source.invalidate('old');
    const second = source.getAccessToken(noSignal());
    endpoint.answer(1, 'new');
    await second;

    expect(source.invalidate('old')).toBe(true);
    expect(await source.getAccessToken(noSignal())).toBe('new');
    expect(endpoint.requests).toHaveLength(2);
  });

  it('does not cache a failure: every waiting caller gets it, and the next call asks again', async () => {
    const endpoint = scriptedEndpoint();
    const source = cachingTokenSource(endpoint.request, manualClock().now);
    const failing = [source.getAccessToken(noSignal()), source.getAccessToken(noSignal())];
    const refusal = new ZitadelError({
      operation: 'fetch_token',
      kind: 'http',
      status: 503,
      retryable: true,
    });
    endpoint.requests[0]!.reject(refusal);

    expect(await rejectionOf(failing[0]!)).toBe(refusal);
    expect(await rejectionOf(failing[1]!)).toBe(refusal);
    const retry = source.getAccessToken(noSignal());
    expect(endpoint.requests).toHaveLength(2);
    endpoint.answer(1, 'after-failure');
    expect(await retry).toBe('after-failure');
  });

  it('lets a caller whose signal aborts stop waiting, while the others still get the token', async () => {
    const endpoint = scriptedEndpoint();
    const source = cachingTokenSource(endpoint.request, manualClock().now);
    const impatient = new AbortController();
    const leaving = source.getAccessToken(impatient.signal);
    const staying = source.getAccessToken(noSignal());

    impatient.abort();
    const error = await rejectionOf(leaving);

    expect(error).toBeInstanceOf(ZitadelError);
    expect(error).toMatchObject({ operation: 'fetch_token', kind: 'timeout', retryable: true });
    expect(endpoint.requests[0]!.signal.aborted).toBe(false);
    endpoint.answer(0, 'for-the-patient');
    expect(await staying).toBe('for-the-patient');
  });

  it('cancels the request once no caller waits for it, and the next caller starts a new one', async () => {
    const endpoint = scriptedEndpoint();
    const source = cachingTokenSource(endpoint.request, manualClock().now);
    const caller = new AbortController();
    const abandoned = source.getAccessToken(caller.signal);

    caller.abort();
    await rejectionOf(abandoned);

    expect(endpoint.requests[0]!.signal.aborted).toBe(true);
    const next = source.getAccessToken(noSignal());
    expect(endpoint.requests).toHaveLength(2);
    endpoint.answer(1, 'second-flight');
    expect(await next).toBe('second-flight');
  });

  it('refuses at once, without a request, when the caller has already given up', async () => {
    const endpoint = scriptedEndpoint();
    const source = cachingTokenSource(endpoint.request, manualClock().now);

    const error = await rejectionOf(source.getAccessToken(AbortSignal.abort()));

    expect(error).toMatchObject({ operation: 'fetch_token', kind: 'timeout' });
    expect(endpoint.requests).toHaveLength(0);
  });
});

describe('OAuth token sources against a fake token endpoint over HTTP', () => {
  const CLIENT = { clientId: '312909075211944344@session-limiter', clientSecret: 'cs: p+ss/w%rd=&x?' };
  let serviceAccount: TestServiceAccountKey;
  let oauth: FakeTokenEndpoint;
  let zitadel: FakeZitadel;
  // Moved by some tests; the fake reads the same clock, so assertions are judged at the same "now".
  let clock: ReturnType<typeof manualClock>;

  beforeAll(async () => {
    serviceAccount = await createServiceAccountKey();
  });

  beforeEach(async () => {
    clock = manualClock(Date.now());
    oauth = new FakeTokenEndpoint({
      serviceAccountKeys: [serviceAccount],
      clients: [CLIENT],
      now: clock.now,
    });
    zitadel = await new FakeZitadel({ acceptedTokens: [], publicRoutes: oauth.mount }).start();
  });

  afterEach(async () => {
    await zitadel.stop();
  });

  const options = (overrides: Partial<OAuthTokenSourceOptions> = {}): OAuthTokenSourceOptions => ({
    instanceUrl: zitadel.url,
    timeoutMs: 2000,
    now: clock.now,
    ...overrides,
  });

  const jwtProfile = (
    privateKeyPem = serviceAccount.privateKeyPkcs1,
    overrides: Partial<OAuthTokenSourceOptions> = {},
  ) =>
    jwtProfileTokenSource(
      { kind: 'jwt-profile', keyId: serviceAccount.keyId, userId: serviceAccount.userId, privateKeyPem },
      options(overrides),
    );

  const clientCredentials = (
    clientSecret = CLIENT.clientSecret,
    overrides: Partial<OAuthTokenSourceOptions> = {},
  ) =>
    clientCredentialsTokenSource(
      { kind: 'client-credentials', clientId: CLIENT.clientId, clientSecret },
      options(overrides),
    );

  it('reports every token request to the observer, as fetch_token with its status', async () => {
    const seen: string[] = [];
    const observer = {
      callFinished: (operation: string, outcome: string) => seen.push(`${operation} ${outcome}`),
    };
    await clientCredentials(CLIENT.clientSecret, { observer }).getAccessToken(noSignal());
    await rejectionOf(clientCredentials('wrong secret', { observer }).getAccessToken(noSignal()));
    expect(seen).toEqual(['fetch_token 200', 'fetch_token 401']);
  });

  describe('JWT profile', () => {
    it.each([
      ['PKCS #1, as in ZITADEL key files', 'privateKeyPkcs1'],
      ['PKCS #8', 'privateKeyPkcs8'],
    ] as const)('gets a token the fake accepts with a %s key', async (_label, format) => {
      const token = await jwtProfile(serviceAccount[format]).getAccessToken(noSignal());

      expect(oauth.refusals).toEqual([]);
      expect(oauth.issuedTokens).toEqual([token]);
      expect(zitadel.options.acceptedTokens).toContain(token);
    });

    it('signs RS256 with kid = keyId, iss = sub = the service account, aud = the instance, and a 60 s life', async () => {
      await jwtProfile().getAccessToken(noSignal());

      expect(oauth.grants).toEqual([
        { grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer', scope: ZITADEL_API_SCOPE },
      ]);
      expect(ZITADEL_API_SCOPE).toBe('openid urn:zitadel:iam:org:project:id:zitadel:aud');
      const assertion = oauth.assertions[0]!;
      expect(decodeProtectedHeader(assertion)).toEqual({ alg: 'RS256', kid: serviceAccount.keyId });
      const nowSeconds = Math.floor(clock.now() / 1000);
      expect(decodeJwt(assertion)).toEqual({
        iss: serviceAccount.userId,
        sub: serviceAccount.userId,
        aud: zitadel.url,
        iat: nowSeconds - 10,
        exp: nowSeconds + 60,
      });
    });

    it('makes one token request for 50 concurrent callers', async () => {
      const source = jwtProfile();

      const tokens = await Promise.all(Array.from({ length: 50 }, () => source.getAccessToken(noSignal())));

      expect(oauth.tokenRequests).toBe(1);
      expect(new Set(tokens)).toEqual(new Set(oauth.issuedTokens));
    });

    it('signs a new assertion for a new token after the old one was refused', async () => {
      const source = jwtProfile();
      const first = await source.getAccessToken(noSignal());
      clock.advance(5 * SECOND);

      expect(source.invalidate(first)).toBe(true);
      const second = await source.getAccessToken(noSignal());

      expect(second).not.toBe(first);
      expect(oauth.tokenRequests).toBe(2);
      expect(oauth.assertions[1]).not.toBe(oauth.assertions[0]);
    });

    it('turns a refused assertion into a non-retryable fetch_token error that carries no secret', async () => {
      const stranger = await createServiceAccountKey(serviceAccount.userId);
      const source = jwtProfileTokenSource(
        {
          kind: 'jwt-profile',
          keyId: serviceAccount.keyId,
          userId: serviceAccount.userId,
          privateKeyPem: stranger.privateKeyPkcs1,
        },
        options(),
      );

      const error = await rejectionOf(source.getAccessToken(noSignal()));

      expect(oauth.refusals.map((r) => r.reason)).toEqual(['assertion_rejected']);
      expect(error).toBeInstanceOf(ZitadelError);
      expect(error).toMatchObject({ operation: 'fetch_token', kind: 'http', status: 400, retryable: false });
      const rendered = everyRendering(error);
      for (const line of pemBodyLines(stranger.privateKeyPkcs1)) expect(rendered).not.toContain(line);
      expect(rendered).not.toContain(oauth.assertions[0]);
    });
  });

  describe('client credentials', () => {
    it('authenticates with HTTP Basic, form-encoding the id and the secret first (RFC 6749 2.3.1)', async () => {
      const token = await clientCredentials().getAccessToken(noSignal());

      expect(oauth.refusals).toEqual([]);
      expect(oauth.grants).toEqual([{ grantType: 'client_credentials', scope: ZITADEL_API_SCOPE }]);
      expect(oauth.issuedTokens).toEqual([token]);
    });

    it('makes one token request for 50 concurrent callers and caches the token', async () => {
      const source = clientCredentials();

      await Promise.all(Array.from({ length: 50 }, () => source.getAccessToken(noSignal())));
      await source.getAccessToken(noSignal());

      expect(oauth.tokenRequests).toBe(1);
    });

    it('fetches a new token once the cached one is within a minute of expiring', async () => {
      oauth.expiresInSeconds = 3600;
      const source = clientCredentials();
      const first = await source.getAccessToken(noSignal());

      clock.advance(HOUR - 61 * SECOND);
      expect(await source.getAccessToken(noSignal())).toBe(first);
      clock.advance(1 * SECOND);
      const second = await source.getAccessToken(noSignal());

      expect(second).not.toBe(first);
      expect(oauth.tokenRequests).toBe(2);
    });

    it('turns a wrong secret into a non-retryable 401 fetch_token error without the secret', async () => {
      const wrongSecret = 'wrong-secret-Qm8vX2';

      const error = await rejectionOf(clientCredentials(wrongSecret).getAccessToken(noSignal()));

      expect(oauth.refusals.map((r) => r.reason)).toEqual(['wrong_secret']);
      expect(error).toMatchObject({ operation: 'fetch_token', kind: 'http', status: 401, retryable: false });
      const rendered = everyRendering(error);
      expect(rendered).not.toContain(wrongSecret);
      expect(rendered).not.toContain(Buffer.from(`${CLIENT.clientId}:`).toString('base64').slice(0, 16));
    });

    it.each([
      [503, 'temporarily_unavailable', true],
      [429, 'slow_down', true],
      [400, 'invalid_scope', false],
    ])(
      'maps HTTP %i (%s) from the token endpoint to retryable = %s',
      async (status, oauthError, retryable) => {
        oauth.rejectWith = { status, error: oauthError, retryAfter: '2' };

        const error = await rejectionOf(clientCredentials().getAccessToken(noSignal()));

        expect(error).toMatchObject({
          operation: 'fetch_token',
          kind: 'http',
          status,
          retryable,
          retryAfterMs: 2000,
        });
      },
    );

    it.each([
      ['no access_token', { token_type: 'Bearer', expires_in: 3600 }],
      ['expires_in as text', { access_token: 'at', expires_in: '3600' }],
      ['a zero lifetime', { access_token: 'at', expires_in: 0 }],
      ['an empty token', { access_token: '', expires_in: 3600 }],
    ])('refuses an answer with %s as an invalid response', async (_label, body) => {
      oauth.answerWith = body;

      const error = await rejectionOf(clientCredentials().getAccessToken(noSignal()));

      expect(error).toMatchObject({ operation: 'fetch_token', kind: 'invalid_response', retryable: false });
    });

    it('reports an unreachable token endpoint as a retryable network failure', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const { port } = closed.address() as AddressInfo;
      await new Promise<void>((resolve) => closed.close(() => resolve()));

      const error = await rejectionOf(
        clientCredentials(undefined, { instanceUrl: `http://127.0.0.1:${port}` }).getAccessToken(noSignal()),
      );

      expect(error).toMatchObject({ operation: 'fetch_token', kind: 'network', retryable: true });
    });

    it('gives up on a token endpoint that never answers after the configured timeout', async () => {
      oauth.holdRequests = true;

      const error = await rejectionOf(
        clientCredentials(undefined, { timeoutMs: 100 }).getAccessToken(noSignal()),
      );

      expect(error).toMatchObject({ operation: 'fetch_token', kind: 'timeout', retryable: true });
      await oauth.requestsAbandoned(1);
    });

    it("cancels the token request when the caller's signal aborts", async () => {
      oauth.holdRequests = true;
      const caller = new AbortController();
      // A timeout far beyond the test's own: only the caller's abort can end this request.
      const waiting = clientCredentials(undefined, { timeoutMs: 60_000 }).getAccessToken(caller.signal);
      await oauth.requestsArrived(1);

      caller.abort();

      expect(await rejectionOf(waiting)).toMatchObject({ operation: 'fetch_token', kind: 'timeout' });
      await oauth.requestsAbandoned(1);
      expect(oauth.abandonedRequests).toBe(1);
    });
  });

  it('keeps key material out of reach: neither source shows it when inspected', () => {
    const sources: AccessTokenSource[] = [jwtProfile(), clientCredentials()];
    const rendered = sources.map((source) => inspect(source, { depth: 10, showHidden: true })).join('\n');

    for (const line of pemBodyLines(serviceAccount.privateKeyPkcs1)) expect(rendered).not.toContain(line);
    expect(rendered).not.toContain(CLIENT.clientSecret);
  });
});

describe('jwtProfileTokenSource with an unusable key', () => {
  it.each([
    [
      'an EC key',
      generateKeyPairSync('ec', { namedCurve: 'P-256' })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString(),
    ],
    [
      'a 1024-bit RSA key',
      generateKeyPairSync('rsa', { modulusLength: 1024 })
        .privateKey.export({ type: 'pkcs1', format: 'pem' })
        .toString(),
    ],
    [
      'a damaged PEM',
      '-----BEGIN RSA PRIVATE KEY-----\nTUlJQ1hBSUJBQUtCZ1FDcXGKukO1De7zhZj6+H0qtjTkVxwTCpvKe4eCZ0FPqri0cb2JZfXJ\n-----END RSA PRIVATE KEY-----',
    ],
  ])('refuses %s at start-up with a ConfigError that names the variables, not the key', (_label, pem) => {
    let error: unknown;
    try {
      jwtProfileTokenSource(
        { kind: 'jwt-profile', keyId: 'k', userId: 'u', privateKeyPem: pem },
        { instanceUrl: 'https://zitadel.test', timeoutMs: 1000 },
      );
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('ZITADEL_KEY_FILE / ZITADEL_KEY_JSON');
    for (const line of pemBodyLines(pem)) expect(everyRendering(error)).not.toContain(line);
  });
});
