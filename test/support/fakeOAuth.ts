import { createPrivateKey, randomBytes } from 'node:crypto';
import type { Express, Request, Response } from 'express';
import { decodeProtectedHeader, exportPKCS8, generateKeyPair, jwtVerify, type CryptoKey } from 'jose';
import { nextZitadelId, type FakeZitadel } from './fakeZitadel.js';

/**
 * A stand-in for ZITADEL's `/oauth/v2/token`, mounted through FakeZitadel's `publicRoutes`. It really checks what
 * ZITADEL checks: the assertion's RS256 signature against the public half of the service account's key, its kid,
 * iss = sub = the service account, aud = the instance, iat and exp; or the client id and secret in the Basic
 * header. Issued tokens are added to the fake's accepted bearer tokens.
 */

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const ZITADEL_AUDIENCE_SCOPE = 'urn:zitadel:iam:org:project:id:zitadel:aud';

// ZITADEL's JWT profile verifier: iat at most 1 s ahead and at most 1 h old, exp at least 1 s ahead
// (zitadel/oidc CheckIssuedAt / CheckExpiration). "Not too far": we also refuse an exp more than an hour out.
const CLOCK_OFFSET_SECONDS = 1;
const MAX_ASSERTION_AGE_SECONDS = 3600;
const MAX_ASSERTION_LIFETIME_SECONDS = 3600;

/** A service-account key as ZITADEL hands it out, plus the public half the fake verifies with. */
export interface TestServiceAccountKey {
  readonly keyId: string;
  readonly userId: string;
  /** PKCS #8 PEM ("BEGIN PRIVATE KEY"). */
  readonly privateKeyPkcs8: string;
  /** The same key as PKCS #1 ("BEGIN RSA PRIVATE KEY"), the form ZITADEL's downloaded key files use. */
  readonly privateKeyPkcs1: string;
  readonly publicKey: CryptoKey;
}

export async function createServiceAccountKey(
  userId: string = nextZitadelId(),
): Promise<TestServiceAccountKey> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const privateKeyPkcs8 = await exportPKCS8(privateKey);
  const privateKeyPkcs1 = createPrivateKey(privateKeyPkcs8)
    .export({ type: 'pkcs1', format: 'pem' })
    .toString();
  return { keyId: nextZitadelId(), userId, privateKeyPkcs8, privateKeyPkcs1, publicKey };
}

/** The JSON file ZITADEL offers for download when a key is added to a service account. */
export function serviceAccountKeyFile(
  key: TestServiceAccountKey,
  format: 'pkcs1' | 'pkcs8' = 'pkcs1',
): string {
  return JSON.stringify({
    type: 'serviceaccount',
    keyId: key.keyId,
    key: format === 'pkcs1' ? key.privateKeyPkcs1 : key.privateKeyPkcs8,
    userId: key.userId,
  });
}

/** The PEM's base64 lines: none of them may ever show up in output, not only the whole key. */
export function pemBodyLines(pem: string): string[] {
  return pem.split('\n').filter((line) => line !== '' && !line.startsWith('-----'));
}

