import type { Config } from '../vocabulary.js';
import type { Logger } from '../logging/logger.js';
import type { PolicyReadSet } from '../policy/policyReads.js';
import { chooseLimit, type LimitChoice, type MetadataLimit } from '../policy/sessionLimit.js';
import { ANY_FACTOR, signInRequirementFrom, type SignInRequirement } from '../policy/signInRequirement.js';
import { OncePerInterval } from '../util/oncePerInterval.js';
import type { Deadline } from '../zitadel/deadline.js';
import { ZitadelError } from '../zitadel/errors.js';
import { isPermissionDenied } from '../zitadel/failureKind.js';
import { ReadCache } from '../zitadel/readCache.js';
import type { LoginPolicy, ZitadelUserApi } from '../zitadel/userApi.js';

export type UserPolicySettings = Pick<
  Config,
  'concurrentSessions' | 'countWhen' | 'limitMetadataKey' | 'limitMetadataTtlMs' | 'orgLimits'
>;

/**
 * Something the decision had to do without; each is a warning in the log, a metric and part of the audit record.
 * `…_permission_denied`: ZITADEL answered 403 (the credential lacks the permission); `…_unreadable`: the read
 * failed otherwise or was late.
 */
export type PolicyFallback =
  | 'limit_metadata_invalid'
  | 'limit_metadata_unreadable'
  | 'limit_metadata_permission_denied'
  | 'authentication_methods_unreadable'
  | 'authentication_methods_permission_denied'
  | 'login_settings_unreadable'
  | 'login_settings_permission_denied';

/** What applies to one user now: their limit and what makes one of their sessions count. */
export interface UserPolicy {
  readonly limit: LimitChoice;
  readonly signIn: SignInRequirement;
  readonly fallbacks: readonly PolicyFallback[];
}

/** The reads of one user's policy, started by `begin` and awaited by `settle`. */
export interface PendingUserPolicy {
  /**
   * Waits for the reads at most `graceMs` (a cached read is there at once), then decides with what arrived. Never
   * rejects: a read that failed or is late falls back and is reported. `organizationId` is the user's
   * organisation as the sessions show it (ORG_LIMITS).
   */
  settle(args: { organizationId: string | undefined; logger: Logger }): Promise<UserPolicy>;
}

/** Every configured read: the limit metadata (LIMIT_METADATA_KEY), the methods and login policy (signed-in). */
export const ALL_POLICY_READS: PolicyReadSet = Object.freeze({ limit: true, signIn: true });

export interface UserPolicyReader {
  begin(args: {
    userId: string;
    /** For the login policy; a promise when only the session search will tell (no confirmed trigger row). */
    organizationId: string | undefined | Promise<string | undefined>;
    deadline: Deadline;
    /**
     * Which reads to make, each only when configured (default: all). Unread, the limit is the next rule's
     * (source `not_needed` when LIMIT_METADATA_KEY is set) and any verified factor counts.
     */
    reads?: PolicyReadSet;
  }): PendingUserPolicy;
}

// A user's factors change when they set one up; the login policy changes rarely and is shared by every user of
// the organisation, so it is kept five times longer.
export const AUTH_METHODS_TTL_MS = 60_000;
export const LOGIN_POLICY_TTL_MS = 300_000;
// How long the decision waits for the side reads it needs before it goes on without them (and falls back).
export const SIDE_READ_GRACE_MS = 500;
const MAX_CACHED_USERS = 50_000;
// A missing permission is the same for every webhook until an operator adds the role: one warning per read and
// interval keeps it in sight without a line per login (the metric counts every one).
export const PERMISSION_WARNING_INTERVAL_MS = 300_000;

/** How a side read was missed: it came too late, ZITADEL refused it for a missing permission (403), or it failed. */
type Missed = 'late' | 'permission_denied' | 'failed';
type Settled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly missed: Missed };

function missedBy(error: unknown): Missed {
  if (isPermissionDenied(error)) return 'permission_denied';
  if (error instanceof ZitadelError && (error.kind === 'timeout' || error.kind === 'deadline')) return 'late';
  return 'failed';
}

/**
 * Resolves with the promise's value, or how it was missed when it rejects or is not done within `ms`. A read refused
 * for the request budget (ZITADEL_MAX_RPS) rejects instead: the budget is gone for the rest of the webhook too, so
 * it ends undecided rather than decided on fallbacks it could not carry out.
 */
async function within<T>(promise: Promise<T>, ms: number): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Settled<T>>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, missed: 'late' }), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (value): Settled<T> => ({ ok: true, value }),
        (error: unknown): Settled<T> => {
          if (error instanceof ZitadelError && error.kind === 'rate_limited') throw error;
          return { ok: false, missed: missedBy(error) };
        },
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

type SideRead = 'limit_metadata' | 'authentication_methods' | 'login_settings';

/** Each side read: what it is, the call, the permission it needs and the narrowest roles that hold it. */
const SIDE_READS: Readonly<
  Record<SideRead, { what: string; call: string; permission: string; roles: string }>
