import type { ConnectionConfig } from '../vocabulary.js';
import { createLimiterApi, type ZitadelLimiterApi } from '../zitadel/client.js';
import { accessTokenSourceFor } from '../zitadel/credentials.js';
import type { RetryPolicy } from '../zitadel/retry.js';
import { createZitadelTransport } from '../zitadel/transport.js';
import { createAdminApi, type ZitadelAdminApi } from './adminApi/adminApi.js';
import { loadConnectionConfig } from './environment.js';

// A command-line run can wait longer than a webhook: more attempts and longer waits ride out rate limiting (429
// with Retry-After) during a sweep instead of failing users.
const CLI_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 200, maxDelayMs: 5000 };

/** What the CLI's commands call: the service's own calls and the admin calls, over one transport. */
export type ZitadelClient = ZitadelLimiterApi & ZitadelAdminApi;

export interface Connection {
  readonly config: ConnectionConfig;
  readonly zitadel: ZitadelClient;
}

/**
 * The same connection the service builds: INSTANCE_URL and one credential read by the shared config code, the
 * shared token sources and transport. Throws a ConfigError naming what is missing or unusable.
 */
export function connect(env: NodeJS.ProcessEnv): Connection {
  const config = loadConnectionConfig(env);
  const call = createZitadelTransport({
    instanceUrl: config.instanceUrl,
    // Throws a ConfigError (exit 3) for an unusable key, naming the variable and never the key.
    tokens: accessTokenSourceFor(config),
    callTimeoutMs: config.zitadelTimeoutMs,
    maxConcurrency: config.zitadelMaxConcurrency,
    maxRequestsPerSecond: config.zitadelMaxRps,
    retryPolicy: CLI_RETRY_POLICY,
  });
  return { config, zitadel: { ...createLimiterApi(call), ...createAdminApi(call) } };
}
