import { z } from 'zod';
import type { Deadline } from '../../zitadel/deadline.js';
import type { ZitadelCall } from '../../zitadel/transport.js';

const permissionsResponseSchema = z.object({ result: z.array(z.string()).optional() });
const instanceResponseSchema = z.object({
  instance: z.object({ version: z.string().optional() }).optional(),
});
const featureFlagSchema = z.object({ enabled: z.boolean().optional() }).optional();
const instanceFeaturesSchema = z.object({ enableBackChannelLogout: featureFlagSchema });

/** What `doctor` asks about the instance and the credential: its version, its features, our permissions. */
export interface ZitadelInstanceApi {
  /** The caller's own ZITADEL permissions, e.g. `session.read` (auth API ListMyZitadelPermissions). */
  listMyPermissions(deadline: Deadline): Promise<string[]>;
  /** The instance's ZITADEL version, when the credential may read the instance (`iam.read`). */
  getInstanceVersion(deadline: Deadline): Promise<string | undefined>;
  /** Whether the `enableBackChannelLogout` feature is on (undefined: the instance does not say). */
  getBackChannelLogoutFeature(deadline: Deadline): Promise<boolean | undefined>;
}

/** The instance calls' names in metrics, logs and errors. */
export type InstanceOperation = 'list_my_permissions' | 'get_instance' | 'get_instance_features';

export function createInstanceApi(call: ZitadelCall<InstanceOperation>): ZitadelInstanceApi {
  return {
    async listMyPermissions(deadline) {
      const answer = await call(
        'list_my_permissions',
        { method: 'POST', url: '/auth/v1/permissions/zitadel/me/_search', data: {} },
        permissionsResponseSchema,
        deadline,
      );
      return answer.result ?? [];
    },

    async getInstanceVersion(deadline) {
      const answer = await call(
        'get_instance',
        { method: 'GET', url: '/admin/v1/instances/me' },
        instanceResponseSchema,
        deadline,
      );
      return answer.instance?.version;
    },

    async getBackChannelLogoutFeature(deadline) {
      const answer = await call(
        'get_instance_features',
        { method: 'GET', url: '/v2/features/instance' },
        instanceFeaturesSchema,
        deadline,
      );
      return answer.enableBackChannelLogout?.enabled;
    },
  };
}
