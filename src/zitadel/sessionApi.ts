import { z } from 'zod';
import type { Deadline } from './deadline.js';
import {
  getSessionResponseSchema,
  listSessionsResponseSchema,
  listUsersResponseSchema,
  type SessionRow,
} from './sessionSchema.js';
import { ZitadelError } from './errors.js';
import { isNotFound, readPages, type ZitadelCall } from './transport.js';
import { parseTimestampNanos } from './protoTimestamp.js';

/** What a session search answered: the rows, and how far ZITADEL's sessions projection had got. */
export interface SessionListing {
  readonly sessions: SessionRow[];
  /** False when paging stopped early (row cap or time): `sessions` is then the first rows in the asked order. */
  readonly complete: boolean;
  /** How many sessions ZITADEL says match, read or not. */
  readonly total: number | undefined;
  /**
   * The projection's `details.timestamp` in epoch nanoseconds (the oldest over the pages read): every write up to
   * then is reflected in the rows. Undefined when ZITADEL did not say (older releases).
   */
  readonly projectedUpTo: bigint | undefined;
}

export interface ListUserSessionsArgs {
  readonly userId: string;
  /** By creation date; `newest-first` unless told. */
  readonly order?: 'newest-first' | 'oldest-first';
  /** Asked before every page after the first: false stops paging (the listing is then incomplete). */
  readonly continuePaging?: () => boolean;
}

/** The Session Service v2 calls the limiter makes, with named arguments and a shared deadline. */
export interface ZitadelSessionApi {
  /**
   * Every session ZITADEL lists for the user, newest first, all pages. Rows may belong to others: check them.
   * The search reads a projection that can lag writes (internal/query/session.go searchSessions does not
   * trigger it): call getSession first when the listing must include recent writes.
   */
  listUserSessions(args: ListUserSessionsArgs, deadline: Deadline): Promise<SessionListing>;
  /**
   * The session, read through ZITADEL's up-to-date path; undefined when it does not exist (any more). ZITADEL
   * brings the whole sessions projection up to date before it answers (sessionByID triggers it and waits), so a
   * search started after this returned sees every write committed before this began.
   */
  getSession(args: { sessionId: string }, deadline: Deadline): Promise<SessionRow | undefined>;
  /** Terminates the session. Idempotent: a session that is already gone counts as done. */
  deleteSession(args: { sessionId: string }, deadline: Deadline): Promise<'deleted' | 'already_gone'>;
  /** The id of the user with exactly this login name, if there is one. */
  findUserIdByLoginName(args: { loginName: string }, deadline: Deadline): Promise<string | undefined>;
  /**
   * Proves ZITADEL answers an authenticated call at this URL with this credential (for readiness). Resolves or
   * throws a ZitadelError. It cannot prove session.read: ZITADEL filters unreadable rows out of a search.
   */
  checkAccess(deadline: Deadline): Promise<void>;
}

// One page of the session search. ZITADEL has no maximum; a bounded page keeps one huge user from becoming one
// huge response. Parsing and validating 500 rows takes a few milliseconds, so no page holds the event loop long.
export const SESSION_PAGE_SIZE = 500;
// At most this many of one user's sessions are read per enforcement (sorting and deciding on them stays in the
// low milliseconds). A user with more is brought down by successive logins or a sweep, the first rows in decision
// order always being the ones read, so each pass is right as far as it goes.
export const MAX_SESSION_ROWS = 5000;
const MAX_SESSION_PAGES = MAX_SESSION_ROWS / SESSION_PAGE_SIZE;

/**
 * ZITADEL's DeleteSessionResponse: `{"details":{"sequence","changeDate","resourceOwner"}}`, `details` always set.
 * A 200 without it (a proxy's HTML page, an empty body, `{}`) is not ZITADEL saying the session is gone: counting
 * it as deleted would report, audit and count a session that may still be signed in.
 */
const deleteSessionResponseSchema = z.object({ details: z.record(z.string(), z.unknown()) });

