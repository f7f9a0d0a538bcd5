import { loadLimitSettings, type LimitSettings } from '../config.js';
import { enforceUserLimit } from '../enforcement/enforceUserLimit.js';
import type { EnforcementReport } from '../enforcement/outcome.js';
import { deadlineIn } from '../zitadel/deadline.js';
import { expectPositionals, parseCommandArgs } from './args.js';
import { connect } from './connect.js';
import { EXIT } from './errors.js';
import { cliLogger, emitJson, note, say, type CommandContext } from './io.js';

export const ENFORCE_HELP = `Usage: zitadel-session-limiter enforce <userId> [--dry-run] [--json]

Brings one user back to the limit now, with the webhook's own decision (no session is new, so under
evict-oldest the newest N stay; under deny-new the oldest N). Reads CONCURRENT_SESSIONS, LIMIT_STRATEGY and
DELETE_CONCURRENCY like the service; DRY_RUN=true in the environment also makes it a dry run.

Options:
  --dry-run   show what would be deleted, delete nothing
  --json      print one JSON document
`;

// One user's listing and deletions, retries included; far more than a webhook may take, since nobody waits at a login.
export const USER_BUDGET_MS = 120_000;

/** The settings one CLI run decides with: the environment's, made a dry run by `--dry-run`. */
export function cliSettings(context: CommandContext, dryRunFlag: boolean): LimitSettings {
  const settings = loadLimitSettings(context.io.env);
  if (settings.dryRun && !dryRunFlag)
    note(context, 'note: DRY_RUN=true in the environment: nothing will be deleted.');
  return { ...settings, dryRun: settings.dryRun || dryRunFlag };
}

export function describeReport(report: EnforcementReport): string {
  const lines = [
    `User ${report.userId}: ${report.counted} session${report.counted === 1 ? '' : 's'} count toward the limit of ${report.limit} (${report.strategy}).`,
  ];
  if (report.deleted.length === 0 && report.failed.length === 0) lines.push('  Nothing to delete.');
  else
    lines.push(
      `  ${report.dryRun ? 'Would delete' : 'Deleted'} ${report.deleted.length}: ${report.deleted.join(', ') || '-'}`,
    );
  if (report.kept.length > 0) lines.push(`  Kept ${report.kept.length}: ${report.kept.join(', ')}`);
  if (report.failed.length > 0)
    lines.push(`  Not deleted (ZITADEL did not confirm in time): ${report.failed.join(', ')}`);
  if (report.foreignRows > 0)
    lines.push(
      `  The search also returned ${report.foreignRows} session(s) of other users; they were left alone.`,
    );
  if (report.remaining > 0)
    lines.push(`  ${report.remaining} more session(s) were not reached in one pass; run enforce again.`);
  return lines.join('\n');
}

/** `enforce`: the same use case as the webhook, for one user, without a trigger. */
export async function runEnforce(context: CommandContext, args: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('enforce', args, { 'dry-run': { type: 'boolean' } });
  const [userId = ''] = expectPositionals('enforce', positionals, ['userId']);
  const settings = cliSettings(context, values['dry-run'] === true);
  const { zitadel } = connect(context.io.env);
  const report = await enforceUserLimit({
    userId,
    trigger: undefined,
    settings,
    zitadel,
    deadline: deadlineIn(USER_BUDGET_MS, context.io.now()),
    nowMs: context.io.now(),
    logger: cliLogger(context),
  });
  if (context.json) emitJson(context, { ok: report.failed.length === 0, command: 'enforce', ...report });
  else say(context, describeReport(report));
  if (report.failed.length === 0) return EXIT.ok;
  note(context, `error: ${report.failed.length} deletion(s) did not go through; run enforce again.`);
  return EXIT.zitadel;
}
