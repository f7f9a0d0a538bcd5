import { z } from 'zod';
import type { Deadline } from '../../zitadel/deadline.js';
import { isNotFound, type ZitadelCall } from '../../zitadel/transport.js';
import {
  actionsPaginationSchema,
  searchActions,
  targetPath,
  type ActionsApiVersion,
} from './actionsSearch.js';

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
const listTargetsResponseSchema = z.object({
  pagination: actionsPaginationSchema,
  targets: z.array(actionTargetSchema).optional(),
});
const createTargetResponseSchema = z.object({ id: z.string().min(1), signingKey: z.string().optional() });
const getTargetResponseSchema = z.object({ target: actionTargetSchema });

/** The Action Service's targets: what `setup` registers and `doctor` inspects (needs an IAM_OWNER credential). */
export interface ZitadelTargetsApi {
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
  /** Every target of the instance. */
  listAllTargets(args: { api: ActionsApiVersion }, deadline: Deadline): Promise<ActionTarget[]>;
}

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

/** The target calls' names in metrics, logs and errors. */
export type TargetOperation = 'list_targets' | 'create_target' | 'update_target' | 'get_target';

export function createTargetsApi(call: ZitadelCall<TargetOperation>): ZitadelTargetsApi {
  return {
    async listTargetsByName({ api, name }, deadline) {
      // ListTargets: proto/zitadel/action/v2/action_service.proto (v2beta: same body under /v2beta).
      const targets = await searchActions(
        call,
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
        { method: 'POST', url: targetPath(api, id), data: targetBody(target) },
        z.unknown(),
        deadline,
      );
    },

    async getTarget({ api, id }, deadline) {
      try {
        const answer = await call(
          'get_target',
          { method: 'GET', url: targetPath(api, id) },
          getTargetResponseSchema,
          deadline,
        );
        return answer.target;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    async listAllTargets({ api }, deadline) {
      return searchActions(
        call,
        'list_targets',
        `/${api}/actions/targets/search`,
        { sortingColumn: 'TARGET_FIELD_NAME_CREATED_DATE' },
        listTargetsResponseSchema,
        (page) => page.targets,
        deadline,
      );
    },
  };
}
