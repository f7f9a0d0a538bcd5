import { createPrivateKey, type KeyObject } from 'node:crypto';
import axios from 'axios';
import { SignJWT } from 'jose';
import { z } from 'zod';
import { ConfigError, type ZitadelCredential } from '../vocabulary.js';
import type { AccessTokenSource } from './accessToken.js';
import { cachingTokenSource, type IssuedAccessToken, type RequestAccessToken } from './cachedAccessToken.js';
import type { ZitadelCallObserver, ZitadelOperation } from './transport.js';
import {
  ZitadelError,
  isInstanceNotFoundAnswer,
  isWrongUrlAnswer,
  networkFailure,
  parseRetryAfter,
} from './errors.js';
import { isRetryableStatus } from './failureKind.js';

export type JwtProfileCredential = Extract<ZitadelCredential, { kind: 'jwt-profile' }>;
export type ClientCredentials = Extract<ZitadelCredential, { kind: 'client-credentials' }>;

export interface OAuthTokenSourceOptions {
  /** The ZITADEL instance, which is also the issuer the JWT profile assertion is addressed to. */
  readonly instanceUrl: string;
  /** The most one token request may take. */
  readonly timeoutMs: number;
  readonly now?: () => number;
  /** The same hooks as the session calls, so token requests show in latency metrics and debug logs. */
  readonly observer?: ZitadelCallObserver;
}

/** Puts ZITADEL's own API project into the token's audience: without it, the v2 APIs refuse the token. */
export const ZITADEL_API_SCOPE = 'openid urn:zitadel:iam:org:project:id:zitadel:aud';

const TOKEN_PATH = '/oauth/v2/token';
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const FETCH_TOKEN = 'fetch_token' satisfies ZitadelOperation;

// ZITADEL refuses an assertion whose iat is more than 1 s ahead of its own clock (zitadel/oidc CheckIssuedAt, called
// with a 1 s offset by ZITADEL's JWT profile verifier), so iat is set a little in the past: our clock may run ahead.
const ASSERTION_BACKDATE_SECONDS = 10;
// The assertion is exchanged at once and never reused, and the verifier keeps no record of used assertions (no jti
// check): a short life limits what a copied assertion is worth. ZITADEL would accept an iat up to 1 h old.
const ASSERTION_LIFETIME_SECONDS = 60;

// RFC 6749 5.1. `token_type` is always Bearer from ZITADEL; other fields are ignored.
const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().int().positive(),
});

const tokenHttp = axios.create({
  // Every status is a value we inspect ourselves; a redirect would carry the client secret to another place.
  validateStatus: () => true,
  maxRedirects: 0,
  proxy: false,
  responseType: 'json',
  maxContentLength: 64 * 1024,
  headers: { Accept: 'application/json', 'User-Agent': 'zitadel-session-limiter' },
});

interface TokenRequestBody {
  readonly form: URLSearchParams;
  readonly authorization?: string;
}

// One POST to the token endpoint. Whatever fails becomes a ZitadelError that carries no part of the request.
function tokenEndpoint(
  options: OAuthTokenSourceOptions,
  buildRequest: () => Promise<TokenRequestBody>,
): RequestAccessToken {
  const url = `${options.instanceUrl}${TOKEN_PATH}`;
  const now = options.now ?? Date.now;
  return async (signal: AbortSignal): Promise<IssuedAccessToken> => {
    const { form, authorization } = await buildRequest();
    const requestSignal = AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]);
    const started = now();
    let response;
    try {
      response = await tokenHttp.post(url, form.toString(), {
        signal: requestSignal,
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          ...(authorization === undefined ? {} : { Authorization: authorization }),
        },
      });
    } catch (error) {
      // The axios error holds our request (the assertion or the client secret): only its code goes further.
      const failure = networkFailure(FETCH_TOKEN, error, { deadline: false, attempt: requestSignal.aborted });
      options.observer?.callFinished?.(FETCH_TOKEN, failure.kind, now() - started);
      throw failure;
    }
    options.observer?.callFinished?.(FETCH_TOKEN, String(response.status), now() - started);
    if (isInstanceNotFoundAnswer(response.status, response.data))
      throw new ZitadelError({
        operation: FETCH_TOKEN,
        kind: 'instance_not_found',
        status: 404,
        retryable: false,
      });
    if (isWrongUrlAnswer(response.status, response.data))
      throw new ZitadelError({
        operation: FETCH_TOKEN,
        kind: 'invalid_response',
        status: response.status,
        retryable: false,
      });
    if (response.status < 200 || response.status >= 300) {
      // 400 invalid_grant / 401 invalid_client: a wrong key, user, client id or secret; asking again cannot help.
      throw new ZitadelError({
        operation: FETCH_TOKEN,
        kind: 'http',
        status: response.status,
        retryable: isRetryableStatus(response.status),
        retryAfterMs: parseRetryAfter(response.headers['retry-after'], now()),
      });
    }
    const parsed = tokenResponseSchema.safeParse(response.data);
    if (!parsed.success) {
      throw new ZitadelError({ operation: FETCH_TOKEN, kind: 'invalid_response', retryable: false });
    }
    return { accessToken: parsed.data.access_token, expiresInSeconds: parsed.data.expires_in };
  };
}

