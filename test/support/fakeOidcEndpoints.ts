import type { Request } from 'express';
import type { FakeOidcClient } from './fakeOidc.js';

/** What ZITADEL answers a refused OAuth request: the status and the error body's two fields. */
export interface OAuthError {
  readonly status: number;
  readonly error: string;
  readonly description: string;
}

export const oauthError = (status: number, error: string, description: string): OAuthError => ({
  status,
  error,
  description,
});

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** The discovery document as ZITADEL answers it (server.go createDiscoveryConfig, zitadel/oidc op/discovery.go). */
export function discoveryDocument(issuer: string) {
  return {
    issuer,
    authorization_endpoint: `${issuer}/oauth/v2/authorize`,
    token_endpoint: `${issuer}/oauth/v2/token`,
    introspection_endpoint: `${issuer}/oauth/v2/introspect`,
    userinfo_endpoint: `${issuer}/oidc/v1/userinfo`,
    revocation_endpoint: `${issuer}/oauth/v2/revoke`,
    end_session_endpoint: `${issuer}/oidc/v1/end_session`,
    device_authorization_endpoint: `${issuer}/oauth/v2/device_authorization`,
    jwks_uri: `${issuer}/oauth/v2/keys`,
    scopes_supported: ['openid', 'profile', 'email', 'phone', 'address', 'offline_access'],
    response_types_supported: ['code', 'id_token', 'id_token token'],
    response_modes_supported: ['query', 'fragment', 'form_post'],
    grant_types_supported: [
      'authorization_code',
      'implicit',
      'refresh_token',
      'client_credentials',
      'urn:ietf:params:oauth:grant-type:jwt-bearer',
      'urn:ietf:params:oauth:grant-type:device_code',
    ],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['EdDSA', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'],
    token_endpoint_auth_methods_supported: [
      'none',
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
    ],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
    code_challenge_methods_supported: ['S256'],
    request_parameter_supported: true,
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
  };
}

/** parseClientCredentials + VerifyClient (client.go): Basic wins; both methods at once is refused. */
export function authenticateClient(
  req: Request,
  clients: ReadonlyMap<string, FakeOidcClient>,
  refusal: 'invalid_client' | 'unauthorized_client',
): FakeOidcClient | OAuthError {
  const form = (req.body ?? {}) as Record<string, unknown>;
  let clientId = text(form.client_id);
  let clientSecret = text(form.client_secret);
  const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (basic !== undefined) {
    if (clientSecret !== '' || text(form.client_assertion) !== '')
      return oauthError(400, 'invalid_request', 'client authentication must not use more than one method');
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    try {
      clientId = decodeURIComponent(decoded.slice(0, Math.max(colon, 0)).replace(/\+/g, ' '));
      clientSecret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    } catch {
      return oauthError(400, 'invalid_client', 'invalid basic auth header');
    }
  }
  if (refusal === 'unauthorized_client' && clientSecret === '' && text(form.client_assertion) === '')
    return oauthError(400, 'invalid_client', 'client must be authenticated');
  const client = clients.get(clientId);
  // The fake knows no client keys: an assertion is refused like a wrong one.
  if (client === undefined) return oauthError(400, refusal, 'no active client not found');
  if (clientSecret === '') return oauthError(400, refusal, 'empty client secret');
  if (clientSecret !== client.clientSecret) return oauthError(400, refusal, 'invalid secret');
  return client;
}
