import type { Config } from '../vocabulary.js';
import { reportSummary, type WebhookOutcome } from '../enforcement/outcome.js';
import type { LogSink } from '../logging/logger.js';

/**
 * One JSON line per verified webhook, `"log":"audit"`: what was decided for whom and what was deleted. Apart from
 * the application log (LOG_LEVEL does not silence it) and the access log. Built from a fixed list of fields, all ids,
 * counts and codes: there is no way to put a body, a header or a token into it.
 */
export interface AuditLog {
  decision(requestId: string | undefined, outcome: WebhookOutcome, durationMs: number): void;
  /** Enforcement could not finish: nothing is known to be decided. `code` is what ZITADEL was answered. */
  failure(requestId: string | undefined, code: string, durationMs: number): void;
  /** A replay of a delivery already decided, answered from the cache: nothing was done, again. */
  replay(
    requestId: string | undefined,
    first: { readonly outcome: string; readonly sessionId: string | undefined },
    durationMs: number,
  ): void;
}

type Settings = Pick<Config, 'concurrentSessions' | 'limitStrategy' | 'dryRun'>;

export function auditLog(sink: LogSink, settings: Settings): AuditLog {
  const write = (
    level: 'info' | 'warn',
    requestId: string | undefined,
    fields: Record<string, unknown>,
    durationMs: number,
  ) =>
    sink(
      JSON.stringify({
        time: new Date().toISOString(),
        level,
        log: 'audit',
        msg: 'session limit decision',
        requestId,
        ...fields,
        durationMs,
      }),
    );
  // Every record says under which rules it was made, even when nothing was enforced.
  const rules = {
    limit: settings.concurrentSessions,
    strategy: settings.limitStrategy,
    dryRun: settings.dryRun,
  };

  return {
    decision(requestId, outcome, durationMs) {
      if (outcome.outcome === 'ignored' || outcome.outcome === 'undecided') {
        // An undecided webhook let a login go on unchecked (ON_FAILURE=allow) or failed it (refuse): worth a look.
        write(
          outcome.outcome === 'ignored' ? 'info' : 'warn',
          requestId,
          { outcome: outcome.outcome, reason: outcome.reason, sessionId: outcome.sessionId, ...rules },
          durationMs,
        );
        return;
      }
      write(
        outcome.failed.length > 0 || outcome.remaining > 0 ? 'warn' : 'info',
        requestId,
        // What the decision had to do without (a side read denied, failed or late): the rule it was made under.
        { ...reportSummary(outcome), foreignRows: outcome.foreignRows, fallbacks: outcome.fallbacks },
        durationMs,
      );
    },

    replay(requestId, first, durationMs) {
      write(
        'info',
        requestId,
        { outcome: 'replayed', replayOf: first.outcome, sessionId: first.sessionId, ...rules },
        durationMs,
      );
    },

    failure(requestId, code, durationMs) {
      write('warn', requestId, { outcome: 'failed', reason: code, ...rules }, durationMs);
    },
  };
}
