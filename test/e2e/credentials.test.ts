import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createServiceAccountKey,
  FakeTokenEndpoint,
  pemBodyLines,
  serviceAccountKeyFile,
  type TestServiceAccountKey,
} from '../support/fakeOAuth.js';
import { FakeZitadel } from '../support/fakeZitadel.js';
import {
  outputLinesWhen,
  runLimiterExpectingFailure,
  startLimiter,
  type LimiterProcess,
  postSignedWebhook,
} from '../support/limiterProcess.js';
import { startupRefusal } from '../support/limiterInProcess.js';
import { createSessionResponse } from '../support/webhooks.js';

const SIGNING_KEY = 'e2e-credentials-signing-key-Vb3';
const PAT = 'e2e-credentials-pat-Rk9';
const CLIENT = { clientId: 'session-limiter@e2e', clientSecret: 'e2e-client-secret: Jd7+/x%' };
const MINUTE = 60_000;

// One key for the whole file: generating RSA keys is the slow part.
let serviceAccount: TestServiceAccountKey;
let keyDirectory: string;

beforeAll(async () => {
  serviceAccount = await createServiceAccountKey();
  keyDirectory = mkdtempSync(path.join(tmpdir(), 'limiter-credentials-'));
});

afterAll(() => {
  rmSync(keyDirectory, { recursive: true, force: true });
});

const post = (limiter: LimiterProcess, body: string) => postSignedWebhook(limiter.url, body, SIGNING_KEY);

/** A user with three sessions from the last half hour, and a fourth that has just logged in. */
function userWithThreeSessionsLoggingIn(zitadel: FakeZitadel, userId: string) {
  for (const minutes of [30, 20, 10])
    zitadel.addSession({ userId, creationDate: new Date(Date.now() - minutes * MINUTE) });
  return zitadel.addSession({ userId });
}

interface CredentialVariant {
  readonly name: string;
  /** The credential's variables; written files go to the test's temporary directory. */
  env(): Record<string, string>;
  /** Values that must never appear in the process output. */
  secrets(): string[];
  /** OAuth flows refresh their token after a 401; a PAT cannot. */
  readonly refreshesOn401: boolean;
}

const VARIANTS: CredentialVariant[] = [
  {
    name: 'PAT',
    env: () => ({ PAT }),
    secrets: () => [PAT],
    refreshesOn401: false,
  },
  {
    name: 'ZITADEL_KEY_FILE',
    env: () => {
      const file = path.join(keyDirectory, 'service-account.json');
      // PKCS #1, as in the files ZITADEL hands out.
      writeFileSync(file, serviceAccountKeyFile(serviceAccount, 'pkcs1'), { mode: 0o600 });
      return { ZITADEL_KEY_FILE: file };
    },
    secrets: () => [...pemBodyLines(serviceAccount.privateKeyPkcs1)],
    refreshesOn401: true,
  },
  {
    name: 'ZITADEL_KEY_JSON',
    env: () => ({ ZITADEL_KEY_JSON: serviceAccountKeyFile(serviceAccount, 'pkcs8') }),
    secrets: () => [...pemBodyLines(serviceAccount.privateKeyPkcs8)],
    refreshesOn401: true,
  },
  {
    name: 'ZITADEL_CLIENT_ID + ZITADEL_CLIENT_SECRET',
    env: () => ({ ZITADEL_CLIENT_ID: CLIENT.clientId, ZITADEL_CLIENT_SECRET: CLIENT.clientSecret }),
    secrets: () => [CLIENT.clientSecret],
    refreshesOn401: true,
  },
];

describe.each(VARIANTS)('the three credential kinds pass the same end-to-end test: $name', (variant) => {
  let oauth: FakeTokenEndpoint;
  let zitadel: FakeZitadel;
  let limiter: LimiterProcess;

  beforeAll(async () => {
    oauth = new FakeTokenEndpoint({ serviceAccountKeys: [serviceAccount], clients: [CLIENT] });
    // Only the PAT is accepted up front: the OAuth variants must get their tokens from the token endpoint.
    const acceptedTokens = variant.refreshesOn401 ? [] : [PAT];
    zitadel = await new FakeZitadel({ acceptedTokens, publicRoutes: oauth.mount }).start();
    limiter = await startLimiter({
      INSTANCE_URL: zitadel.url,
      SIGNING_KEY,
      CONCURRENT_SESSIONS: '2',
      LOG_LEVEL: 'debug',
      ...variant.env(),
    });
  });

  afterAll(async () => {
    await limiter.stop();
    await zitadel.stop();
  });

  it('brings a user with three old sessions and a new login down to two', async () => {
    const login = userWithThreeSessionsLoggingIn(zitadel, 'user-login');

    const res = await post(limiter, createSessionResponse(login));

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: 'enforced', userId: 'user-login' });
    const live = zitadel
      .liveSessionsOf('user-login')
      .sort((a, b) => b.creationDate.getTime() - a.creationDate.getTime());
    expect(live).toHaveLength(2);
    expect(live[0]!.id).toBe(login.id);
    // The search and the two deletes, the deletes in parallel, all with one token fetched once.
    const expectedBearer = variant.refreshesOn401 ? `Bearer ${oauth.issuedTokens[0]}` : `Bearer ${PAT}`;
    expect(new Set(zitadel.seen.map((request) => request.authorization))).toEqual(new Set([expectedBearer]));
    expect(oauth.tokenRequests).toBe(variant.refreshesOn401 ? 1 : 0);
    expect(oauth.refusals).toEqual([]);
  });

  it(
    variant.refreshesOn401
      ? 'fetches a fresh token once when ZITADEL refuses the cached one (401), and succeeds'
      : 'lets the login pass undecided, without retrying, when ZITADEL refuses the PAT (401)',
    async () => {
      await post(limiter, createSessionResponse(userWithThreeSessionsLoggingIn(zitadel, 'user-warm-up')));
      const revoked = new Set(zitadel.options.acceptedTokens.map((token) => `Bearer ${token}`));
      const issuedBefore = oauth.issuedTokens.length;
      const seenBefore = zitadel.seen.length;
      zitadel.options.acceptedTokens.length = 0;
      const login = userWithThreeSessionsLoggingIn(zitadel, 'user-revoked');

      const res = await post(limiter, createSessionResponse(login));

      const refused = zitadel.seen
        .slice(seenBefore)
        .filter((request) => revoked.has(request.authorization ?? ''));
      expect(refused).toHaveLength(1);
      if (variant.refreshesOn401) {
        expect(res.status).toBe(200);
        expect(zitadel.liveSessionsOf('user-revoked')).toHaveLength(2);
        expect(oauth.issuedTokens.length - issuedBefore).toBe(1);
      } else {
        // Nothing decided, and the login is not failed for it (ON_FAILURE=allow).
        expect(res).toMatchObject({
          status: 200,
          body: { outcome: 'undecided', reason: 'zitadel_rejected' },
        });
        expect(zitadel.liveSessionsOf('user-revoked')).toHaveLength(4);
      }
    },
  );

  it('never writes the credential, an assertion or an issued token to its output', () => {
    const output = limiter.output.join('\n');
    expect(output).toContain('"log":"access"');
    const secrets = [...variant.secrets(), ...oauth.issuedTokens, ...oauth.assertions, PAT, SIGNING_KEY];
    expect(secrets.filter((secret) => output.includes(secret))).toEqual([]);
  });
});

