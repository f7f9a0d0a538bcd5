import { loadLimitSettings } from './environment.js';
import { createUserPolicyReader } from '../enforcement/userPolicy.js';
import { deviceKeyOf } from '../policy/devices.js';
import { selectSessionsToEvict, type ExclusionReason } from '../policy/selectSessionsToEvict.js';
import { limitAsNumber } from '../policy/sessionLimit.js';
import { toSessionRecord } from '../enforcement/toSessionRecord.js';
import { verifiedFactorsOf } from '../zitadel/sessionSchema.js';
import { deadlineIn } from '../zitadel/deadline.js';
import { expectPositionals, parseCommandArgs } from './args.js';
import { connect } from './connect.js';
import { cliLogger, emitJson, formatTime, say, table, truncate, type CommandContext } from './io.js';
import { requireSubject, resolveNamedUser } from './subject.js';
import { CLI_COMMAND } from './commandName.js';

export const SESSIONS_HELP = `Usage: ${CLI_COMMAND} sessions <userId | loginName> [--json]

Lists a user's sessions as ZITADEL's search returns them: device, created, last signed in, expires, verified
factors, user agent, and whether each counts toward the limit (and why not), by the same rules the webhook uses;
then the user's devices (sessions with one browser fingerprint), most recently signed in first. Sessions that
\`enforce\` would delete are marked. An argument of digits only is a user id; anything else is looked up as a
login name (exact match; a login name no user has exits with 2). Reads the limit variables like the service
(CONCURRENT_SESSIONS, LIMIT_STRATEGY, COUNT_BY, EVICTION_ORDER, COUNT_WHEN, LIMIT_METADATA_KEY, ORG_LIMITS).
`;

const LIST_BUDGET_MS = 60_000;

const REASON_TEXT: Record<ExclusionReason, string> = {
  other_user: 'no: another user',
  expired: 'no: expired',
  not_authenticated: 'no: not authenticated (username only)',
  not_signed_in: 'no: sign-in not finished (second factor missing)',
  no_creation_date: 'no: no creation date',
};