> = {
  limit_metadata: {
    what: "the user's limit metadata",
    call: 'POST /v2/users/{userId}/metadata/search',
    permission: 'user.read',
    roles: 'IAM_USER_MANAGER, or ORG_USER_MANAGER in the organisation',
  },
  authentication_methods: {
    what: "the user's authentication methods",
    call: 'GET /v2/users/{userId}/authentication_methods',
    permission: 'user.read',
    roles: 'IAM_USER_MANAGER, or ORG_USER_MANAGER in the organisation',
  },
  login_settings: {
    what: 'the login policy',
    call: 'GET /v2/settings/login',
    permission: 'policy.read',
    roles: 'IAM_OWNER_VIEWER beside IAM_USER_MANAGER, or ORG_USER_MANAGER in the organisation',
  },
};

const fallbackOf = (read: SideRead, missed: Missed): PolicyFallback =>
  missed === 'permission_denied' ? `${read}_permission_denied` : `${read}_unreadable`;

/**
 * Reads the per-user limit (LIMIT_METADATA_KEY) and what makes a session count (COUNT_WHEN=signed-in) with
 * caches that outlive one webhook. The reads asked for run in parallel; a late one still fills its cache for the
 * next webhook. Which reads a decision needs is planPolicyReads' business.
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
  const permissionWarnings = new OncePerInterval(PERMISSION_WARNING_INTERVAL_MS, now);

  return {
    begin({ userId, organizationId, deadline, reads = ALL_POLICY_READS }) {
      // Started now, awaited later: a rejection is handled by `within`, so none is left unhandled.
      const metadataRead =
        key === undefined || !reads.limit
          ? undefined
          : metadata.get(userId, () => api.getUserMetadataValue({ userId, key }, deadline));
      const readSignIn = signedIn && reads.signIn;
      const methodsRead = readSignIn
        ? methods.get(userId, () => api.listAuthenticationMethodTypes({ userId }, deadline))
        : undefined;
      const policyRead = readSignIn
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
          /**
           * Records a missed read and warns: a missing permission once per interval (it holds for every user), a
           * late or failed read for this user.
           */
          const report = (read: SideRead, missed: Missed, effect: string) => {
            const fallback = fallbackOf(read, missed);
            fallbacks.push(fallback);
            const { what, call, permission, roles } = SIDE_READS[read];
            if (missed === 'permission_denied') {
              const { report: due, heldBack } = permissionWarnings.take(fallback);
              if (due)
                logger.warn(
                  `ZITADEL denied ${call} (403): the limiter's credential lacks ${permission}, so ${what} cannot be read; ${effect}. Add ${roles} to its service account`,
                  {
                    fallback,
                    permission,
                    heldBack,
                    repeatsEveryMinutes: PERMISSION_WARNING_INTERVAL_MS / 60_000,
                  },
                );
              return;
            }
            const how =
              missed === 'late' ? 'could not be read in time' : 'could not be read (ZITADEL failed the call)';
            logger.warn(`${what} ${how}; ${effect}`, { userId, fallback });
          };

          const metadataLimit: MetadataLimit =
            metadataResult === undefined
              ? { kind: 'off' }
              : !metadataResult.ok
                ? { kind: 'unreadable' }
                : metadataResult.value === undefined
                  ? { kind: 'absent' }
                  : { kind: 'value', text: metadataResult.value };
          const chosen = chooseLimit({
            metadata: metadataLimit,
            organizationId: orgId,
            orgLimits: settings.orgLimits,
            defaultLimit: settings.concurrentSessions,
          });
          // Said so rather than passed off as the next rule's: the user may well have a limit of their own.
          const limit: LimitChoice =
            key !== undefined && !reads.limit ? { limit: chosen.limit, source: 'not_needed' } : chosen;
          // The user id, never the value: metadata is the user's own data.
          if (limit.metadataProblem === 'invalid') {
            fallbacks.push('limit_metadata_invalid');
            logger.warn(
              'the user\'s limit metadata is neither a whole number of at least 1 nor "unlimited"; the next rule applies',
              { userId, limitSource: limit.source },
            );
          } else if (limit.metadataProblem === 'unreadable' && metadataResult?.ok === false) {
            report('limit_metadata', metadataResult.missed, 'nothing is enforced for them now');
          }

          let signIn: SignInRequirement = ANY_FACTOR;
          if (methodsResult !== undefined && policyResult !== undefined) {
            // What was read is kept: without the login policy the user's own second factor still decides.
            if (methodsResult.ok)
              signIn = signInRequirementFrom(
                methodsResult.value,
                policyResult.ok ? policyResult.value : undefined,
              );
            else
              report('authentication_methods', methodsResult.missed, 'any verified factor counts for them');
            if (!policyResult.ok)
              report(
                'login_settings',
                policyResult.missed,
                methodsResult.ok
                  ? 'whether MFA is forced on users without a second factor is unknown, so for them a first factor counts; users with a second factor set up still count only once they used it'
                  : 'any verified factor counts for them',
              );
          }
          return { limit, signIn, fallbacks };
        },
      };
    },
  };
}
