import type { LogLevel } from '../vocabulary.js';

/**
 * Structured fields a log line may carry. Deliberately narrow: ids, counts, codes and durations. There is no
 * way to attach an object, a body or an error instance, which is how secrets usually leak into logs.
 */
export type LogFields = Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose every line also carries these fields (a request id, say). */
  child(fields: LogFields): Logger;
}

const SEVERITY: Record<Exclude<LogLevel, 'silent'>, number> = { debug: 10, info: 20, warn: 30, error: 40 };

// Defence in depth: even if someone adds a field named like a secret, its value never reaches the output.
const SECRET_FIELD = /token|secret|password|authorization|signature|signing|cookie|key$|body$|payload/i;

function redact(fields: LogFields): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    result[name] = SECRET_FIELD.test(name) ? '[redacted]' : value;
  }
  return result;
}

export type LogSink = (line: string) => void;

/** One JSON object per line on stdout (or the given sink), which every platform we deploy to collects. */
export function createLogger(
  level: LogLevel,
  sink: LogSink = (line) => process.stdout.write(`${line}\n`),
): Logger {
  const threshold = level === 'silent' ? Number.POSITIVE_INFINITY : SEVERITY[level];
  const build = (bound: LogFields): Logger => {
    const write = (severity: Exclude<LogLevel, 'silent'>, message: string, fields: LogFields = {}) => {
      if (SEVERITY[severity] < threshold) return;
      const line = { time: new Date().toISOString(), level: severity, msg: message };
      // Fields come after the line's own keys in the output but can never overwrite them.
      sink(JSON.stringify({ ...line, ...redact({ ...bound, ...fields }), ...line }));
    };
    return {
      debug: (message, fields) => write('debug', message, fields),
      info: (message, fields) => write('info', message, fields),
      warn: (message, fields) => write('warn', message, fields),
      error: (message, fields) => write('error', message, fields),
      child: (fields) => build({ ...bound, ...fields }),
    };
  };
  return build({});
}
