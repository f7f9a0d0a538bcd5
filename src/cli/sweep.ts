import type { LimitSettings } from '../vocabulary.js';
import { enforceUserLimit } from '../enforcement/enforceUserLimit.js';
import type { EnforcementReport } from '../enforcement/outcome.js';
import { deviceKeyOf } from '../policy/devices.js';
import { exclusionReason } from '../policy/selectSessionsToEvict.js';
import { toSessionRecord } from '../enforcement/toSessionRecord.js';
import { mapWithConcurrency } from '../util/mapWithConcurrency.js';
import { SESSION_PAGE_SIZE } from '../zitadel/client.js';
import { deadlineIn } from '../zitadel/deadline.js';
import { ZitadelError } from '../zitadel/errors.js';
import { visitPages } from '../zitadel/transport.js';
import { expectPositionals, parseCommandArgs, parseIntegerOption } from './args.js';
import { connect } from './connect.js';
import { USER_BUDGET_MS, cliPolicyReader, cliSettings, describeReport } from './enforce.js';
import { EXIT } from './errors.js';
import { cliLogger, counted, emitJson, note, progress, say, type CommandContext } from './io.js';
import { CLI_COMMAND } from './commandName.js';

export const SWEEP_HELP = `Usage: ${CLI_COMMAND} sweep [--org <id>] [--dry-run] [--concurrency <k>] [--json]

Brings every user of the instance (or of one organisation) back to their limit: lists all sessions page by page,
counts each user's devices by the webhook's rules, then runs \`enforce\` for every user who may be over their
limit (with LIMIT_METADATA_KEY set: everyone with two devices or more, since only their metadata tells), k users
at a time. Running it again changes nothing. Reads the limit variables (CONCURRENT_SESSIONS, LIMIT_STRATEGY,
COUNT_BY, EVICTION_ORDER, COUNT_WHEN, LIMIT_METADATA_KEY, ORG_LIMITS) and DELETE_CONCURRENCY like the service. Needs session.read and session.delete for the whole instance (or the organisation).

Options:
  --org <id>          only users of this organisation (the session's factors.user.organizationId)
  --dry-run           show what would be deleted, delete nothing
  --concurrency <k>   users enforced at once, 1 to 32 (default: 4); each deletes up to DELETE_CONCURRENCY at once
  --json              print one JSON document
`;

const DEFAULT_CONCURRENCY = 4;
// Each page gets its own budget: a sweep of a big instance takes as long as it takes, one page must not.
const PAGE_BUDGET_MS = 60_000;
// A runaway listing must end; ten million rows is far beyond any instance this tool is meant for.
const MAX_PAGES = 10_000;
// Human output lists this many users; --json lists all.
const USERS_SHOWN = 20;

interface Census {
  readonly listed: number;
  readonly withoutUser: number;
  readonly otherOrganisations: number;
  /** The devices of each user's counted sessions, by the decision's own exclusion and device rules. */
  readonly counted: Map<string, Set<string>>;
}

/** Pages through every session of the instance once, keeping only a count per user (not the rows). */
async function census(
  context: CommandContext,
  zitadel: ReturnType<typeof connect>['zitadel'],
  org: string | undefined,
  countBy: LimitSettings['countBy'],
): Promise<Census> {
  const counted = new Map<string, Set<string>>();
  let listed = 0;
  let withoutUser = 0;
  let otherOrganisations = 0;
  const indicator = progress(context);
  const read = await visitPages(
    async (offset) => {
      const page = await zitadel.listSessionsPage(
        { offset, limit: SESSION_PAGE_SIZE },
        deadlineIn(PAGE_BUDGET_MS, context.io.now()),
      );
      return { items: page.sessions, total: page.total };
    },
    SESSION_PAGE_SIZE,
    MAX_PAGES,
    (rows, total) => {
      const nowMs = context.io.now();
      for (const row of rows) {
        listed += 1;
        const userId = row.factors?.user?.id;
        if (userId === undefined) {
          withoutUser += 1;
          continue;
        }
        if (org !== undefined && row.factors?.user?.organizationId !== org) {
          otherOrganisations += 1;
          continue;
        }
        // The decision's own rule for "does this session count" (any factor: whether a session is fully signed in
        // depends on the user's factors, which \`enforce\` reads for the users this census picks).
        const record = toSessionRecord(row);
        const devices = counted.get(userId) ?? new Set<string>();
        if (exclusionReason(record, { userId, nowMs }) === undefined)
          devices.add(deviceKeyOf(record, countBy));
        counted.set(userId, devices);
      }
      indicator.update(`listing sessions: ${listed}${total === undefined ? '' : ` of ${total}`}`);
    },
  );
  if (!read.complete)
    note(context, `warning: stopped listing after ${MAX_PAGES} pages; run sweep again to continue.`);
  indicator.done();
  return { listed, withoutUser, otherOrganisations, counted };
}