/** `sessions`: who holds what, and what counts. Read-only. */
export async function runSessions(context: CommandContext, args: readonly string[]): Promise<number> {
  const { positionals } = parseCommandArgs('sessions', args, {});
  const [subject = ''] = expectPositionals('sessions', positionals, ['userId | loginName']);
  requireSubject('sessions', subject);
  const settings = loadLimitSettings(context.io.env);
  const { zitadel } = connect(context.io.env);
  const deadline = deadlineIn(LIST_BUDGET_MS, context.io.now());
  const { userId, loginName } = await resolveNamedUser('sessions', subject, zitadel, deadline);
  const { sessions: rows } = await zitadel.listUserSessions({ userId }, deadline);
  const nowMs = context.io.now();
  const records = rows.map(toSessionRecord);
  // The user's own limit and sign-in requirement, read as the webhook reads them (no hurry here).
  const organizationId = records.find(
    (r) => r.userId === userId && r.organizationId !== undefined,
  )?.organizationId;
  const policy = await createUserPolicyReader({
    api: zitadel,
    settings,
    now: context.io.now,
    graceMs: LIST_BUDGET_MS,
  })
    .begin({ userId, organizationId, deadline })
    .settle({ organizationId, logger: cliLogger(context) });
  // The decision itself, as a sweep would run it: its exclusions are the "why not", its removals the "over".
  const decision = selectSessionsToEvict({
    userId,
    listed: records,
    trigger: undefined,
    limit: limitAsNumber(policy.limit.limit),
    strategy: settings.limitStrategy,
    nowMs,
    countBy: settings.countBy,
    order: settings.evictionOrder,
    signIn: policy.signIn,
    placeTtlMs: settings.denyNewPlaceTtlMs,
  });
  const reasons = new Map(decision.excluded.map((row) => [row.id, row.reason]));
  const removed = new Set(decision.remove);
  // Devices are numbered 1, 2, … most recently signed in first; the fingerprint itself is a browser's cookie value.
  const deviceNumbers = new Map<string, number>();
  const byRecency = records
    .map((record) => ({ record, at: record.signedInAtMs ?? record.createdAtMs ?? 0 }))
    .sort((a, b) => b.at - a.at);
  for (const { record } of byRecency) {
    const key = deviceKeyOf(record, settings.countBy);
    if (!deviceNumbers.has(key)) deviceNumbers.set(key, deviceNumbers.size + 1);
  }
  const deviceOf = (record: (typeof records)[number]) =>
    deviceNumbers.get(deviceKeyOf(record, settings.countBy)) ?? 0;

  const sessions = rows.map((row, index) => {
    const record = records[index];
    const reason = reasons.get(row.id);
    return {
      id: row.id,
      userId: record?.userId,
      device: record === undefined ? 0 : deviceOf(record),
      createdAt: row.creationDate,
      signedInAt:
        record?.signedInAtMs === undefined ? undefined : new Date(record.signedInAtMs).toISOString(),
      expiresAt: row.expirationDate,
      factors: verifiedFactorsOf(row),
      userAgent: { description: row.userAgent?.description, ip: row.userAgent?.ip },
      counts: reason === undefined,
      reason,
      overLimit: removed.has(row.id),
      createdAtMs: record?.createdAtMs,
      signedInAtMs: record?.signedInAtMs,
      expiresAtMs: record?.expiresAtMs,
    };
  });

  // One line per device: what the browser said it is, its sessions, its last sign-in, and whether it stays.
  const membersOf = new Map<number, (typeof sessions)[number][]>();
  for (const session of sessions) {
    const members = membersOf.get(session.device);
    if (members === undefined) membersOf.set(session.device, [session]);
    else members.push(session);
  }
  const descriptionOf = new Map(rows.map((row) => [row.id, row.userAgent?.description]));
  const devices = [...deviceNumbers.entries()].map(([key, number]) => {
    const members = membersOf.get(number) ?? [];
    const counting = members.filter((session) => session.counts);
    return {
      device: number,
      fingerprinted: key.startsWith('fingerprint:'),
      description: descriptionOf.get(members[0]?.id ?? ''),
      sessions: members.map((session) => session.id),
      countingSessions: counting.length,
      lastSignedInMs: Math.max(...members.map((session) => session.signedInAtMs ?? session.createdAtMs ?? 0)),
      overLimit: counting.length > 0 && counting.every((session) => session.overLimit),
    };
  });

  if (context.json) {
    emitJson(context, {
      ok: true,
      command: 'sessions',
      userId,
      ...(loginName === undefined ? {} : { loginName }),
      limit: policy.limit.limit,
      limitSource: policy.limit.source,
      strategy: settings.limitStrategy,
      countBy: settings.countBy,
      counted: decision.counted,
      devicesCounted: decision.devices,
      overLimit: decision.remove.length,
      devicesOverLimit: decision.removedDevices,
      sessions: sessions.map(
        ({ createdAtMs: _created, signedInAtMs: _signedIn, expiresAtMs: _expires, ...session }) => session,
      ),
      devices: devices.map(({ lastSignedInMs, ...device }) => ({
        ...device,
        lastSignedInAt: new Date(lastSignedInMs).toISOString(),
      })),
    });
    return 0;
  }

  const who = loginName === undefined ? `User ${userId}` : `User ${userId} (login name ${loginName})`;
  if (sessions.length === 0) {
    say(context, `${who}: no sessions.`);
    return 0;
  }
  say(
    context,
    table(
      ['session', 'device', 'created', 'signed in', 'expires', 'factors', 'user agent', 'counts'],
      sessions.map((session) => [
        session.id,
        String(session.device),
        formatTime(session.createdAtMs),
        formatTime(session.signedInAtMs),
        formatTime(session.expiresAtMs),
        session.factors.length === 0 ? 'user only' : session.factors.join(','),
        truncate(
          [session.userAgent.description, session.userAgent.ip]
            .filter((part) => part !== undefined && part !== '')
            .join(' @ ') || '-',
          40,
        ),
        session.reason !== undefined
          ? session.reason === 'other_user'
            ? `${REASON_TEXT.other_user} (${session.userId ?? 'none'})`
            : REASON_TEXT[session.reason]
          : session.overLimit
            ? 'yes, over the limit'
            : 'yes',
      ]),
    ),
  );
  say(context);
  say(
    context,
    table(
      ['device', 'browser / os', 'sessions', 'last signed in', 'status'],
      devices.map((device) => [
        String(device.device),
        truncate(device.description ?? (device.fingerprinted ? '-' : '- (no fingerprint)'), 40),
        String(device.sessions.length),
        formatTime(device.lastSignedInMs),
        device.countingSessions === 0 ? 'does not count' : device.overLimit ? 'over the limit' : 'counts',
      ]),
    ),
  );
  say(context);
  const over = decision.remove.length;
  const unit = settings.countBy === 'device' ? 'device' : 'session';
  const limitText =
    policy.limit.limit === 'unlimited'
      ? 'no limit'
      : `the limit of ${policy.limit.limit} ${unit}${policy.limit.limit === 1 ? '' : 's'}`;
  say(
    context,
    `${who}: ${decision.counted} of ${sessions.length} sessions count, on ${decision.devices} device${decision.devices === 1 ? '' : 's'}, toward ${limitText} (${settings.limitStrategy}; limit from ${LIMIT_SOURCE_TEXT[policy.limit.source]}).` +
      (over > 0
        ? ` \`enforce ${userId}\` would delete ${over} session${over === 1 ? '' : 's'} on ${decision.removedDevices} device${decision.removedDevices === 1 ? '' : 's'}.`
        : ''),
  );
  return 0;
}

const LIMIT_SOURCE_TEXT = {
  metadata: "the user's metadata",
  organization: 'ORG_LIMITS',
  default: 'CONCURRENT_SESSIONS',
  held_back: 'nowhere: the metadata could not be read',
  not_needed: 'CONCURRENT_SESSIONS or ORG_LIMITS (the metadata was not read)',
} as const;
