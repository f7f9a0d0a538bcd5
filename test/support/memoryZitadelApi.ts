import type { ZitadelLimiterApi } from '../../src/zitadel/client.js';
import type { Deadline } from '../../src/zitadel/deadline.js';
import type { SessionRow } from '../../src/zitadel/sessionSchema.js';
import type { LoginPolicy } from '../../src/zitadel/userApi.js';

/**
 * An in-memory stand-in for the ZitadelLimiterApi object, for fast unit tests of the enforcement core: no HTTP, no
 * process. It keeps ZITADEL's behaviours that the core relies on (FACTS.md): the search filters by user and sorts
 * by creation date in the asked order, pages until a short page or the total, and asks `continuePaging` before
 * every page after the first; GetSession of an expired session still answers (only a deleted one is gone);
 * DeleteSession is idempotent. Every call is recorded, in order, so a test can assert what was sent.
 */
export interface MemoryZitadelOptions {
  readonly sessions?: readonly SessionRow[];
  /** Rows per search page (ZITADEL's client asks for SESSION_PAGE_SIZE); small values make paging testable. */
  readonly pageSize?: number;
  /** What each search reports as `details.timestamp` (epoch nanoseconds), search by search; the last repeats. */
  readonly projectedUpTo?: readonly (bigint | undefined)[];
  /**
   * What the search reports as `details.totalResult`, instead of the true count: 'unknown' omits it (older
   * releases), a number can disagree with the rows (sessions created or deleted between pages).
   */
  readonly reportedTotal?: number | 'unknown';
  /** Extra rows every search returns whatever the filter (a dropped user filter: other users' sessions). */
  readonly foreignRows?: readonly SessionRow[];
  readonly metadata?: Readonly<Record<string, string>>;
  readonly authMethods?: Readonly<Record<string, readonly string[]>>;
  readonly loginPolicy?: LoginPolicy;
  readonly loginNames?: Readonly<Record<string, string>>;
  /** Called at the start of every call: a test advances its clock here to make calls take time. */
  readonly onCall?: (call: MemoryCall) => void;
}

export type MemoryCall =
  | { readonly op: 'list'; readonly userId: string; readonly order: string; readonly page: number }
  | { readonly op: 'get'; readonly sessionId: string }
  | { readonly op: 'delete'; readonly sessionId: string }
  | { readonly op: 'find_user'; readonly loginName: string }
  | { readonly op: 'metadata' | 'auth_methods'; readonly userId: string }
  | { readonly op: 'login_policy'; readonly organizationId: string }
  | { readonly op: 'check_access' };

export interface MemoryZitadel {
  readonly api: ZitadelLimiterApi;
  readonly calls: MemoryCall[];
  /** The session ids DELETE was sent for, in the order the calls started. */
  readonly deleteCalls: () => string[];
  /** How many searches (each of all its pages) were made. */
  readonly searches: () => number;
  readonly sessionIds: () => string[];
}

const creationMsOf = (row: SessionRow) => Date.parse(row.creationDate ?? '1970-01-01T00:00:00Z');

export function createMemoryZitadel(options: MemoryZitadelOptions = {}): MemoryZitadel {
  const sessions = new Map<string, SessionRow>((options.sessions ?? []).map((row) => [row.id, row]));
  const pageSize = options.pageSize ?? 500;
  const calls: MemoryCall[] = [];
  let searchCount = 0;
  // Recorded at once, answered on a later tick: like a real call, never synchronously.
  const record = async (call: MemoryCall) => {
    calls.push(call);
    options.onCall?.(call);
    await Promise.resolve();
  };

  const api: ZitadelLimiterApi = {
    async listUserSessions({ userId, order = 'newest-first', continuePaging }, _deadline: Deadline) {
      const projected = options.projectedUpTo ?? [];
      const projectedUpTo = projected[Math.min(searchCount, projected.length - 1)];
      searchCount += 1;
      const matching = [...sessions.values()]
        .filter((row) => row.factors?.user?.id === userId)
        .concat(options.foreignRows ?? [])
        .sort((a, b) =>
          order === 'oldest-first' ? creationMsOf(a) - creationMsOf(b) : creationMsOf(b) - creationMsOf(a),
        );
      const total =
        options.reportedTotal === 'unknown' ? undefined : (options.reportedTotal ?? matching.length);
      const read: SessionRow[] = [];
      for (let page = 0; ; page++) {
        if (page > 0 && continuePaging !== undefined && !continuePaging())
          return { sessions: read, complete: false, total, projectedUpTo };
        await record({ op: 'list', userId, order, page });
        const rows = matching.slice(page * pageSize, (page + 1) * pageSize);
        read.push(...rows);
        if (rows.length < pageSize || (total !== undefined && read.length >= total))
          return { sessions: read, complete: true, total, projectedUpTo };
      }
    },
    async getSession({ sessionId }) {
      await record({ op: 'get', sessionId });
      return sessions.get(sessionId);
    },
    async deleteSession({ sessionId }) {
      await record({ op: 'delete', sessionId });
      return sessions.delete(sessionId) ? 'deleted' : 'already_gone';
    },
    async findUserIdByLoginName({ loginName }) {
      await record({ op: 'find_user', loginName });
      return options.loginNames?.[loginName];
    },
    async checkAccess() {
      await record({ op: 'check_access' });
    },
    async getUserMetadataValue({ userId }) {
      await record({ op: 'metadata', userId });
      return options.metadata?.[userId];
    },
    async listAuthenticationMethodTypes({ userId }) {
      await record({ op: 'auth_methods', userId });
      return [...(options.authMethods?.[userId] ?? ['AUTHENTICATION_METHOD_TYPE_PASSWORD'])];
    },
    async getLoginPolicy({ organizationId }) {
      await record({ op: 'login_policy', organizationId });
      return options.loginPolicy ?? { forceMfa: false, forceMfaLocalOnly: false };
    },
  };

  return {
    api,
    calls,
    deleteCalls: () => calls.flatMap((call) => (call.op === 'delete' ? [call.sessionId] : [])),
    searches: () => searchCount,
    sessionIds: () => [...sessions.keys()],
  };
}

/** A deadline at a fixed point of a test's own clock; its signal never fires on its own. */
export function deadlineAt(atMs: number): Deadline {
  return { signal: new AbortController().signal, atMs };
}

/** A session row as GetSession and the search answer it (protojson), signed in with a password unless told. */
export function memoryRow(
  id: string,
  createdMs: number,
  options: {
    readonly userId?: string;
    readonly organizationId?: string;
    readonly factors?: NonNullable<SessionRow['factors']>;
    readonly expiresMs?: number;
    readonly fingerprintId?: string;
    readonly changeDate?: string;
  } = {},
): SessionRow {
  const created = new Date(createdMs).toISOString();
  return {
    id,
    creationDate: created,
    changeDate: options.changeDate ?? created,
    ...(options.expiresMs === undefined ? {} : { expirationDate: new Date(options.expiresMs).toISOString() }),
    factors: {
      user: {
        id: options.userId ?? 'user-1',
        organizationId: options.organizationId ?? 'org-1',
        verifiedAt: created,
      },
      ...(options.factors ?? { password: { verifiedAt: created } }),
    },
    ...(options.fingerprintId === undefined ? {} : { userAgent: { fingerprintId: options.fingerprintId } }),
  };
}
