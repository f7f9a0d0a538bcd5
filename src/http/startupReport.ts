import type { Config } from '../vocabulary.js';
import type { RuleReport } from '../enforcement/ruleCheck.js';
import type { LogFields } from '../logging/logger.js';
import type { Readiness } from './readiness.js';

export interface StartupLine {
  readonly level: 'info' | 'warn';
  readonly msg: string;
  readonly fields: LogFields;
}

/**
 * The one line that says what this limiter will do: whether ZITADEL answers (the readiness check), and which rules
 * are in force, degraded (a permission is missing: the README's Credentials say which role to add) or unchecked
 * (the check that proves them could not run). Never rejects; it never holds up start-up.
 */
export async function startupLine(
  config: Pick<
    Config,
    'instanceUrl' | 'credential' | 'concurrentSessions' | 'limitStrategy' | 'dryRun' | 'devices'
  >,
  readiness: Readiness | undefined,
  checkRules: (() => Promise<RuleReport>) | undefined,
): Promise<StartupLine> {
  const summary = {
    instance: config.instanceUrl,
    credential: config.credential.kind,
    limit: config.concurrentSessions,
    strategy: config.limitStrategy,
    dryRun: config.dryRun,
    // Only whether the page is on and where: its client secret and keys never reach a log.
    devices: config.devices === undefined ? 'off' : 'on',
    ...(config.devices === undefined ? {} : { devicesUrl: config.devices.publicUrl }),
  };
  if (readiness === undefined)
    return { level: 'info', msg: 'zitadel-session-limiter started', fields: summary };
  const [verdict, rules] = await Promise.all([
    readiness.check(),
    checkRules === undefined ? undefined : checkRules().catch(() => undefined),
  ]);
  const ruleFields =
    rules === undefined
      ? {}
      : { inForce: rules.inForce, degraded: rules.degraded, unchecked: rules.unchecked };
  if (!verdict.ready)
    return {
      level: 'warn',
      msg: 'zitadel-session-limiter started; ZITADEL does not answer the check yet (see /readyz)',
      fields: { ...summary, zitadel: 'not_ready', reason: verdict.reason, ...ruleFields },
    };
  const degraded = rules !== undefined && rules.degraded.length > 0;
  return {
    level: degraded ? 'warn' : 'info',
    msg: degraded
      ? 'zitadel-session-limiter started; ZITADEL answers, but some rules are degraded (a permission is missing)'
      : 'zitadel-session-limiter started; ZITADEL answers',
    fields: { ...summary, zitadel: 'ready', ...ruleFields },
  };
}