export interface TestClient {
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface FakeTokenEndpointOptions {
  serviceAccountKeys?: readonly TestServiceAccountKey[];
  clients?: readonly TestClient[];
  expiresInSeconds?: number;
  /** The fake's clock, for tests that move the limiter's clock too. */
  now?: () => number;
}

/** What the fake refused and why; `reason` names the check that failed. */
export interface TokenRefusal {
  readonly status: number;
  readonly error: string;
  readonly reason: string;
}

class Refused extends Error {
  constructor(readonly refusal: TokenRefusal) {
    super(refusal.reason);
  }
}

const refuse = (status: number, error: string, reason: string): never => {
  throw new Refused({ status, error, reason });
};

/** Go's url.QueryUnescape, which ZITADEL applies to both halves of the Basic header (RFC 6749 2.3.1). */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

export class FakeTokenEndpoint {
  /** Every request that reached the endpoint, answered or not. */
  tokenRequests = 0;
  readonly issuedTokens: string[] = [];
  /** Every assertion received, so tests can check none of them leaks. */
  readonly assertions: string[] = [];
  readonly refusals: TokenRefusal[] = [];
  /** The grant type and scope of every checked request. */
  readonly grants: { readonly grantType: string | undefined; readonly scope: string | undefined }[] = [];
  expiresInSeconds: number;
  /** When set, every request is answered with this status and OAuth error instead (e.g. 503, or 400 invalid_grant). */
  rejectWith: { status: number; error: string; retryAfter?: string } | undefined;
  /** When set, every request is answered with this body and 200 instead. */
  answerWith: unknown;
  /** While true, requests are held unanswered (until the client gives up or the server stops). */
  holdRequests = false;
  /** Held requests whose client went away before an answer. */
  abandonedRequests = 0;
  readonly #keys: readonly TestServiceAccountKey[];
  readonly #clients: readonly TestClient[];
  readonly #now: () => number;
  #fake: FakeZitadel | undefined;
  #arrivalWaiters: { count: number; resolve: () => void }[] = [];
  #abandonWaiters: { count: number; resolve: () => void }[] = [];

  constructor(options: FakeTokenEndpointOptions = {}) {
    this.#keys = options.serviceAccountKeys ?? [];
    this.#clients = options.clients ?? [];
    this.expiresInSeconds = options.expiresInSeconds ?? 3600;
    this.#now = options.now ?? Date.now;
  }

  /** Pass as FakeZitadel's `publicRoutes`. */
  readonly mount = (app: Express, fake: FakeZitadel): void => {
    this.#fake = fake;
    app.post('/oauth/v2/token', (req, res) => void this.#answer(req, res));
  };

  /** Takes every issued token off the fake's accepted list, as revoking it in ZITADEL would. */
  revokeIssuedTokens(): void {
    const accepted = this.#fake?.options.acceptedTokens ?? [];
    for (const token of this.issuedTokens) {
      const index = accepted.indexOf(token);
      if (index >= 0) accepted.splice(index, 1);
    }
  }

  /** Resolves once `count` requests in total have reached the endpoint. */
  requestsArrived(count: number): Promise<void> {
    return this.#waitFor(this.#arrivalWaiters, count, () => this.tokenRequests);
  }

  /** Resolves once `count` held requests in total were given up by their client. */
  requestsAbandoned(count: number): Promise<void> {
    return this.#waitFor(this.#abandonWaiters, count, () => this.abandonedRequests);
  }

  #waitFor(
    waiters: { count: number; resolve: () => void }[],
    count: number,
    current: () => number,
  ): Promise<void> {
    if (current() >= count) return Promise.resolve();
    return new Promise((resolve) => waiters.push({ count, resolve }));
  }

  #notify(waiters: { count: number; resolve: () => void }[], current: number): void {
    for (const waiter of waiters.filter((w) => current >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }

  async #answer(req: Request, res: Response): Promise<void> {
    this.tokenRequests += 1;
    this.#notify(this.#arrivalWaiters, this.tokenRequests);
    if (this.holdRequests) {
      res.on('close', () => {
        if (res.writableFinished) return;
        this.abandonedRequests += 1;
        this.#notify(this.#abandonWaiters, this.abandonedRequests);
      });
      return;
    }
    if (this.rejectWith !== undefined) {
      if (this.rejectWith.retryAfter !== undefined) res.setHeader('Retry-After', this.rejectWith.retryAfter);
      res
        .status(this.rejectWith.status)
        .json({ error: this.rejectWith.error, error_description: 'refused by the test' });
      return;
    }
    if (this.answerWith !== undefined) {
      res.json(this.answerWith);
      return;
    }
    try {
      await this.#authenticate(req);
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      this.refusals.push(error.refusal);
      res
        .status(error.refusal.status)
        .json({ error: error.refusal.error, error_description: error.refusal.reason });
      return;
    }
    const token = `fake-at-${randomBytes(24).toString('base64url')}`;
    this.issuedTokens.push(token);
    this.#fake?.options.acceptedTokens.push(token);
    res.json({ access_token: token, token_type: 'Bearer', expires_in: this.expiresInSeconds });
  }

