import { loadLimitSettings } from '../config.js';
import { selectSessionsToEvict, type ExclusionReason } from '../policy/selectSessionsToEvict.js';
import { toSessionRecord } from '../policy/sessionRecord.js';
import { verifiedFactorsOf } from '../zitadel/sessionSchema.js';
import { deadlineIn } from '../zitadel/deadline.js';
import { expectPositionals, parseCommandArgs } from './args.js';
import { connect } from './connect.js';
import { counted, emitJson, formatTime, say, table, truncate, type CommandContext } from './io.js';
import { requireSubject, resolveNamedUser } from './subject.js';

export const SESSIONS_HELP = `Usage: zitadel-session-limiter sessions <userId | loginName> [--json]

Lists a user's sessions as ZITADEL's search returns them: created, expires, verified factors, user agent, and
whether each counts toward the limit (and why not), by the same rules the webhook uses. Sessions that
\`enforce\` would delete are marked. An argument of digits only is a user id; anything else is looked up as a
login name (exact match; a login name no user has exits with 2). Reads CONCURRENT_SESSIONS and LIMIT_STRATEGY like the service.
`;

const LIST_BUDGET_MS = 60_000;

const REASON_TEXT: Record<ExclusionReason, string> = {
  other_user: 'no: another user',
  expired: 'no: expired',
  not_authenticated: 'no: not authenticated (username only)',
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
  // The decision itself, as a sweep would run it: its exclusions are the "why not", its removals the "over".
  const decision = selectSessionsToEvict({
    userId,
    listed: records,
    trigger: undefined,
    limit: settings.concurrentSessions,
    strategy: settings.limitStrategy,
    nowMs,
  });
  const reasons = new Map(decision.excluded.map((row) => [row.id, row.reason]));
  const removed = new Set(decision.remove);

  const sessions = rows.map((row, index) => {
    const record = records[index];
    const reason = reasons.get(row.id);
    return {
      id: row.id,
      userId: record?.userId,
      createdAt: row.creationDate,
      expiresAt: row.expirationDate,
      factors: verifiedFactorsOf(row),
      userAgent: { description: row.userAgent?.description, ip: row.userAgent?.ip },
      counts: reason === undefined,
      reason,
      overLimit: removed.has(row.id),
      createdAtMs: record?.createdAtMs,
      expiresAtMs: record?.expiresAtMs,
    };
  });

  if (context.json) {
    emitJson(context, {
      ok: true,
      command: 'sessions',
      userId,
      ...(loginName === undefined ? {} : { loginName }),
      limit: settings.concurrentSessions,
      strategy: settings.limitStrategy,
      counted: decision.counted,
      overLimit: decision.remove.length,
      sessions: sessions.map(({ createdAtMs: _created, expiresAtMs: _expires, ...session }) => session),
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
      ['session', 'created', 'expires', 'factors', 'user agent', 'counts'],
      sessions.map((session) => [
        session.id,
        formatTime(session.createdAtMs),
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
  const over = decision.remove.length;
  say(
    context,
    `${who}: ${decision.counted} of ${counted(sessions.length, 'session')} count toward the limit of ${settings.concurrentSessions} (${settings.limitStrategy}).` +
      (over > 0 ? ` \`enforce ${userId}\` would delete ${over}.` : ''),
  );
  return 0;
}
