import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command accepts. */
export const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

/**
 * node:util parseArgs in strict mode, with its errors turned into usage errors that name the command.
 * `--no-<flag>` negates a boolean flag.
 */
export function parseCommandArgs<const T extends Options>(
  command: string,
  args: readonly string[],
  options: T,
) {
  try {
    return parseArgs({
      args: [...args],
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
      allowNegative: true,
    });
  } catch (error) {
    throw new UsageError(usageMessageOf(error, Object.keys({ ...COMMON_OPTIONS, ...options })), command);
  }
}

/**
 * node:util's parse errors in our words: Node's own texts talk about "positional arguments" and `-- "--x"`.
 * Only the option's name is repeated (never a value typed after `=`).
 */
function usageMessageOf(error: unknown, known: readonly string[]): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  const message = error instanceof Error ? error.message : '';
  const option = /'(-[^'=\s<]*)/.exec(message)?.[1] ?? 'an option';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
    return `unknown option ${option}; this command takes ${known.map((name) => `--${name}`).join(', ')}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
    return message.includes('does not take') ? `${option} takes no value` : `${option} needs a value`;
  return 'invalid arguments';
}

/** Exactly `count` positional arguments, or a usage error naming what is missing or extra. */
export function expectPositionals(
  command: string,
  positionals: readonly string[],
  names: readonly string[],
): string[] {
  if (positionals.length < names.length)
    throw new UsageError(
      `missing ${names
        .slice(positionals.length)
        .map((name) => `<${name}>`)
        .join(' ')}`,
      command,
    );
  if (positionals.length > names.length)
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[names.length])}`, command);
  return [...positionals];
}

/** A whole number from `min` to `max`, e.g. `--concurrency 4`. */
export function parseIntegerOption(
  command: string,
  option: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!/^[0-9]+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`--${option} must be a whole number from ${min} to ${max}`, command);
  }
  return Number(value);
}

/**
 * A target timeout such as `10s`, `1500ms` or `2m`, as whole seconds for ZITADEL's protojson duration. ZITADEL
 * allows at most 270 s (proto/zitadel/action/v2/action_service.proto, CreateTargetRequest.timeout).
 */
export function parseTimeoutSeconds(command: string, value: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m)?$/.exec(value.trim());
  const amount = match?.[1] === undefined ? Number.NaN : Number(match[1]);
  const unit = match?.[2] ?? 's';
  const seconds = unit === 'ms' ? amount / 1000 : unit === 'm' ? amount * 60 : amount;
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > 270 || !Number.isInteger(seconds)) {
    throw new UsageError('--timeout must be a whole number of seconds from 1s to 270s, e.g. 10s', command);
  }
  return seconds;
}
