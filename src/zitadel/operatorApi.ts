import { z } from 'zod';
import type { Deadline } from './deadline.js';
import { listSessionsResponseSchema, type SessionRow } from './sessionSchema.js';
import { isNotFound, readAllPages, type ZitadelCall, type ZitadelOperatorOperation } from './transport.js';

/** Which Action Service an instance offers: `v2` (ZITADEL v4+) or `v2beta` (v3): the same messages under another prefix. */
export type ActionsApiVersion = 'v2' | 'v2beta';

/** Target `payloadType` (ZITADEL 4.8+); older instances drop the field silently. */
export type PayloadTypeName = 'PAYLOAD_TYPE_JSON' | 'PAYLOAD_TYPE_JWT' | 'PAYLOAD_TYPE_JWE';

/** The target `setup` registers. Never `restCall`: ZITADEL would replace the login's response with our answer. */
export interface ActionTargetSpec {
  readonly name: string;
  readonly endpoint: string;
  /** A protojson duration such as "10s". */
  readonly timeout: string;
  readonly type:
    | { readonly restWebhook: { readonly interruptOnError: boolean } }
    | { readonly restAsync: Record<string, never> };
  /** Left out: ZITADEL keeps what the target has (JSON for a new one). */
  readonly payloadType?: PayloadTypeName | undefined;
}

/** A public key uploaded to a target for JWE payloads (proto/zitadel/action/v2/target.proto `PublicKey`). */
export interface TargetPublicKey {
  readonly keyId: string;
  readonly active: boolean;
  /** The PEM ZITADEL stores (bytes in the proto, base64 in JSON); undefined when it did not send it. */
  readonly publicKeyPem: string | undefined;
  readonly expirationDate: string | undefined;
}

/** An OIDC application as far as eviction is concerned (management API `App.oidcConfig`). */
export interface OidcApp {
  readonly name: string;
  readonly projectName: string;
  /** Local validation of JWT access tokens outlives an eviction. */
  readonly jwtAccessTokens: boolean;
  readonly backChannelLogout: boolean;
  readonly refreshTokens: boolean;
}

/** One execution of the instance: its condition as ZITADEL returns it, and its ordered targets. */
export interface ActionExecution {
  readonly condition: Record<string, unknown>;
  readonly targets: readonly string[];
}

// `Target` of proto/zitadel/action/v2/target.proto (v2beta's is the same); only the fields we read.
const targetBehaviourSchema = z.object({ interruptOnError: z.boolean().optional() });
const actionTargetSchema = z.object({
  id: z.string().min(1),
  name: z.string().optional(),
  endpoint: z.string().optional(),
  timeout: z.string().optional(),
  restWebhook: targetBehaviourSchema.optional(),
  restCall: targetBehaviourSchema.optional(),
  restAsync: z.object({}).optional(),
  signingKey: z.string().optional(),
  payloadType: z.string().optional(),
});
export type ActionTarget = z.infer<typeof actionTargetSchema>;
// zitadel.filter.v2.PaginationResponse: total_result is a uint64, a string in protojson.
const actionsPaginationSchema = z
  .object({ totalResult: z.union([z.string(), z.number()]).optional() })
  .optional();
