import type { ConnectionConfig } from '../vocabulary.js';
import { personalAccessToken, type AccessTokenSource } from './accessToken.js';
import { clientCredentialsTokenSource, jwtProfileTokenSource } from './oauthTokenSource.js';
import type { ZitadelCallObserver } from './transport.js';

/**
 * The access-token source for the configured credential kind. Both wings build theirs here: the service with its
 * metrics observer, the operator CLI without one. Throws a ConfigError for an unusable key, naming the variable.
 */
export function accessTokenSourceFor(
  config: ConnectionConfig,
  observer?: ZitadelCallObserver,
): AccessTokenSource {
  const { credential } = config;
  const options = {
    instanceUrl: config.instanceUrl,
    timeoutMs: config.zitadelTimeoutMs,
    ...(observer === undefined ? {} : { observer }),
  };
  switch (credential.kind) {
    case 'pat':
      return personalAccessToken(credential.token);
    case 'jwt-profile':
      return jwtProfileTokenSource(credential, options);
    case 'client-credentials':
      return clientCredentialsTokenSource(credential, options);
  }
}
