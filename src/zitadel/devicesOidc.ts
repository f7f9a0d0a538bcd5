import * as oidc from 'openid-client';

/** What a sign-in's callback must match: kept by the page in a signed cookie between authorize and callback. */
export interface LoginState {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

/** The devices page as an OpenID Connect client of the instance: who the user is comes from ZITADEL alone. */
export interface DevicesOidc {
  /** Where to send the browser to sign in, and what its callback must match (kept in a signed cookie). */
  beginLogin(): Promise<{ readonly authorizationUrl: URL; readonly state: LoginState }>;
  /** The callback: the code exchanged (PKCE, state and nonce checked, the ID token verified) for who signed in. */
  finishLogin(callbackUrl: URL, state: LoginState): Promise<SignedInUser>;
  /** A user's own ZITADEL access token, checked by ZITADEL (introspection): whose it is, or undefined if inactive. */
  introspect(accessToken: string): Promise<string | undefined>;
}

export interface SignedInUser {
  readonly userId: string;
  /** The ZITADEL session of this sign-in (the ID token's `sid`): marks the device the user is on. */
  readonly sessionId: string | undefined;
}

/** ZITADEL refused (a bad code, an expired login, a wrong client secret): the user should start again. */
export class DevicesLoginError extends Error {
  constructor(readonly code: 'login_failed' | 'zitadel_unavailable') {
    super(code);
    this.name = 'DevicesLoginError';
  }
}

export interface DevicesOidcOptions {
  readonly instanceUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  readonly timeoutMs: number;
}

// openid-client's own error types for "the server answered, and said no"; anything else (no answer, a timeout, a
// 5xx) is ZITADEL being unavailable, which the page reports as such rather than as a failed sign-in.
function classify(error: unknown): DevicesLoginError {
  if (error instanceof DevicesLoginError) return error;
  if (error instanceof oidc.AuthorizationResponseError) return new DevicesLoginError('login_failed');
  if (error instanceof oidc.ResponseBodyError && error.status < 500 && error.status !== 429)
    return new DevicesLoginError('login_failed');
  if (error instanceof oidc.ClientError && error.code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED')
    return new DevicesLoginError('login_failed');
  return new DevicesLoginError('zitadel_unavailable');
}

/**
 * openid-client (authorization code + PKCE, client_secret_basic). The discovery document is fetched on first use
 * and kept; a failed discovery is tried again by the next request, so a ZITADEL that was down at start-up does
 * not disable the page.
 */
export function createDevicesOidc(options: DevicesOidcOptions): DevicesOidc {
  let configuration: Promise<oidc.Configuration> | undefined;
  const issuer = new URL(options.instanceUrl);

  function discovered(): Promise<oidc.Configuration> {
    configuration ??= oidc
      .discovery(issuer, options.clientId, undefined, oidc.ClientSecretBasic(options.clientSecret), {
        timeout: Math.max(1, Math.ceil(options.timeoutMs / 1000)),
        // Plain http only for a local instance (config refuses it elsewhere), as in the tests.
        ...(issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {}),
      })
      .catch((error: unknown) => {
        configuration = undefined;
        throw classify(error);
      });
    return configuration;
  }

  return {
    async beginLogin() {
      const config = await discovered();
      const state = {
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
        codeVerifier: oidc.randomPKCECodeVerifier(),
      };
      const authorizationUrl = oidc.buildAuthorizationUrl(config, {
        redirect_uri: options.redirectUri,
        scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(state.codeVerifier),
        code_challenge_method: 'S256',
        state: state.state,
        nonce: state.nonce,
      });
      return { authorizationUrl, state };
    },

    async finishLogin(callbackUrl, state) {
      const config = await discovered();
      try {
        // What the browser brought back is checked before ZITADEL is asked: openid-client reports a wrong or missing
        // state and a garbled token answer alike (OAUTH_INVALID_RESPONSE), and a forged or crossed callback is a
        // failed sign-in (400), not ZITADEL being unavailable (502).
        const only = (name: string) => {
          const values = callbackUrl.searchParams.getAll(name);
          return values.length === 1 ? values[0] : undefined;
        };
        if (
          only('state') !== state.state ||
          (only('code') === undefined && !callbackUrl.searchParams.has('error'))
        )
          throw new DevicesLoginError('login_failed');
        const tokens = await oidc.authorizationCodeGrant(
          config,
          callbackUrl,
          {
            pkceCodeVerifier: state.codeVerifier,
            expectedState: state.state,
            expectedNonce: state.nonce,
            idTokenExpected: true,
          },
          { redirect_uri: options.redirectUri },
        );
        const claims = tokens.claims();
        if (claims === undefined || typeof claims.sub !== 'string' || claims.sub === '')
          throw new DevicesLoginError('login_failed');
        return { userId: claims.sub, sessionId: typeof claims.sid === 'string' ? claims.sid : undefined };
      } catch (error) {
        throw classify(error);
      }
    },

    async introspect(accessToken) {
      const config = await discovered();
      try {
        const answer = await oidc.tokenIntrospection(config, accessToken);
        return answer.active && typeof answer.sub === 'string' && answer.sub !== '' ? answer.sub : undefined;
      } catch (error) {
        throw classify(error);
      }
    },
  };
}
