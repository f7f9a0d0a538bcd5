import type { ZitadelCall } from '../../zitadel/transport.js';
import { createExecutionsApi, type ZitadelExecutionsApi } from './executions.js';
import { createInstanceApi, type ZitadelInstanceApi } from './instance.js';
import { createInstanceSessionsApi, type ZitadelInstanceSessionsApi } from './instanceSessions.js';
import { createOidcAppsApi, type ZitadelOidcAppsApi } from './oidcApps.js';
import { createOidcRegistrationApi, type ZitadelOidcRegistrationApi } from './oidcRegistration.js';
import { createPublicKeysApi, type ZitadelPublicKeysApi } from './publicKeys.js';
import { createTargetsApi, type ZitadelTargetsApi } from './targets.js';

export type { ActionsApiVersion } from './actionsSearch.js';
export type { ActionExecution } from './executions.js';
export type { OidcApp } from './oidcApps.js';
export type { OidcAppSpec, RegisteredOidcApp } from './oidcRegistration.js';
export type { TargetPublicKey } from './publicKeys.js';
export type { ActionTarget, ActionTargetSpec, PayloadTypeName } from './targets.js';

/**
 * Calls only the operator CLI makes: the instance-wide session listing (`sweep`), the Action Service (`setup`,
 * which needs an IAM_OWNER credential) and what `doctor` inspects. The login path never loads these.
 */
export type ZitadelAdminApi = ZitadelInstanceSessionsApi &
  ZitadelTargetsApi &
  ZitadelExecutionsApi &
  ZitadelPublicKeysApi &
  ZitadelInstanceApi &
  ZitadelOidcAppsApi &
  ZitadelOidcRegistrationApi;

/** The admin calls over the given transport: the same retries, deadlines and typed errors as the session calls. */
export function createAdminApi(call: ZitadelCall): ZitadelAdminApi {
  return {
    ...createInstanceSessionsApi(call),
    ...createTargetsApi(call),
    ...createExecutionsApi(call),
    ...createPublicKeysApi(call),
    ...createInstanceApi(call),
    ...createOidcAppsApi(call),
    ...createOidcRegistrationApi(call),
  };
}