// Not a ZITADEL id (those are decimal numbers), so the access check's search always comes back empty.
const ACCESS_CHECK_USER_ID = 'zitadel-session-limiter-access-check';

/** The Session Service calls' names in metrics and logs. */
export type ZitadelSessionOperation =
  'list_sessions' | 'get_session' | 'delete_session' | 'find_user' | 'check_access';

export function createSessionApi(call: ZitadelCall<ZitadelSessionOperation>): ZitadelSessionApi {
  return {
    async listUserSessions({ userId, order = 'newest-first', continuePaging }, deadline) {
      let projectedUpTo: bigint | undefined;
      let everyPageSaid = true;
      const read = await readPages(
        async (offset) => {
          const page = await call(
            'list_sessions',
            {
              method: 'POST',
              url: '/v2/sessions/search',
              data: {
                query: { offset: String(offset), limit: SESSION_PAGE_SIZE, asc: order === 'oldest-first' },
                // Spelt exactly as the proto's JSON names: ZITADEL silently drops a misspelt filter or enum.
                queries: [{ userIdQuery: { id: userId } }],
                sortingColumn: 'SESSION_FIELD_NAME_CREATION_DATE',
              },
            },
            listSessionsResponseSchema,
            deadline,
          );
          const pageUpTo = parseTimestampNanos(page.details?.timestamp);
          if (pageUpTo === undefined) everyPageSaid = false;
          else if (projectedUpTo === undefined || pageUpTo < projectedUpTo) projectedUpTo = pageUpTo;
          return { items: page.sessions ?? [], total: page.details?.totalResult };
        },
        SESSION_PAGE_SIZE,
        MAX_SESSION_PAGES,
        continuePaging,
      );
      return {
        sessions: read.items,
        complete: read.complete,
        total: read.total,
        projectedUpTo: everyPageSaid ? projectedUpTo : undefined,
      };
    },

    async getSession({ sessionId }, deadline) {
      try {
        const url = `/v2/sessions/${encodeURIComponent(sessionId)}`;
        const answer = await call('get_session', { method: 'GET', url }, getSessionResponseSchema, deadline);
        // Another session than the one asked for (a caching proxy, a broken gateway) would enforce another user's
        // limit on the word of this webhook: that is no answer from ZITADEL.
        if (answer.session.id !== sessionId)
          throw new ZitadelError({ operation: 'get_session', kind: 'invalid_response', retryable: false });
        return answer.session;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    async deleteSession({ sessionId }, deadline) {
      try {
        const url = `/v2/sessions/${encodeURIComponent(sessionId)}`;
        await call(
          'delete_session',
          { method: 'DELETE', url, data: {} },
          deleteSessionResponseSchema,
          deadline,
        );
        return 'deleted';
      } catch (error) {
        if (isNotFound(error)) return 'already_gone';
        throw error;
      }
    },

    async findUserIdByLoginName({ loginName }, deadline) {
      const answer = await call(
        'find_user',
        {
          method: 'POST',
          url: '/v2/users',
          data: {
            query: { offset: '0', limit: 2, asc: true },
            queries: [{ loginNameQuery: { loginName, method: 'TEXT_QUERY_METHOD_EQUALS' } }],
          },
        },
        listUsersResponseSchema,
        deadline,
      );
      const users = answer.result ?? [];
      // Two matches would mean the filter was dropped: refuse to guess.
      return users.length === 1 ? users[0]?.userId : undefined;
    },

    async checkAccess(deadline) {
      // The cheapest authenticated call the limiter's own role allows: a one-row search for a user id that cannot
      // exist, answered from an index. The schema check catches a URL that is not ZITADEL.
      await call(
        'check_access',
        {
          method: 'POST',
          url: '/v2/sessions/search',
          data: {
            query: { offset: '0', limit: 1, asc: false },
            queries: [{ userIdQuery: { id: ACCESS_CHECK_USER_ID } }],
          },
        },
        listSessionsResponseSchema,
        deadline,
      );
    },
  };
}
