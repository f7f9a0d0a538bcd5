import { createHash, randomBytes } from 'node:crypto';
import type { Express, Request, Response } from 'express';
import { SignJWT } from 'jose';
import { nextZitadelId, type FakeZitadel } from './fakeZitadel.js';
import type { FakeSessionExecutions } from './fakeSessionExecutions.js';
import { authenticateClient, discoveryDocument, oauthError, type OAuthError } from './fakeOidcEndpoints.js';
import { mountFakeLogin, type FakeLoginUser } from './fakeOidcLogin.js';
import { FakeJwks, instanceWebKey, type InstanceWebKey } from './payloadKeys.js';

/**
 * ZITADEL v4 as an OpenID Connect provider, mounted on the fake ZITADEL's server (issuer = its origin): discovery,
 * authorize, a Login V2 stand-in (fakeOidcLogin.ts), code exchange and introspection. It does what ZITADEL's
 * internal/api/oidc and the zitadel/oidc v3 library do, and test/contract/fakeOidc.contract.test.ts holds it to that:
 * - PKCE is checked when the authorize request carried a challenge (or the client is public); a confidential
 *   client may skip it, and a verifier without a challenge is refused (token_code.go, op.AuthorizeCodeChallenge).
 * - a code works once; a failed exchange does not use it up, since ZITADEL pushes the exchange events only when
 *   every check passed (command/oidc_session.go). ZITADEL v4 sets no lifetime on a V2 code (`codeLifetimeMs` adds one).
 * - token errors are 400, invalid_client included (op.WriteError without a StatusError); ZITADEL errors are
 *   invalid_request with the message key as description (oidcError).
 * - an access token dies with the ZITADEL session it came from (query/access_token.go checkSessionNotTerminatedAfter).
 */

const DAY_MS = 24 * 60 * 60 * 1000;
/** ZITADEL's defaults (cmd/defaults.yaml OIDC.DefaultAccessTokenLifetime / DefaultIdTokenLifetime: 12h). */
const DEFAULT_TOKEN_LIFETIME_MS = DAY_MS / 2;

export interface FakeOidcClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: readonly string[];
  readonly projectId: string;
}

export interface FakeOidcOptions {
  /** ZITADEL's clock (code, token and session dates); Date.now unless given. Share it with the fake ZITADEL. */
  readonly now?: () => number;
  /** The instance's key set; the provider adds its signing key. Without it, the provider serves its own. */
  readonly jwks?: FakeJwks;
  /** The web key that signs ID tokens (RS256); one is made unless given (e.g. the key that signs JWT payloads). */
  readonly signingKey?: InstanceWebKey;
  readonly accessTokenLifetimeMs?: number;
  readonly idTokenLifetimeMs?: number;
  /** Not in ZITADEL v4 (a V2 code lives as long as its auth request); set it to test a client's handling. */
  readonly codeLifetimeMs?: number;
}

/** An authorize request as ZITADEL stores it (command.AuthRequest), and what the login added to it. */
export interface FakeAuthRequest {
  readonly id: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly state: string | undefined;
  readonly nonce: string | undefined;
  readonly scope: readonly string[];
  readonly audience: readonly string[];
  readonly codeChallenge: { readonly challenge: string; readonly method: string } | undefined;
  readonly prompt: readonly string[];
  readonly createdMs: number;
  phase: 'added' | 'code-added' | 'exchanged';
  sessionId?: string;
  authTimeMs?: number;
  code?: string;
  codeAddedMs?: number;
}

interface IssuedAccessToken {
  readonly tokenId: string;
  readonly sessionId: string;
  readonly userId: string;
  readonly loginName: string;
  readonly clientId: string;
  readonly audience: readonly string[];
  readonly scope: readonly string[];
  readonly authTimeMs: number;
  readonly createdMs: number;
  readonly expiresMs: number;
  revoked: boolean;
}

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

export class FakeOidcProvider {
  readonly clients = new Map<string, FakeOidcClient>();
  /** Users by login name, with the password the fake login accepts. */
  readonly users = new Map<string, FakeLoginUser>();
  readonly authRequests = new Map<string, FakeAuthRequest>();
  readonly #codes = new Map<string, string>();
  readonly #accessTokens = new Map<string, IssuedAccessToken>();
  /** When set, the login page runs Login V2's session calls through it, so the limiter (its target) is called. */
  executions: FakeSessionExecutions | undefined;
  readonly jwks: FakeJwks;
  readonly signingKey: InstanceWebKey;
  readonly now: () => number;
  readonly #ownsJwks: boolean;
  readonly #options: FakeOidcOptions;
  #zitadel: FakeZitadel | undefined;