describe('credential problems', () => {
  const base = { INSTANCE_URL: 'https://zitadel.example.com', SIGNING_KEY };

  // The one refusal through the real entry point: its exit code and wording. The others run main.ts's start-up steps
  // in this process (startupRefusal), which is where each message comes from.
  it('refuses to start with conflicting credentials, naming them without their values', async () => {
    const { code, output } = await runLimiterExpectingFailure({
      ...base,
      PAT,
      ZITADEL_CLIENT_ID: CLIENT.clientId,
      ZITADEL_CLIENT_SECRET: CLIENT.clientSecret,
    });

    expect(code).toBe(78);
    expect(output).toContain('zitadel-session-limiter cannot start.');
    expect(output).toContain('conflicting credentials: PAT and ZITADEL_CLIENT_ID/ZITADEL_CLIENT_SECRET');
    for (const value of [PAT, CLIENT.clientId, CLIENT.clientSecret]) expect(output).not.toContain(value);
  });

  it('refuses to start without any credential', () => {
    expect(startupRefusal(base)).toContain('credential missing');
  });

  it('refuses to start with a client id but no secret', () => {
    expect(startupRefusal({ ...base, ZITADEL_CLIENT_ID: CLIENT.clientId })).toContain(
      'ZITADEL_CLIENT_SECRET is required with ZITADEL_CLIENT_ID',
    );
  });

  it('refuses to start when the key file cannot be read', () => {
    expect(startupRefusal({ ...base, ZITADEL_KEY_FILE: path.join(keyDirectory, 'missing.json') })).toContain(
      'ZITADEL_KEY_FILE cannot be read',
    );
  });

  it('refuses to start when the key is not an RSA private key, without echoing it', () => {
    const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const keyJson = JSON.stringify({ type: 'serviceaccount', keyId: 'key-1', key: ecKey, userId: 'user-1' });

    const refusal = startupRefusal({ ...base, ZITADEL_KEY_JSON: keyJson });

    expect(refusal).toContain('ZITADEL_KEY_FILE / ZITADEL_KEY_JSON');
    expect(pemBodyLines(ecKey).filter((line) => refusal.includes(line))).toEqual([]);
  });

  it('answers undecided (zitadel_rejected) and logs the failed token request when the client secret is wrong', async () => {
    const oauth = new FakeTokenEndpoint({ clients: [CLIENT] });
    const zitadel = await new FakeZitadel({ acceptedTokens: [], publicRoutes: oauth.mount }).start();
    const wrongSecret = 'e2e-wrong-secret-Tz5';
    const limiter = await startLimiter({
      INSTANCE_URL: zitadel.url,
      SIGNING_KEY,
      ZITADEL_CLIENT_ID: CLIENT.clientId,
      ZITADEL_CLIENT_SECRET: wrongSecret,
    });
    try {
      // The start-up check asked once already (and was refused): the webhook's own requests come after it.
      const refusedAtStart = oauth.refusals.length;
      const res = await post(
        limiter,
        createSessionResponse(userWithThreeSessionsLoggingIn(zitadel, 'user-wrong-secret')),
      );

      expect(res).toMatchObject({ status: 200, body: { outcome: 'undecided', reason: 'zitadel_rejected' } });
      // A refused client is not retried: one token request, and no session call without a token.
      expect(refusedAtStart).toBe(1);
      expect(oauth.refusals.slice(refusedAtStart).map((refusal) => refusal.reason)).toEqual(['wrong_secret']);
      expect(zitadel.seen).toEqual([]);
      const [failure] = (
        await outputLinesWhen(limiter, (line) => line.includes('"msg":"ZITADEL call failed"'))
      ).map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(failure).toMatchObject({ operation: 'fetch_token', failure: 'http', status: 401 });
      expect(limiter.output.join('\n')).not.toContain(wrongSecret);
    } finally {
      await limiter.stop();
      await zitadel.stop();
    }
  });
});
