import { loadLimitSettings } from './environment.js';
import type { LimitSettings } from '../vocabulary.js';
import { enforceUserLimit } from '../enforcement/enforceUserLimit.js';
import type { EnforcementReport } from '../enforcement/outcome.js';
import {
  createUserPolicyReader,
  type PolicyFallback,
  type UserPolicyReader,
} from '../enforcement/userPolicy.js';
import type { ZitadelLimiterApi } from '../zitadel/client.js';
import { deadlineIn } from '../zitadel/deadline.js';
import { expectPositionals, parseCommandArgs } from './args.js';
import { connect } from './connect.js';
import { EXIT } from './errors.js';
import { cliLogger, counted, emitJson, note, say, type CommandContext } from './io.js';
import { requireSubject, resolveNamedUser } from './subject.js';
import { CLI_COMMAND } from './commandName.js';

export const ENFORCE_HELP = `Usage: ${CLI_COMMAND} enforce <userId | loginName> [--dry-run] [--json]

An argument of digits only is a user id; anything else is looked up as a login name (exact match), as
\`sessions\` does. Brings one user back to their limit now, with the webhook's own decision (no session is new,
so under evict-oldest the N most recently signed-in devices stay; under deny-new the first N). The user's limit
comes from their metadata (LIMIT_METADATA_KEY), then ORG_LIMITS, then CONCURRENT_SESSIONS, as for the webhook;
reads LIMIT_STRATEGY, COUNT_BY, EVICTION_ORDER, COUNT_WHEN and DELETE_CONCURRENCY like the service; DRY_RUN=true
in the environment also makes it a dry run.

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

/** The user-policy reader one CLI run shares across users: no hurry, so every read gets the whole budget. */
export function cliPolicyReader(
  context: CommandContext,
  zitadel: ZitadelLimiterApi,
  settings: LimitSettings,
): UserPolicyReader {
  return createUserPolicyReader({ api: zitadel, settings, now: context.io.now, graceMs: USER_BUDGET_MS });
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

export function describeReport(report: EnforcementReport, loginName?: string): string {
  const who = loginName === undefined ? report.userId : `${report.userId} (login name ${loginName})`;
  const unit = report.countBy === 'device' ? 'device' : 'session';
  const limit = report.limit === 'unlimited' ? 'no limit' : `the limit of ${plural(report.limit, unit)}`;
  const lines = [
    `User ${who}: ${plural(report.counted, 'session')} on ${plural(report.devices, 'device')} ${report.counted === 1 ? 'counts' : 'count'} toward ${limit} (${report.strategy}; ${LIMIT_SOURCE[report.limitSource]}).`,
  ];
  if (report.deleted.length === 0 && report.failed.length === 0) lines.push('  Nothing to delete.');
  else
    lines.push(
      `  ${report.dryRun ? 'Would delete' : 'Deleted'} ${report.deleted.length} (${plural(report.removedDevices, 'device')}): ${report.deleted.join(', ') || '-'}`,
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
  if (report.notSignedIn > 0)
    lines.push(
      `  ${plural(report.notSignedIn, 'session')} half-way through sign-in (second factor missing) took no place.`,
    );
  for (const fallback of report.fallbacks) lines.push(`  Warning: ${FALLBACK_TEXT[fallback]}`);
  return lines.join('\n');
}

const LIMIT_SOURCE = {
  metadata: "limit from the user's metadata",
  organization: 'limit from ORG_LIMITS',
  default: 'limit from CONCURRENT_SESSIONS',
  held_back: 'metadata unreadable: nothing enforced',
  not_needed: 'metadata not read: at most one session, within any limit',
} as const;

const FALLBACK_TEXT: Record<PolicyFallback, string> = {
  limit_metadata_invalid: 'the limit metadata is not a whole number or "unlimited"; the next rule applied.',
  limit_metadata_unreadable:
    'the limit metadata could not be read (ZITADEL failed or was late); nothing enforced.',
  limit_metadata_permission_denied:
    'ZITADEL denied the limit metadata (the credential lacks user.read: add IAM_USER_MANAGER or ORG_USER_MANAGER); nothing enforced.',
  authentication_methods_unreadable:
    "the user's authentication methods could not be read (ZITADEL failed or was late); any verified factor counted.",
  authentication_methods_permission_denied:
    "ZITADEL denied the user's authentication methods (the credential lacks user.read: add IAM_USER_MANAGER or ORG_USER_MANAGER); any verified factor counted.",
  login_settings_unreadable:
    'the login policy could not be read (ZITADEL failed or was late); forced MFA for users without a second factor was unknown (a first factor counted for them).',
  login_settings_permission_denied:
    'ZITADEL denied the login policy (the credential lacks policy.read: add IAM_OWNER_VIEWER, or use ORG_USER_MANAGER); forced MFA for users without a second factor was unknown (a first factor counted for them).',
};

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
    policies: cliPolicyReader(context, zitadel, settings),
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