const listTargetsResponseSchema = z.object({
  pagination: actionsPaginationSchema,
  targets: z.array(actionTargetSchema).optional(),
});
const createTargetResponseSchema = z.object({ id: z.string().min(1), signingKey: z.string().optional() });
const getTargetResponseSchema = z.object({ target: actionTargetSchema });
const listExecutionsResponseSchema = z.object({
  pagination: actionsPaginationSchema,
  executions: z
    .array(
      z.object({
        condition: z.object({ response: z.object({ method: z.string().optional() }).optional() }).optional(),
        targets: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

const publicKeySchema = z.object({
  keyId: z.string().min(1),
  active: z.boolean().optional(),
  publicKey: z.string().optional(),
  expirationDate: z.string().optional(),
});
const listPublicKeysResponseSchema = z.object({
  pagination: actionsPaginationSchema,
  publicKeys: z.array(publicKeySchema).optional(),
});
const listAllExecutionsResponseSchema = z.object({
  pagination: actionsPaginationSchema,
  executions: z
    .array(
      z.object({
        condition: z.record(z.string(), z.unknown()).optional(),
        targets: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});
const listDetailsSchema = z.object({ totalResult: z.union([z.string(), z.number()]).optional() }).optional();
const listProjectsResponseSchema = z.object({
  details: listDetailsSchema,
  result: z.array(z.object({ id: z.string().min(1), name: z.string().optional() })).optional(),
});
const listAppsResponseSchema = z.object({
  details: listDetailsSchema,
  result: z
    .array(
      z.object({
        name: z.string().optional(),
        oidcConfig: z
          .object({
            accessTokenType: z.string().optional(),
            backChannelLogoutUri: z.string().optional(),
            grantTypes: z.array(z.string()).optional(),
          })
          .optional(),
      }),
    )
    .optional(),
});
const permissionsResponseSchema = z.object({ result: z.array(z.string()).optional() });
const instanceResponseSchema = z.object({
  instance: z.object({ version: z.string().optional() }).optional(),
});
const featureFlagSchema = z.object({ enabled: z.boolean().optional() }).optional();
const instanceFeaturesSchema = z.object({ enableBackChannelLogout: featureFlagSchema });

/**
 * Calls only the operator CLI makes: the instance-wide session listing (`sweep`) and the Action Service (`setup`,
 * which needs an IAM_OWNER credential). Same transport, retries, deadlines and typed errors as the session calls.
 */
export interface ZitadelOperatorApi {
  /** One page of every session of the instance (no user filter), oldest first by creation date. */
  listSessionsPage(
    args: { offset: number; limit: number },
    deadline: Deadline,
  ): Promise<{ sessions: SessionRow[]; total: number | undefined }>;
  /** Targets named exactly `name`, checked on every row (ZITADEL silently drops a misspelt filter). */
  listTargetsByName(
    args: { api: ActionsApiVersion; name: string },
    deadline: Deadline,
  ): Promise<ActionTarget[]>;
  /** Creates the target; ZITADEL answers with its id and signing key. */
  createTarget(
    args: { api: ActionsApiVersion; target: ActionTargetSpec },
    deadline: Deadline,
  ): Promise<{ id: string; signingKey: string | undefined }>;
  /** Sets name, endpoint, timeout and type of an existing target. The signing key stays as it is. */
  updateTarget(
    args: { api: ActionsApiVersion; id: string; target: ActionTargetSpec },
    deadline: Deadline,
  ): Promise<void>;
  /** The target with its current signing key; undefined when there is none with this id. */
  getTarget(
    args: { api: ActionsApiVersion; id: string },
    deadline: Deadline,
  ): Promise<ActionTarget | undefined>;
  /** The targets of the response execution on `method`, in order; empty when there is none. */
  listResponseExecutionTargets(
    args: { api: ActionsApiVersion; method: string },
    deadline: Deadline,
  ): Promise<string[]>;
  /** Sets (replaces) the ordered targets of the response execution on `method`. */
  setResponseExecution(
    args: { api: ActionsApiVersion; method: string; targetIds: readonly string[] },
    deadline: Deadline,
  ): Promise<void>;
  /** Every target of the instance. */
  listAllTargets(args: { api: ActionsApiVersion }, deadline: Deadline): Promise<ActionTarget[]>;
  /** Every execution of the instance with targets, whatever its condition. */
  listAllExecutions(args: { api: ActionsApiVersion }, deadline: Deadline): Promise<ActionExecution[]>;
  /** The public keys uploaded to a target for JWE payloads (ZITADEL 4.8+). */
  listPublicKeys(
    args: { api: ActionsApiVersion; targetId: string },
    deadline: Deadline,
  ): Promise<TargetPublicKey[]>;
  /** Uploads a PEM public key to a target; answers its key id (the JWE `kid`). */
  addPublicKey(
    args: { api: ActionsApiVersion; targetId: string; publicKeyPem: string },
    deadline: Deadline,
  ): Promise<string>;
  /** Makes the key the target's one active encryption key. */
  activatePublicKey(
    args: { api: ActionsApiVersion; targetId: string; keyId: string },
    deadline: Deadline,
  ): Promise<void>;
  /** The caller's own ZITADEL permissions, e.g. `session.read` (auth API ListMyZitadelPermissions). */
  listMyPermissions(deadline: Deadline): Promise<string[]>;
  /** The instance's ZITADEL version, when the credential may read the instance (`iam.read`). */
  getInstanceVersion(deadline: Deadline): Promise<string | undefined>;
  /**
   * The OIDC apps of the credential's organisation (management API, `project.read` + `project.app.read`), at most
   * `maxProjects` projects; `truncated` when there were more.
   */
  listOidcApps(
    args: { maxProjects: number },
    deadline: Deadline,
  ): Promise<{ apps: OidcApp[]; truncated: boolean }>;
  /** Whether the `enableBackChannelLogout` feature is on (undefined: the instance does not say). */
  getBackChannelLogoutFeature(deadline: Deadline): Promise<boolean | undefined>;
}

// Action Service listings: targets and executions are few; the page cap only ends a runaway listing.
const ACTIONS_PAGE_SIZE = 100;
const ACTIONS_MAX_PAGES = 100;

/** CreateTarget/UpdateTarget body, in the proto's JSON names. */
function targetBody(target: ActionTargetSpec) {
  return {
    name: target.name,
    endpoint: target.endpoint,
    timeout: target.timeout,
    ...target.type,
    ...(target.payloadType === undefined ? {} : { payloadType: target.payloadType }),
  };
}

const targetPath = (api: ActionsApiVersion, targetId: string) =>
  `/${api}/actions/targets/${encodeURIComponent(targetId)}`;

/** The operator CLI's calls, on the same transport (retries, deadlines, typed errors) as the session calls. */
export function createOperatorApi(call: ZitadelCall): ZitadelOperatorApi {
  /**
   * Every item of an Action Service search: `body` is the request besides its pagination, `itemsOf` picks the page's
   * list. All of them page the same way (offset/limit, then totalResult).
   */
  function searchActions<
    Page extends { pagination?: { totalResult?: string | number | undefined } | undefined },
    Item,
  >(
    operation: ZitadelOperatorOperation,
    url: string,
    body: Record<string, unknown>,
    schema: z.ZodType<Page>,
    itemsOf: (page: Page) => Item[] | undefined,
    deadline: Deadline,
  ): Promise<Item[]> {
    return readAllPages(
      async (offset) => {
        const page = await call(
          operation,
          {
            method: 'POST',
            url,
            data: { pagination: { offset: String(offset), limit: ACTIONS_PAGE_SIZE, asc: true }, ...body },
          },
          schema,
          deadline,
        );
        return { items: itemsOf(page) ?? [], total: page.pagination?.totalResult };
      },
      ACTIONS_PAGE_SIZE,
      ACTIONS_MAX_PAGES,
    );
  }

  return {
    async listSessionsPage({ offset, limit }, deadline) {
      const page = await call(
        'list_all_sessions',
        {
          method: 'POST',
          url: '/v2/sessions/search',
          // Oldest first: sessions created while a sweep pages land on later pages instead of shifting earlier ones.
          data: {
            query: { offset: String(offset), limit, asc: true },
            sortingColumn: 'SESSION_FIELD_NAME_CREATION_DATE',
          },
        },
        listSessionsResponseSchema,
        deadline,
      );
      const total = Number(page.details?.totalResult);
      return { sessions: page.sessions ?? [], total: Number.isFinite(total) ? total : undefined };
    },

    async listTargetsByName({ api, name }, deadline) {
      // ListTargets: proto/zitadel/action/v2/action_service.proto (v2beta: same body under /v2beta).
      const targets = await searchActions(
        'list_targets',
        `/${api}/actions/targets/search`,
        {
          // The enum's value; the proto's documented default "TARGET_FIELD_NAME_CREATION_DATE" is not one.
          sortingColumn: 'TARGET_FIELD_NAME_CREATED_DATE',
          filters: [{ targetNameFilter: { targetName: name, method: 'TEXT_FILTER_METHOD_EQUALS' } }],
        },
        listTargetsResponseSchema,
        (page) => page.targets,
        deadline,
      );
      return targets.filter((target) => target.name === name);
    },

    async createTarget({ api, target }, deadline) {
      const answer = await call(
        'create_target',
        { method: 'POST', url: `/${api}/actions/targets`, data: targetBody(target) },
        createTargetResponseSchema,
        deadline,
      );
      return { id: answer.id, signingKey: answer.signingKey };
    },

    async updateTarget({ api, id, target }, deadline) {
      // UpdateTarget is a POST on the target's path; leaving out expirationSigningKey keeps the key.
      await call(
        'update_target',
        {
          method: 'POST',
          url: `/${api}/actions/targets/${encodeURIComponent(id)}`,
          data: targetBody(target),
        },
        z.unknown(),
        deadline,
      );
    },

    async getTarget({ api, id }, deadline) {
      try {
        const answer = await call(
          'get_target',
          { method: 'GET', url: `/${api}/actions/targets/${encodeURIComponent(id)}` },
          getTargetResponseSchema,
          deadline,
        );
        return answer.target;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    async listResponseExecutionTargets({ api, method }, deadline) {
      const executions = await searchActions(
        'list_executions',
        `/${api}/actions/executions/search`,
        { filters: [{ inConditionsFilter: { conditions: [{ response: { method } }] } }] },
        listExecutionsResponseSchema,
        (page) => page.executions,
        deadline,
      );
      return executions
        .filter((execution) => execution.condition?.response?.method === method)
        .flatMap((execution) => execution.targets ?? []);
    },

    async setResponseExecution({ api, method, targetIds }, deadline) {
      await call(
        'set_execution',
        {
          method: 'PUT',
          url: `/${api}/actions/executions`,
          data: { condition: { response: { method } }, targets: [...targetIds] },
        },
        z.unknown(),
        deadline,
      );
    },

    async listAllTargets({ api }, deadline) {
      return searchActions(
        'list_targets',
        `/${api}/actions/targets/search`,
        { sortingColumn: 'TARGET_FIELD_NAME_CREATED_DATE' },
        listTargetsResponseSchema,
        (page) => page.targets,
        deadline,
      );
    },

    async listAllExecutions({ api }, deadline) {
      const executions = await searchActions(
        'list_executions',
        `/${api}/actions/executions/search`,
        {},
        listAllExecutionsResponseSchema,
        (page) => page.executions,
        deadline,
      );
      return executions.map((execution) => ({
        condition: execution.condition ?? {},
        targets: execution.targets ?? [],
      }));
    },

    async listPublicKeys({ api, targetId }, deadline) {
      const keys = await searchActions(
        'list_public_keys',
        `${targetPath(api, targetId)}/publickeys/search`,
        {},
        listPublicKeysResponseSchema,
        (page) => page.publicKeys,
        deadline,
      );
      return keys.map((key) => ({
        keyId: key.keyId,
        active: key.active ?? false,
        // `bytes` in the proto: base64 in protojson.
        publicKeyPem:
          key.publicKey === undefined ? undefined : Buffer.from(key.publicKey, 'base64').toString('utf8'),
        expirationDate: key.expirationDate,
      }));
    },

    async addPublicKey({ api, targetId, publicKeyPem }, deadline) {
      const answer = await call(
        'add_public_key',
        {
          method: 'POST',
          url: `${targetPath(api, targetId)}/publickeys`,
          data: { publicKey: Buffer.from(publicKeyPem, 'utf8').toString('base64') },
        },
        z.object({ keyId: z.string().min(1) }),
        deadline,
      );
      return answer.keyId;
    },

    async activatePublicKey({ api, targetId, keyId }, deadline) {
      await call(
        'activate_public_key',
        {
          method: 'POST',
          url: `${targetPath(api, targetId)}/publickeys/${encodeURIComponent(keyId)}/activate`,
          data: {},
        },
        z.unknown(),
        deadline,
      );
    },

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

    async listOidcApps({ maxProjects }, deadline) {
      const projects = await call(
        'list_projects',
        {
          method: 'POST',
          url: '/management/v1/projects/_search',
          data: { query: { offset: '0', limit: maxProjects + 1, asc: true } },
        },
        listProjectsResponseSchema,
        deadline,
      );
      const rows = projects.result ?? [];
      const apps: OidcApp[] = [];
      for (const project of rows.slice(0, maxProjects)) {
        const page = await call(
          'list_apps',
          {
            method: 'POST',
            url: `/management/v1/projects/${encodeURIComponent(project.id)}/apps/_search`,
            data: { query: { offset: '0', limit: 1000, asc: true } },
          },
          listAppsResponseSchema,
          deadline,
        );
        for (const app of page.result ?? []) {
          const oidc = app.oidcConfig;
          if (oidc === undefined) continue;
          apps.push({
            name: app.name ?? '(unnamed)',
            projectName: project.name ?? project.id,
            jwtAccessTokens: oidc.accessTokenType === 'OIDC_TOKEN_TYPE_JWT',
            backChannelLogout: (oidc.backChannelLogoutUri ?? '') !== '',
            refreshTokens: (oidc.grantTypes ?? []).includes('OIDC_GRANT_TYPE_REFRESH_TOKEN'),
          });
        }
      }
      return { apps, truncated: rows.length > maxProjects };
    },
  };
}