/** `sweep`: every user over the limit, back to it. Idempotent. */
export async function runSweep(context: CommandContext, args: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('sweep', args, {
    org: { type: 'string' },
    'dry-run': { type: 'boolean' },
    concurrency: { type: 'string' },
  });
  expectPositionals('sweep', positionals, []);
  const concurrency = parseIntegerOption(
    'sweep',
    'concurrency',
    values.concurrency,
    DEFAULT_CONCURRENCY,
    1,
    32,
  );
  const org = values.org?.trim() || undefined;
  const settings = cliSettings(context, values['dry-run'] === true);
  const { zitadel } = connect(context.io.env);
  const logger = cliLogger(context);

  const found = await census(context, zitadel, org, settings.countBy);
  // A user's own limit is only known once their metadata is read, so the census picks everyone who could be over
  // the smallest limit that may apply to them; \`enforce\` then decides with the real one (and changes nothing
  // for a user within it).
  const lowestOrgLimit = Math.min(
    ...[...settings.orgLimits.values()].map((limit) => (limit === 'unlimited' ? Infinity : limit)),
  );
  const candidateAbove =
    settings.limitMetadataKey !== undefined ? 1 : Math.min(settings.concurrentSessions, lowestOrgLimit);
  const overLimit = [...found.counted]
    .filter(([, devices]) => devices.size > candidateAbove)
    .map(([userId]) => userId);
  const policies = cliPolicyReader(context, zitadel, settings);
  overLimit.sort();

  const indicator = progress(context);
  let finished = 0;
  const results = await mapWithConcurrency(overLimit, concurrency, async (userId) => {
    try {
      // Fresh listing per user: the decision sees the user's sessions as they are now, not as they were paged.
      return await enforceUserLimit({
        userId,
        trigger: undefined,
        settings,
        zitadel,
        policies,
        deadline: deadlineIn(USER_BUDGET_MS, context.io.now()),
        nowMs: context.io.now(),
        logger,
      });
    } finally {
      finished += 1;
      indicator.update(`enforcing: ${finished} of ${overLimit.length} users`);
    }
  });
  indicator.done();

  const reports: EnforcementReport[] = [];
  const failedUsers: { userId: string; reason: string }[] = [];
  results.forEach((result, index) => {
    const userId = overLimit[index] ?? '';
    if (result.status === 'fulfilled') {
      reports.push(result.value);
      if (result.value.failed.length > 0)
        failedUsers.push({
          userId,
          reason: `${counted(result.value.failed.length, 'deletion')} not confirmed`,
        });
    } else if (result.status === 'rejected') {
      const error: unknown = result.reason;
      failedUsers.push({
        userId,
        reason: error instanceof ZitadelError ? error.message : 'unexpected error',
      });
    }
  });
  const deleted = reports.reduce((sum, report) => sum + report.deleted.length, 0);
  const devicesRemoved = reports.reduce((sum, report) => sum + report.removedDevices, 0);
  // Users the census picked whom \`enforce\` found within their own limit were never over it.
  const usersOverLimit =
    overLimit.length - reports.filter((report) => report.outcome === 'within_limit').length;
  const perUserLimits = settings.limitMetadataKey !== undefined || settings.orgLimits.size > 0;
  const summary = {
    limit: settings.concurrentSessions,
    strategy: settings.limitStrategy,
    dryRun: settings.dryRun,
    organisation: org,
    sessionsListed: found.listed,
    sessionsWithoutUser: found.withoutUser,
    sessionsOfOtherOrganisations: org === undefined ? undefined : found.otherOrganisations,
    usersSeen: found.counted.size,
    usersChecked: overLimit.length,
    usersOverLimit,
    countBy: settings.countBy,
    sessionsDeleted: deleted,
    devicesRemoved,
    usersFailed: failedUsers.length,
  };

  if (context.json) {
    emitJson(context, {
      ok: failedUsers.length === 0,
      command: 'sweep',
      ...summary,
      users: reports,
      failures: failedUsers,
    });
  } else {
    for (const report of reports.slice(0, USERS_SHOWN)) say(context, describeReport(report));
    if (reports.length > USERS_SHOWN)
      say(context, `… and ${counted(reports.length - USERS_SHOWN, 'more user')} (use --json for all).`);
    if (reports.length > 0) say(context);
    say(
      context,
      `Sweep${settings.dryRun ? ' (dry run)' : ''}: ${counted(found.listed, 'session')} listed, ${counted(found.counted.size, 'user')}` +
        `${org === undefined ? '' : ` in organisation ${org}`}, ${usersOverLimit} over ${perUserLimits ? 'their own limit' : `the limit of ${settings.concurrentSessions}`} (${settings.limitStrategy}); ` +
        `${deleted} session${deleted === 1 ? '' : 's'} ${settings.dryRun ? 'would be ' : ''}deleted` +
        (settings.countBy === 'device' && deleted > 0
          ? ` on ${devicesRemoved} device${devicesRemoved === 1 ? '' : 's'}.`
          : '.'),
    );
  }
  if (failedUsers.length === 0) return EXIT.ok;
  for (const failure of failedUsers) note(context, `error: user ${failure.userId}: ${failure.reason}`);
  note(
    context,
    `error: ${counted(failedUsers.length, 'user')} could not be brought to the limit; run sweep again.`,
  );
  return EXIT.zitadel;
}
