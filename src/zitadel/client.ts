import { createOperatorApi, type ZitadelOperatorApi } from './operatorApi.js';
import { createSessionApi, type ZitadelSessionApi } from './sessionApi.js';
import { createZitadelTransport, type ZitadelClientOptions } from './transport.js';
import { createUserApi, type ZitadelUserApi } from './userApi.js';

export type {
  ActionExecution,
  ActionsApiVersion,
  ActionTarget,
  ActionTargetSpec,
  OidcApp,
  PayloadTypeName,
  TargetPublicKey,
  ZitadelOperatorApi,
} from './operatorApi.js';
export { SESSION_PAGE_SIZE, type ZitadelSessionApi } from './sessionApi.js';
export type { LoginPolicy, ZitadelUserApi } from './userApi.js';
export type {
  ZitadelCallObserver,
  ZitadelClientOptions,
  ZitadelOperation,
  ZitadelOperatorOperation,
} from './transport.js';

/** What the service uses: the Session Service, and the user reads behind per-user limits and "signed in". */
export type ZitadelLimiterApi = ZitadelSessionApi & ZitadelUserApi;

/** Everything `createZitadelClient` offers. The service only ever uses its ZitadelLimiterApi part. */
export type ZitadelClient = ZitadelLimiterApi & ZitadelOperatorApi;

/** Builds the ZITADEL client once, at start-up: one transport shared by the session and the operator calls. */
export function createZitadelClient(options: ZitadelClientOptions): ZitadelClient {
  const call = createZitadelTransport(options);
  return { ...createSessionApi(call), ...createUserApi(call), ...createOperatorApi(call) };
}