  async #authenticate(req: Request): Promise<void> {
    const form = (req.body ?? {}) as Record<string, unknown>;
    const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
    this.grants.push({ grantType: text(form.grant_type), scope: text(form.scope) });
    if (!req.is('application/x-www-form-urlencoded')) refuse(400, 'invalid_request', 'not_form_encoded');
    const scopes = typeof form.scope === 'string' ? form.scope.split(' ') : [];
    if (!scopes.includes('openid') || !scopes.includes(ZITADEL_AUDIENCE_SCOPE))
      refuse(400, 'invalid_scope', 'scope_without_zitadel_audience');
    if (form.grant_type === JWT_BEARER_GRANT) return this.#verifyAssertion(form.assertion);
    if (form.grant_type === 'client_credentials') return this.#verifyClient(req.headers.authorization);
    refuse(400, 'unsupported_grant_type', 'unknown_grant_type');
  }

  async #verifyAssertion(assertion: unknown): Promise<void> {
    if (typeof assertion !== 'string' || assertion === '')
      return refuse(400, 'invalid_request', 'assertion_missing');
    this.assertions.push(assertion);
    let header;
    try {
      header = decodeProtectedHeader(assertion);
    } catch {
      return refuse(400, 'invalid_grant', 'assertion_malformed');
    }
    if (header.alg !== 'RS256') refuse(400, 'invalid_grant', 'alg_not_rs256');
    const key = this.#keys.find((k) => k.keyId === header.kid);
    if (key === undefined) return refuse(400, 'invalid_grant', 'unknown_kid');
    let payload;
    try {
      ({ payload } = await jwtVerify(assertion, key.publicKey, {
        algorithms: ['RS256'],
        issuer: key.userId,
        subject: key.userId,
        audience: this.#fake?.url ?? '',
        currentDate: new Date(this.#now()),
        requiredClaims: ['iat', 'exp'],
      }));
    } catch {
      return refuse(400, 'invalid_grant', 'assertion_rejected');
    }
    const nowSeconds = this.#now() / 1000;
    const { iat = 0, exp = 0 } = payload;
    if (iat > nowSeconds + CLOCK_OFFSET_SECONDS) refuse(400, 'invalid_grant', 'iat_in_future');
    if (iat < nowSeconds - MAX_ASSERTION_AGE_SECONDS) refuse(400, 'invalid_grant', 'iat_too_old');
    if (exp <= nowSeconds + CLOCK_OFFSET_SECONDS) refuse(400, 'invalid_grant', 'expired');
    if (exp > nowSeconds + MAX_ASSERTION_LIFETIME_SECONDS) refuse(400, 'invalid_grant', 'exp_too_far');
  }

  #verifyClient(authorization: string | undefined): void {
    const encoded = /^Basic ([A-Za-z0-9+/=]+)$/.exec(authorization ?? '')?.[1];
    if (encoded === undefined) return refuse(401, 'invalid_client', 'no_basic_auth');
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return refuse(401, 'invalid_client', 'basic_without_colon');
    let clientId: string;
    let clientSecret: string;
    try {
      clientId = formDecode(decoded.slice(0, colon));
      clientSecret = formDecode(decoded.slice(colon + 1));
    } catch {
      return refuse(401, 'invalid_client', 'bad_form_encoding');
    }
    const client = this.#clients.find((c) => c.clientId === clientId);
    if (client === undefined) return refuse(401, 'invalid_client', 'unknown_client');
    if (client.clientSecret !== clientSecret) refuse(401, 'invalid_client', 'wrong_secret');
  }
}
