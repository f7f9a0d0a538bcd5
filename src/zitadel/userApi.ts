import { z } from 'zod';
import type { Deadline } from './deadline.js';
import { isNotFound, type ZitadelCall } from './transport.js';

/** The User and Settings Service v2 reads the decision needs: a user's plan, their factors, their login policy. */
export interface ZitadelUserApi {
  /**
   * The user's metadata value under `key`, decoded from base64 to text; undefined when the user has none (or no
   * longer exists). Needs `user.read`.
   */
  getUserMetadataValue(
    args: { userId: string; key: string },
    deadline: Deadline,
  ): Promise<string | undefined>;
  /** The authentication methods the user has set up (AUTHENTICATION_METHOD_TYPE_… names). */
  listAuthenticationMethodTypes(args: { userId: string }, deadline: Deadline): Promise<string[]>;
  /**
   * The login policy that applies to the organisation (ZITADEL falls back to the instance's own); an empty id
   * asks for the instance's default policy.
   */
  getLoginPolicy(args: { organizationId: string }, deadline: Deadline): Promise<LoginPolicy>;
}

export interface LoginPolicy {
  readonly forceMfa: boolean;
  readonly forceMfaLocalOnly: boolean;
}

export type ZitadelUserOperation =
  'list_user_metadata' | 'list_authentication_methods' | 'get_login_settings';

// Only the fields we read (proto/zitadel/user/v2/user_service.proto, metadata/v2, settings/v2 login_settings).
const listMetadataResponseSchema = z.object({
  metadata: z.array(z.object({ key: z.string(), value: z.string().optional() })).optional(),
});
const authMethodsResponseSchema = z.object({ authMethodTypes: z.array(z.string()).optional() });
const loginSettingsResponseSchema = z.object({
  settings: z
    .object({ forceMfa: z.boolean().optional(), forceMfaLocalOnly: z.boolean().optional() })
    .optional(),
});

export function createUserApi(call: ZitadelCall<ZitadelUserOperation>): ZitadelUserApi {
  return {
    async getUserMetadataValue({ userId, key }, deadline) {
      let answer;
      try {
        answer = await call(
          'list_user_metadata',
          {
            method: 'POST',
            url: `/v2/users/${encodeURIComponent(userId)}/metadata/search`,
            data: {
              pagination: { offset: '0', limit: 10 },
              // Spelt as the proto's JSON names: ZITADEL silently drops a misspelt filter (then every key comes back).
              filters: [{ keyFilter: { key, method: 'TEXT_FILTER_METHOD_EQUALS' } }],
            },
          },
          listMetadataResponseSchema,
          deadline,
        );
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
      // Checked on every row, in case the filter was dropped after all.
      const row = answer.metadata?.find((entry) => entry.key === key);
      if (row?.value === undefined) return undefined;
      // protojson sends bytes as base64 (standard or URL-safe alphabet); Node reads both.
      return Buffer.from(row.value, 'base64').toString('utf8');
    },

    async listAuthenticationMethodTypes({ userId }, deadline) {
      const url = `/v2/users/${encodeURIComponent(userId)}/authentication_methods`;
      const answer = await call(
        'list_authentication_methods',
        { method: 'GET', url },
        authMethodsResponseSchema,
        deadline,
      );
      return answer.authMethodTypes ?? [];
    },

    async getLoginPolicy({ organizationId }, deadline) {
      const answer = await call(
        'get_login_settings',
        {
          method: 'GET',
          url: '/v2/settings/login',
          // Without an organisation, ZITADEL answers the instance's default policy.
          ...(organizationId === '' ? {} : { params: { 'ctx.orgId': organizationId } }),
        },
        loginSettingsResponseSchema,
        deadline,
      );
      return {
        forceMfa: answer.settings?.forceMfa === true,
        forceMfaLocalOnly: answer.settings?.forceMfaLocalOnly === true,
      };
    },
  };
}