  private constructor(options: FakeOidcOptions, signingKey: InstanceWebKey) {
    this.#options = options;
    this.now = options.now ?? Date.now;
    this.signingKey = signingKey;
    this.#ownsJwks = options.jwks === undefined;
    this.jwks = options.jwks ?? new FakeJwks([]);
    this.jwks.keys.push(signingKey.publicJwk);
  }

  static async create(options: FakeOidcOptions = {}): Promise<FakeOidcProvider> {
    const key = options.signingKey ?? (await instanceWebKey(`oidc-${nextZitadelId()}`, 'RS256'));
    if (key.alg !== 'RS256') throw new Error('the fake OIDC provider signs ID tokens with RS256');
    return new FakeOidcProvider(options, key);
  }

  /** An OIDC application of a project (web, code flow, client_secret_basic or _post). */
  registerClient(client: FakeOidcClient): void {
    this.clients.set(client.clientId, client);
  }

  /** A human user the fake login knows, by login name. */
  registerUser(user: FakeLoginUser): void {
    this.users.set(user.loginName, user);
  }

  get issuer(): string {
    if (this.#zitadel === undefined)
      throw new Error('mount the fake OIDC provider on a started fake ZITADEL');
    return this.#zitadel.url;
  }

  get zitadel(): FakeZitadel {
    if (this.#zitadel === undefined)
      throw new Error('mount the fake OIDC provider on a started fake ZITADEL');
    return this.#zitadel;
  }

  /** Pass as (or call from) FakeZitadel's `publicRoutes`: every route here is public, as in ZITADEL. */
  readonly mount = (app: Express, zitadel: FakeZitadel): void => {
    this.#zitadel = zitadel;
    if (this.#ownsJwks) this.jwks.mount(app);
    app.get(
      '/.well-known/openid-configuration',
      (_req, res) => void res.json(discoveryDocument(this.issuer)),
    );
    app.get('/oauth/v2/authorize', (req, res) => this.#authorize(req, res));
    app.post('/oauth/v2/token', (req, res) => void this.#token(req, res));
    app.post('/oauth/v2/introspect', (req, res) => this.#introspect(req, res));
    app.get('/oidc/v1/userinfo', (req, res) => this.#userinfo(req, res));
    app.post('/oidc/v1/userinfo', (req, res) => this.#userinfo(req, res));
    mountFakeLogin(app, this);
  };

  /** Audience of a client's tokens: every app of its project, then the project (audienceFromProjectID). */
  audienceOf(client: FakeOidcClient): string[] {
    const apps = [...this.clients.values()].filter((c) => c.projectId === client.projectId);
    return [...apps.map((c) => c.clientId), client.projectId];
  }

  /** The login linked a session to the auth request (CreateCallback): adds the code and gives the redirect. */
  completeAuthRequest(authRequest: FakeAuthRequest, sessionId: string, authTimeMs: number): string {
    const code = randomBytes(24).toString('base64url');
    authRequest.sessionId = sessionId;
    authRequest.authTimeMs = authTimeMs;
    authRequest.phase = 'code-added';
    authRequest.code = code;
    authRequest.codeAddedMs = this.now();
    this.#codes.set(code, authRequest.id);
    const url = new URL(authRequest.redirectUri);
    url.searchParams.set('code', code);
    if (authRequest.state !== undefined) url.searchParams.set('state', authRequest.state);
    return url.toString();
  }

  /** op.Authorize + ValidateAuthRequestClient, then CreateAuthRequest and the redirect to Login V2. */
  #authorize(req: Request, res: Response): void {
    const q = (name: string) => text(req.query[name]);
    const clientId = q('client_id');
    const redirectUri = q('redirect_uri');
    // No client or redirect yet: nowhere safe to redirect to, a plain 400 (op.AuthRequestError without a request).
    if (clientId === '') return void res.status(400).type('text').send('auth request is missing client_id');
    if (redirectUri === '')
      return void res.status(400).type('text').send('auth request is missing redirect_uri');
    const client = this.clients.get(clientId);
    if (client === undefined)
      return void res.status(400).type('text').send('unable to retrieve client by id');
    if (!client.redirectUris.includes(redirectUri))
      return void res
        .status(400)
        .type('text')
        .send(
          'The requested redirect_uri is missing in the client configuration. If you have any questions, you may contact the administrator of the application.',
        );
    const state = q('state') === '' ? undefined : q('state');
    const fail = (error: string, description: string) => {
      const url = new URL(redirectUri);
      url.searchParams.set('error', error);
      url.searchParams.set('error_description', description);
      if (state !== undefined) url.searchParams.set('state', state);
      res.redirect(302, url.toString());
    };
    const prompt = q('prompt').split(' ').filter(Boolean);
    if (prompt.includes('none') && prompt.length > 1)
      return fail('invalid_request', 'The prompt parameter `none` must only be used as a single value');
    const scope = q('scope').split(' ').filter(Boolean);
    if (scope.length === 0)
      return fail(
        'invalid_request',
        'The scope of your request is missing. Please ensure some scopes are requested. If you have any questions, you may contact the administrator of the application.',
      );
    const responseType = q('response_type');
    if (responseType === '')
      return fail(
        'invalid_request',
        'The response type is missing in your request. If you have any questions, you may contact the administrator of the application.',
      );
    if (responseType !== 'code')
      return fail(
        'unauthorized_client',
        'The requested response type is missing in the client configuration. If you have any questions, you may contact the administrator of the application.',
      );
    const challenge = q('code_challenge');
    const authRequest: FakeAuthRequest = {
      id: `V2_${nextZitadelId()}`,
      clientId,
      redirectUri,
      state,
      nonce: q('nonce') === '' ? undefined : q('nonce'),
      scope,
      audience: this.audienceOf(client),
      // Without a method the library treats the challenge as plain (oidc.VerifyCodeChallenge).
      codeChallenge:
        challenge === '' ? undefined : { challenge, method: q('code_challenge_method') || 'plain' },
      prompt,
      createdMs: this.now(),
      phase: 'added',
    };
    this.authRequests.set(authRequest.id, authRequest);
    res.redirect(302, `${this.issuer}/ui/v2/login/login?authRequest=${authRequest.id}`);
  }

  async #token(req: Request, res: Response): Promise<void> {
    const answer = (e: OAuthError) =>
      void res.status(e.status).json({ error: e.error, error_description: e.description });
    const form = (req.body ?? {}) as Record<string, unknown>;
    const grantType = text(form.grant_type);
    if (grantType === '') return answer(oauthError(400, 'invalid_request', 'grant_type missing'));
    if (grantType !== 'authorization_code')
      return answer(oauthError(400, 'unsupported_grant_type', `${grantType} not supported`));
    const client = authenticateClient(req, this.clients, 'invalid_client');
    if ('error' in client) return answer(client);
    const code = text(form.code);
    if (code === '') return answer(oauthError(400, 'invalid_request', 'code missing'));
    if (text(form.redirect_uri) === '')
      return answer(oauthError(400, 'invalid_request', 'redirect_uri missing'));
    const checked = this.#checkExchange(client, code, text(form.redirect_uri), text(form.code_verifier));
    if ('error' in checked) return answer(checked);
    res.setHeader('Cache-Control', 'no-store');
    res.json(await this.#exchange(client, checked));
  }

  /** CreateOIDCSessionFromAuthRequest's checks, in its order; nothing changes unless all pass. */
  #checkExchange(client: FakeOidcClient, code: string, redirectUri: string, verifier: string) {
    const authRequest = this.authRequests.get(this.#codes.get(code) ?? '');
    if (authRequest === undefined) return oauthError(400, 'invalid_request', 'Errors.User.Code.Invalid');
    const lifetime = this.#options.codeLifetimeMs;
    const expired = lifetime !== undefined && this.now() > (authRequest.codeAddedMs ?? 0) + lifetime;
    if (authRequest.phase !== 'code-added' || expired)
      return oauthError(400, 'invalid_request', 'Errors.AuthRequest.NoCode');
    const session = this.zitadel.sessions.get(authRequest.sessionId ?? '');
    if (session === undefined) return oauthError(400, 'invalid_request', 'Errors.Session.NotExisting');
    if (session.terminatedAt !== undefined)
      return oauthError(400, 'invalid_request', 'Errors.Session.Terminated');
    if (authRequest.clientId !== client.clientId)
      return oauthError(
        400,
        'invalid_client',
        'client_id does not correspond to the client_id in the authorization request',
      );
    const challenge = authRequest.codeChallenge;
    if (challenge === undefined && verifier !== '')
      return oauthError(400, 'invalid_request', 'code_verifier unexpectedly provided');
    if (challenge !== undefined) {
      if (verifier === '') return oauthError(400, 'invalid_request', 'code_verifier required');
      const computed = challenge.method === 'S256' ? s256(verifier) : verifier;
      if (computed !== challenge.challenge) return oauthError(400, 'invalid_grant', 'invalid code_verifier');
    }
    if (redirectUri !== authRequest.redirectUri)
      return oauthError(400, 'invalid_grant', 'redirect_uri does not correspond');
    return authRequest;
  }

  /** The OIDC session, its opaque access token and the ID token (token.go createIDToken). */
  async #exchange(client: FakeOidcClient, authRequest: FakeAuthRequest) {
    // The code still names its auth request, which is now past 'code-added': a second use is NoCode.
    authRequest.phase = 'exchanged';
    const session = this.zitadel.sessions.get(authRequest.sessionId ?? '')!;
    const nowMs = this.now();
    const accessToken = randomBytes(32).toString('base64url');
    const accessLifetime = this.#options.accessTokenLifetimeMs ?? DEFAULT_TOKEN_LIFETIME_MS;
    this.#accessTokens.set(accessToken, {
      tokenId: `V2_${nextZitadelId()}-at_${nextZitadelId()}`,
      sessionId: session.id,
      userId: session.userId,
      loginName: session.loginName,
      clientId: client.clientId,
      audience: authRequest.audience,
      scope: authRequest.scope,
      authTimeMs: authRequest.authTimeMs ?? nowMs,
      createdMs: nowMs,
      expiresMs: nowMs + accessLifetime,
      revoked: false,
    });
    const seconds = (ms: number) => Math.floor(ms / 1000);
    const audience = authRequest.audience.includes(client.clientId)
      ? [...authRequest.audience]
      : [...authRequest.audience, client.clientId];
    const idLifetime = this.#options.idTokenLifetimeMs ?? DEFAULT_TOKEN_LIFETIME_MS;
    const atHash = createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url');
    const idToken = authRequest.scope.includes('openid')
      ? await new SignJWT({
          azp: client.clientId,
          client_id: client.clientId,
          auth_time: seconds(authRequest.authTimeMs ?? nowMs),
          amr: session.factors.includes('password') ? ['pwd'] : [],
          at_hash: atHash,
          sid: session.id,
          ...(authRequest.nonce === undefined ? {} : { nonce: authRequest.nonce }),
          ...(authRequest.scope.includes('profile') ? { preferred_username: session.loginName } : {}),
        })
          .setProtectedHeader({ alg: 'RS256', kid: this.signingKey.kid, typ: 'JWT' })
          .setIssuer(this.issuer)
          .setSubject(session.userId)
          .setAudience(audience)
          .setIssuedAt(seconds(nowMs))
          .setExpirationTime(seconds(nowMs + idLifetime))
          .sign(this.signingKey.privateKey)
      : undefined;
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: seconds(accessLifetime),
      ...(idToken === undefined ? {} : { id_token: idToken }),
    };
  }

  /** introspect.go: client errors are answered, every token problem is `{"active":false}`. */
  #introspect(req: Request, res: Response): void {
    const client = authenticateClient(req, this.clients, 'unauthorized_client');
    if ('error' in client)
      return void res
        .status(client.status)
        .json({ error: client.error, error_description: client.description });
    const token = text((req.body as Record<string, unknown> | undefined)?.token);
    if (token === '')
      return void res.status(400).json({ error: 'invalid_request', error_description: 'token missing' });
    const issued = this.#verifyAccessToken(token);
    const inactive =
      issued === undefined ||
      !issued.audience.some((entry) => entry === client.clientId || entry === client.projectId);
    if (inactive) return void res.json({ active: false });
    const seconds = (ms: number) => Math.floor(ms / 1000);
    res.json({
      active: true,
      scope: issued.scope.join(' '),
      client_id: issued.clientId,
      token_type: 'Bearer',
      exp: seconds(issued.expiresMs),
      iat: seconds(issued.createdMs),
      auth_time: seconds(issued.authTimeMs),
      nbf: seconds(issued.createdMs),
      sub: issued.userId,
      aud: issued.audience,
      amr: ['pwd'],
      iss: this.issuer,
      jti: issued.tokenId,
      ...(issued.scope.includes('profile')
        ? { username: issued.loginName, preferred_username: issued.loginName }
        : {}),
    });
  }

  /**
   * access_token.go verifyAccessToken + query ActiveAccessTokenByToken: known, not revoked, not expired, and its
   * ZITADEL session not terminated since.
   */
  #verifyAccessToken(token: string): IssuedAccessToken | undefined {
    const issued = this.#accessTokens.get(token);
    const session = this.zitadel.sessions.get(issued?.sessionId ?? '');
    if (issued === undefined || issued.revoked || issued.expiresMs <= this.now()) return undefined;
    return session === undefined || session.terminatedAt !== undefined ? undefined : issued;
  }

  /** userinfo.go UserInfo: 401 without a token or with a dead one; else the user's claims by scope. */
  #userinfo(req: Request, res: Response): void {
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ?? text((req.body as Record<string, unknown> | undefined)?.access_token);
    if (token === '')
      return void res
        .status(401)
        .json({ error: 'invalid_request', error_description: 'access token missing' });
    const issued = this.#verifyAccessToken(token);
    if (issued === undefined)
      return void res.status(401).json({ error: 'access_denied', error_description: 'access token invalid' });
    res.json({
      sub: issued.userId,
      ...(issued.scope.includes('profile') ? { preferred_username: issued.loginName } : {}),
    });
  }

  /** Revokes every access token issued from a client (what POST /oauth/v2/revoke would do per token). */
  revokeTokensOf(clientId: string): void {
    for (const issued of this.#accessTokens.values()) if (issued.clientId === clientId) issued.revoked = true;
  }
}
