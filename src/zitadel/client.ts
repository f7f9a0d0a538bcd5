import { createSessionApi, type ZitadelSessionApi } from './sessionApi.js';
import { createZitadelTransport, type ZitadelCall, type ZitadelClientOptions } from './transport.js';
import { createUserApi, type ZitadelUserApi } from './userApi.js';

export { SESSION_PAGE_SIZE, type ZitadelSessionApi } from './sessionApi.js';
export type { LoginPolicy, ZitadelUserApi } from './userApi.js';
export type { ZitadelCallObserver, ZitadelClientOptions, ZitadelOperation } from './transport.js';

/** What the service uses: the Session Service, and the user reads behind per-user limits and "signed in". */
export type ZitadelLimiterApi = ZitadelSessionApi & ZitadelUserApi;

/** The login path's calls over a transport; the operator CLI composes its admin calls over the same one. */
export function createLimiterApi(call: ZitadelCall): ZitadelLimiterApi {
  return { ...createSessionApi(call), ...createUserApi(call) };
}

/** Builds the service's ZITADEL client once, at start-up: one transport for every call on the login path. */
export function createZitadelClient(options: ZitadelClientOptions): ZitadelLimiterApi {
  return createLimiterApi(createZitadelTransport(options));
}
