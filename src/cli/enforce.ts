import { loadLimitSettings, type LimitSettings } from '../config.js';
import { enforceUserLimit } from '../enforcement/enforceUserLimit.js';
import type { EnforcementReport } from '../enforcement/outcome.js';
import { deadlineIn } from '../zitadel/deadline.js';
import { expectPositionals, parseCommandArgs } from './args.js';
import { connect } from './connect.js';
import { EXIT } from './errors.js';
import { cliLogger, counted, emitJson, note, say, type CommandContext } from './io.js';
import { requireSubject, resolveNamedUser } from './subject.js';

export const ENFORCE_HELP = `Usage: zitadel-session-limiter enforce <userId | loginName> [--dry-run] [--json]

An argument of digits only is a user id; anything else is looked up as a login name (exact match), as
\`sessions\` does. Brings one user back to the limit now, with the webhook's own decision (no session is new, so under
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

export function describeReport(report: EnforcementReport, loginName?: string): string {
  const who = loginName === undefined ? report.userId : `${report.userId} (login name ${loginName})`;
  const lines = [
    `User ${who}: ${counted(report.counted, 'session')} ${report.counted === 1 ? 'counts' : 'count'} toward the limit of ${report.limit} (${report.strategy}).`,
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
      `  The search also returned ${counted(report.foreignRows, 'session')} of other users; they were left alone.`,
    );
  if (report.remaining > 0)
    lines.push(`  ${report.remaining} more session(s) were not reached in one pass; run enforce again.`);
  return lines.join('\n');
}

/** `enforce`: the same use case as the webhook, for one user, without a trigger. */
export async function runEnforce(context: CommandContext, args: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('enforce', args, { 'dry-run': { type: 'boolean' } });
  const [subject = ''] = expectPositionals('enforce', positionals, ['userId | loginName']);
  requireSubject('enforce', subject);
  const settings = cliSettings(context, values['dry-run'] === true);
  const { zitadel } = connect(context.io.env);
  const deadline = deadlineIn(USER_BUDGET_MS, context.io.now());
  const { userId, loginName } = await resolveNamedUser('enforce', subject, zitadel, deadline);
  const report = await enforceUserLimit({
    userId,
    trigger: undefined,
    settings,
    zitadel,
    deadline,
    nowMs: context.io.now(),
    logger: cliLogger(context),
  });
  if (context.json)
    emitJson(context, {
      ok: report.failed.length === 0,
      command: 'enforce',
      ...report,
      ...(loginName === undefined ? {} : { loginName }),
    });
  else say(context, describeReport(report, loginName));
  if (report.failed.length === 0) return EXIT.ok;
  note(context, `error: ${counted(report.failed.length, 'deletion')} did not go through; run enforce again.`);
  return EXIT.zitadel;
}
