import type { Express } from 'express';
import { createApp } from './app.js';
import type { Config, ConnectionConfig } from './config.js';
import type { Logger, LogSink } from './logging/logger.js';
import { personalAccessToken, type AccessTokenSource } from './zitadel/accessToken.js';
import { createZitadelClient } from './zitadel/client.js';
import { clientCredentialsTokenSource, jwtProfileTokenSource } from './zitadel/oauthTokenSource.js';

/** The access-token source for the configured credential kind. */
export function accessTokenSourceFor(config: ConnectionConfig): AccessTokenSource {
  const { credential } = config;
  switch (credential.kind) {
    case 'pat':
      return personalAccessToken(credential.token);
    case 'jwt-profile':
      return jwtProfileTokenSource(credential, { instanceUrl: config.instanceUrl, timeoutMs: config.zitadelTimeoutMs });
    case 'client-credentials':
      return clientCredentialsTokenSource(credential, { instanceUrl: config.instanceUrl, timeoutMs: config.zitadelTimeoutMs });
  }
}

/** Wires the production object graph from a loaded config. Shared by the server and the serverless entry. */
export function buildService(config: Config, logger: Logger, accessLogSink?: LogSink): Express {
  const zitadel = createZitadelClient({
    instanceUrl: config.instanceUrl,
    tokens: accessTokenSourceFor(config),
    callTimeoutMs: config.zitadelTimeoutMs,
    observer: {
      retrying: (operation, reason, delayMs) => logger.debug('retrying ZITADEL call', { operation, reason, delayMs }),
    },
  });
  return createApp({ config, zitadel, logger, ...(accessLogSink === undefined ? {} : { accessLogSink }) });
}