// Reads the key once, at start-up. node:crypto rather than jose's importPKCS8: ZITADEL's key files hold PKCS #1
// ("BEGIN RSA PRIVATE KEY"), which importPKCS8 refuses; createPrivateKey reads PKCS #1 and PKCS #8 alike.
function readRsaPrivateKey(pem: string): KeyObject {
  let key: KeyObject | undefined;
  try {
    key = createPrivateKey(pem);
  } catch {
    // The crypto error says nothing useful and must not be passed on with the key nearby.
  }
  // RS256 with a shorter key is refused by jose (and by RFC 7518 3.3); ZITADEL issues 2048-bit keys.
  if (key?.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new ConfigError([
      'ZITADEL_KEY_FILE / ZITADEL_KEY_JSON: "key" is not an RSA private key (2048 bits or more) in PEM form; use the JSON file ZITADEL offers for a service-account key',
    ]);
  }
  return key;
}

/**
 * Access tokens for a service account's key (JWT profile, RFC 7523): each token request carries a fresh RS256
 * assertion signed with the key. Throws a ConfigError when the key cannot be read.
 */
export function jwtProfileTokenSource(
  credential: JwtProfileCredential,
  options: OAuthTokenSourceOptions,
): AccessTokenSource {
  const privateKey = readRsaPrivateKey(credential.privateKeyPem);
  const { keyId, userId } = credential;
  const now = options.now ?? Date.now;
  const signAssertion = (nowSeconds: number) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: keyId })
      .setIssuer(userId)
      .setSubject(userId)
      .setAudience(options.instanceUrl)
      .setIssuedAt(nowSeconds - ASSERTION_BACKDATE_SECONDS)
      .setExpirationTime(nowSeconds + ASSERTION_LIFETIME_SECONDS)
      .sign(privateKey);
  const request = tokenEndpoint(options, async () => ({
    form: new URLSearchParams({
      grant_type: JWT_BEARER_GRANT,
      assertion: await signAssertion(Math.floor(now() / 1000)),
      scope: ZITADEL_API_SCOPE,
    }),
  }));
  return cachingTokenSource(request, now);
}

// RFC 6749 2.3.1: id and secret are form-urlencoded before joining, so a ':' in either survives the split
// (ZITADEL url.QueryUnescapes both halves).
function formUrlEncode(value: string): string {
  // URLSearchParams serialises with exactly the application/x-www-form-urlencoded rules; an entry with an empty
  // name comes out as "=<value>".
  return new URLSearchParams([['', value]]).toString().slice(1);
}

/** Access tokens for a client id and secret (OAuth client credentials, HTTP Basic authentication). */
export function clientCredentialsTokenSource(
  credential: ClientCredentials,
  options: OAuthTokenSourceOptions,
): AccessTokenSource {
  const basic = Buffer.from(
    `${formUrlEncode(credential.clientId)}:${formUrlEncode(credential.clientSecret)}`,
    'utf8',
  ).toString('base64');
  const authorization = `Basic ${basic}`;
  const request = tokenEndpoint(options, () =>
    Promise.resolve({
      form: new URLSearchParams({ grant_type: 'client_credentials', scope: ZITADEL_API_SCOPE }),
      authorization,
    }),
  );
  return cachingTokenSource(request, options.now);
}
