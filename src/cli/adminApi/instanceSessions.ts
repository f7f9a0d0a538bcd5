import type { Deadline } from '../../zitadel/deadline.js';
import { listSessionsResponseSchema, type SessionRow } from '../../zitadel/sessionSchema.js';
import type { ZitadelCall } from '../../zitadel/transport.js';

/** The instance-wide session listing `sweep` pages through (the service only ever lists one user's). */
export interface ZitadelInstanceSessionsApi {
  /** One page of every session of the instance (no user filter), oldest first by creation date. */
  listSessionsPage(
    args: { offset: number; limit: number },
    deadline: Deadline,
  ): Promise<{ sessions: SessionRow[]; total: number | undefined }>;
}

/** The call's name in metrics, logs and errors: apart from the service's per-user `list_sessions`. */
export type InstanceSessionsOperation = 'list_all_sessions';

export function createInstanceSessionsApi(
  call: ZitadelCall<InstanceSessionsOperation>,
): ZitadelInstanceSessionsApi {
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
  };
}
