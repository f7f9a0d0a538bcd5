import type { Config } from '../vocabulary.js';
import type { Logger } from '../logging/logger.js';
import { chooseLimit, type LimitChoice, type MetadataLimit } from '../policy/sessionLimit.js';
import { ANY_FACTOR, signInRequirementFrom, type SignInRequirement } from '../policy/signInRequirement.js';
import type { Deadline } from '../zitadel/deadline.js';
import { ReadCache } from '../zitadel/readCache.js';
import type { LoginPolicy, ZitadelUserApi } from '../zitadel/userApi.js';

export type UserPolicySettings = Pick<
  Config,
  'concurrentSessions' | 'countWhen' | 'limitMetadataKey' | 'limitMetadataTtlMs' | 'orgLimits'
>;

/** Something the decision had to do without; each is a warning in the log and a metric. */
export type PolicyFallback =
  | 'limit_metadata_invalid'
  | 'limit_metadata_unreadable'
  | 'authentication_methods_unreadable'
  | 'login_settings_unreadable';

/** What applies to one user now: their limit and what makes one of their sessions count. */
export interface UserPolicy {
  readonly limit: LimitChoice;
  readonly signIn: SignInRequirement;
  readonly fallbacks: readonly PolicyFallback[];
}

/** The reads of one user's policy, started before the session search and settled after it. */
export interface PendingUserPolicy {
  /**
   * Waits for the reads at most `graceMs` longer (they started alongside the search, so they are usually done),
   * then decides with what arrived. Never rejects: a read that failed or is late falls back and is reported.
   * `organizationId` is the user's organisation as the sessions show it (ORG_LIMITS).
   */
  settle(args: { organizationId: string | undefined; logger: Logger }): Promise<UserPolicy>;
}

export interface UserPolicyReader {
  begin(args: {
    userId: string;
    /** For the login policy; a promise when only the session search will tell (no confirmed trigger row). */
    organizationId: string | undefined | Promise<string | undefined>;
    deadline: Deadline;
  }): PendingUserPolicy;
}

// A user's factors change when they set one up; the login policy changes rarely and is shared by every user of
// the organisation, so it is kept five times longer.
export const AUTH_METHODS_TTL_MS = 60_000;
export const LOGIN_POLICY_TTL_MS = 300_000;
// How much longer than the session search the side reads may take before the decision goes on without them.
export const SIDE_READ_GRACE_MS = 500;
const MAX_CACHED_USERS = 50_000;

type Settled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false };

/** Resolves with the promise's value, or `{ ok: false }` when it rejects or is not done within `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Settled<T>>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false }), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (value): Settled<T> => ({ ok: true, value }),
        (): Settled<T> => ({ ok: false }),
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads the per-user limit (LIMIT_METADATA_KEY) and what makes a session count (COUNT_WHEN=signed-in) with
 * caches that outlive one webhook. The reads run in parallel with the session search, so a cached or fast read
 * adds no round trip one after another; a late one still fills its cache for the next webhook.
 */
export function createUserPolicyReader(options: {
  readonly api: ZitadelUserApi;
  readonly settings: UserPolicySettings;
  readonly now: () => number;
  readonly graceMs?: number;
}): UserPolicyReader {
  const { api, settings, now } = options;
  const graceMs = options.graceMs ?? SIDE_READ_GRACE_MS;
  const metadata = new ReadCache<string | undefined>({
    ttlMs: settings.limitMetadataTtlMs,
    maxEntries: MAX_CACHED_USERS,
    now,
  });
  const methods = new ReadCache<string[]>({ ttlMs: AUTH_METHODS_TTL_MS, maxEntries: MAX_CACHED_USERS, now });
  const policies = new ReadCache<LoginPolicy>({ ttlMs: LOGIN_POLICY_TTL_MS, maxEntries: 10_000, now });
  const key = settings.limitMetadataKey;
  const signedIn = settings.countWhen === 'signed-in';

  return {
    begin({ userId, organizationId, deadline }) {
      // Started now, awaited later: a rejection is handled by `within`, so none is left unhandled.
      const metadataRead =
        key === undefined
          ? undefined
          : metadata.get(userId, () => api.getUserMetadataValue({ userId, key }, deadline));
      const methodsRead = signedIn
        ? methods.get(userId, () => api.listAuthenticationMethodTypes({ userId }, deadline))
        : undefined;
      const policyRead = signedIn
        ? Promise.resolve(organizationId).then((orgId) =>
            // ZITADEL answers the instance's policy for an organisation without one of its own.
            policies.get(orgId ?? '', () => api.getLoginPolicy({ organizationId: orgId ?? '' }, deadline)),
          )
        : undefined;
      // Keep an early failure from being reported as unhandled before settle() looks at it.
      for (const read of [metadataRead, methodsRead, policyRead]) read?.catch(() => undefined);

      return {
        async settle({ organizationId: orgId, logger }) {
          const [metadataResult, methodsResult, policyResult] = await Promise.all([
            metadataRead === undefined ? undefined : within(metadataRead, graceMs),
            methodsRead === undefined ? undefined : within(methodsRead, graceMs),
            policyRead === undefined ? undefined : within(policyRead, graceMs),
          ]);
          const fallbacks: PolicyFallback[] = [];

          const metadataLimit: MetadataLimit =
            metadataResult === undefined
              ? { kind: 'off' }
              : !metadataResult.ok
                ? { kind: 'unreadable' }
                : metadataResult.value === undefined
                  ? { kind: 'absent' }
                  : { kind: 'value', text: metadataResult.value };
          const limit = chooseLimit({
            metadata: metadataLimit,
            organizationId: orgId,
            orgLimits: settings.orgLimits,
            defaultLimit: settings.concurrentSessions,
          });
          // The user id, never the value: metadata is the user's own data.
          if (limit.metadataProblem === 'invalid') {
            fallbacks.push('limit_metadata_invalid');
            logger.warn(
              'the user\'s limit metadata is neither a whole number of at least 1 nor "unlimited"; the next rule applies',
              { userId, limitSource: limit.source },
            );
          } else if (limit.metadataProblem === 'unreadable') {
            fallbacks.push('limit_metadata_unreadable');
            logger.warn(
              "the user's limit metadata could not be read in time; nothing is enforced for them now",
              {
                userId,
              },
            );
          }

          let signIn: SignInRequirement = ANY_FACTOR;
          if (methodsResult !== undefined && policyResult !== undefined) {
            if (!methodsResult.ok) fallbacks.push('authentication_methods_unreadable');
            if (!policyResult.ok) fallbacks.push('login_settings_unreadable');
            if (methodsResult.ok && policyResult.ok)
              signIn = signInRequirementFrom(methodsResult.value, policyResult.value);
            else
              logger.warn(
                "the user's authentication methods or login policy could not be read in time; any verified factor counts",
                {
                  userId,
                  unreadable: fallbacks.filter(
                    (name) => name.startsWith('authentication') || name.startsWith('login'),
                  ),
                },
              );
          }
          return { limit, signIn, fallbacks };
        },
      };
    },
  };
}
