import type { Config } from '../config.js';
import type { Logger } from '../logging/logger.js';
import { selectSessionsToEvict, type IncomingSession } from '../policy/selectSessionsToEvict.js';
import { toSessionRecord, type SessionRecord } from '../policy/sessionRecord.js';
import { mapWithConcurrency } from '../util/mapWithConcurrency.js';
import type { ZitadelSessionApi } from '../zitadel/client.js';
import type { Deadline } from '../zitadel/deadline.js';
import type { EnforcementReport } from './outcome.js';
import type { RecentSessions } from './recentSessions.js';

export type EnforcementSettings = Pick<
  Config,
  'concurrentSessions' | 'limitStrategy' | 'dryRun' | 'deleteConcurrency'
>;

export interface EnforceUserLimitInput {
  readonly userId: string;
  readonly trigger: SessionRecord | IncomingSession | undefined;
  readonly settings: EnforcementSettings;
  readonly zitadel: ZitadelSessionApi;
  readonly deadline: Deadline;
  readonly nowMs: number;
  readonly logger: Logger;
  /** What this process deleted and admitted lately, which the lagging search does not show yet. */
  readonly recentSessions?: RecentSessions;
}

/**
 * Brings one user back to the limit: one search (all pages), the pure decision, then the deletions in parallel.
 * Shared by the webhook and the operator's CLI, so both always decide alike.
 */
export async function enforceUserLimit(input: EnforceUserLimitInput): Promise<EnforcementReport> {
  const { userId, trigger, settings, zitadel, deadline, logger, recentSessions, nowMs } = input;
  const listed = (await zitadel.listUserSessions({ userId }, deadline))
    .map(toSessionRecord)
    .filter((session) => recentSessions?.wasDeleted(session.id, nowMs) !== true);
  const listedIds = new Set(listed.map((session) => session.id));
  for (const admitted of recentSessions?.admittedFor(userId, nowMs) ?? []) {
    if (!listedIds.has(admitted.id)) listed.push(admitted);
  }
  const decision = selectSessionsToEvict({
    userId,
    listed,
    trigger,
    limit: settings.concurrentSessions,
    strategy: settings.limitStrategy,
    nowMs,
  });

  const foreignRows = decision.excluded.filter((row) => row.reason === 'other_user').length;
  if (foreignRows > 0) {
    logger.warn('session search returned sessions of other users; they were left alone', {
      userId,
      foreignRows,
    });
  }

  const toDelete = settings.dryRun ? [] : decision.remove;
  const results = await mapWithConcurrency(toDelete, settings.deleteConcurrency, async (sessionId) => {
    const result = await zitadel.deleteSession({ sessionId }, deadline);
    recentSessions?.markDeleted(sessionId, nowMs);
    return result;
  });
  if (
    !settings.dryRun &&
    trigger !== undefined &&
    !('incoming' in trigger) &&
    decision.keep.includes(trigger.id)
  ) {
    recentSessions?.markAdmitted(userId, trigger, nowMs);
  }
  const failed = toDelete.filter((_, index) => results[index]?.status === 'rejected');
  const deleted = settings.dryRun
    ? decision.remove
    : toDelete.filter((_, index) => results[index]?.status === 'fulfilled');

  return {
    outcome:
      decision.outcome === 'deny' ? 'denied' : decision.outcome === 'evict' ? 'enforced' : 'within_limit',
    userId,
    sessionId: trigger?.id,
    limit: settings.concurrentSessions,
    strategy: settings.limitStrategy,
    dryRun: settings.dryRun,
    counted: decision.counted,
    kept: decision.keep,
    deleted,
    failed,
    foreignRows,
  };
}
