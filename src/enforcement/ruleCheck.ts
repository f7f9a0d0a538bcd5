import type { Config } from '../vocabulary.js';
import type { Deadline } from '../zitadel/deadline.js';
import { isPermissionDenied } from '../zitadel/failureKind.js';
import type { ZitadelUserApi } from '../zitadel/userApi.js';

/** Where each configured rule stands, as a start-up check could prove it: one line per rule in each list. */
export interface RuleReport {
  readonly inForce: readonly string[];
  readonly degraded: readonly string[];
  readonly unchecked: readonly string[];
}

export type RuleSettings = Pick<
  Config,
  'concurrentSessions' | 'limitStrategy' | 'countWhen' | 'limitMetadataKey'
>;

/** What one probing read came to: allowed, refused for a missing permission (403), or unknown (it failed). */
export type ProbeResult = 'allowed' | 'denied' | 'unknown';

// Not a ZITADEL id (those are decimal numbers): no user has it, so the read returns nothing of anybody's.
const PROBE_USER_ID = 'zitadel-session-limiter-rule-check';

async function probe(read: () => Promise<unknown>): Promise<ProbeResult> {
  try {
    await read();
    return 'allowed';
  } catch (error) {
    return isPermissionDenied(error) ? 'denied' : 'unknown';
  }
}

/**
 * Sorts the configured rules by what the probes proved. The limit itself needs session.read and session.delete,
 * which no call proves without touching somebody's sessions (ZITADEL hides unreadable sessions instead of
 * refusing): it is "unchecked" here and `doctor` proves it. A rule is "in force" only when its reads were allowed.
 */
export function describeRules(
  settings: RuleSettings,
  probes: { readonly userRead: ProbeResult; readonly policyRead: ProbeResult },
): RuleReport {
  const inForce: string[] = [];
  const degraded: string[] = [];
  const unchecked: string[] = [
    `CONCURRENT_SESSIONS=${settings.concurrentSessions} ${settings.limitStrategy} (session.read and session.delete: run doctor)`,
  ];
  if (settings.countWhen === 'any-factor') inForce.push('COUNT_WHEN=any-factor');
  else if (probes.userRead === 'denied')
    degraded.push('COUNT_WHEN=signed-in (no user.read: any verified factor counts)');
  else if (probes.policyRead === 'denied')
    degraded.push(
      'COUNT_WHEN=signed-in (no policy.read: forced MFA for users without a second factor is unknown)',
    );
  else if (probes.userRead === 'unknown' || probes.policyRead === 'unknown')
    unchecked.push('COUNT_WHEN=signed-in (the authentication methods or login policy read failed)');
  else inForce.push('COUNT_WHEN=signed-in');
  if (settings.limitMetadataKey !== undefined) {
    const rule = `LIMIT_METADATA_KEY=${settings.limitMetadataKey}`;
    if (probes.userRead === 'denied') degraded.push(`${rule} (no user.read: limits are held back)`);
    else if (probes.userRead === 'unknown') unchecked.push(`${rule} (the user.read check failed)`);
    else inForce.push(rule);
  }
  return { inForce, degraded, unchecked };
}

/**
 * Probes the permissions behind COUNT_WHEN=signed-in and LIMIT_METADATA_KEY with the limiter's own reads:
 * ZITADEL checks user.read before it reads a user's authentication methods (query ListUserAuthMethodTypes) and
 * policy.read before the login settings, so a user id nobody has is enough. Never throws.
 */
export async function checkRules(
  api: ZitadelUserApi,
  settings: RuleSettings,
  deadline: Deadline,
): Promise<RuleReport> {
  const needsUserRead = settings.countWhen === 'signed-in' || settings.limitMetadataKey !== undefined;
  const [userRead, policyRead] = await Promise.all([
    needsUserRead
      ? probe(() => api.listAuthenticationMethodTypes({ userId: PROBE_USER_ID }, deadline))
      : Promise.resolve<ProbeResult>('allowed'),
    settings.countWhen === 'signed-in'
      ? probe(() => api.getLoginPolicy({ organizationId: '' }, deadline))
      : Promise.resolve<ProbeResult>('allowed'),
  ]);
  return describeRules(settings, { userRead, policyRead });
}
