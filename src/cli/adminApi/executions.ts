import { z } from 'zod';
import type { Deadline } from '../../zitadel/deadline.js';
import type { ZitadelCall } from '../../zitadel/transport.js';
import { actionsPaginationSchema, searchActions, type ActionsApiVersion } from './actionsSearch.js';

/** One execution of the instance: its condition as ZITADEL returns it, and its ordered targets. */
export interface ActionExecution {
  readonly condition: Record<string, unknown>;
  readonly targets: readonly string[];
}

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

/** The Action Service's executions: which targets ZITADEL calls on which response. */
export interface ZitadelExecutionsApi {
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
  /** Every execution of the instance with targets, whatever its condition. */
  listAllExecutions(args: { api: ActionsApiVersion }, deadline: Deadline): Promise<ActionExecution[]>;
}

/** The execution calls' names in metrics, logs and errors. */
export type ExecutionOperation = 'list_executions' | 'set_execution';

export function createExecutionsApi(call: ZitadelCall<ExecutionOperation>): ZitadelExecutionsApi {
  return {
    async listResponseExecutionTargets({ api, method }, deadline) {
      const executions = await searchActions(
        call,
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

    async listAllExecutions({ api }, deadline) {
      const executions = await searchActions(
        call,
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
  };
}
