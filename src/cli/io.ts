import type { LogFields, Logger } from '../logging/logger.js';

/** Where a command reads its environment and writes its output. `src/cli.ts` passes the process's own. */
export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly now: () => number;
  /** Waits `ms` (setup's read-back waits for ZITADEL's view); tests pass one that does not wait. Default: a timer. */
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
}

/** The real wait, for commands whose CliIo brings none. */
export function sleepOf(io: CliIo): (ms: number) => Promise<void> {
  return io.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
}

export interface OutputStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** What every command gets: its output channels and whether the caller is a script (`--json`). */
export interface CommandContext {
  readonly io: CliIo;
  readonly json: boolean;
}

// What a terminal may act on rather than show: C0 controls (ESC starts colour, cursor and title sequences; CR
// rewrites the line), DEL, C1 controls (0x9b is a one-byte CSI on some terminals), and the bidirectional marks,
// embeddings, overrides and isolates that make text read other than it is stored. A user agent, a target name, a
// login name: anything ZITADEL hands us may carry them.
function isTerminalUnsafe(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x061c ||
    code === 0x200e ||
    code === 0x200f ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}
// JSON.stringify already escapes U+0000–U+001F; the rest of the set above it leaves raw.
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const NEWLINE = 0x0a;

const hexEscape = (code: number) =>
  code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;

function escapeUnsafe(text: string, keepNewlines: boolean): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    out += isTerminalUnsafe(code) && !(keepNewlines && code === NEWLINE) ? hexEscape(code) : char;
  }
  return out;
}

/** `text` with every character a terminal would act on shown as `\xNN` / `\uNNNN`, newlines included. */
export function printable(text: string): string {
  return escapeUnsafe(text, false);
}

/** Like printable, but keeps the newlines our own multi-line output (tables, help) is made of. */
function printableLines(text: string): string {
  return escapeUnsafe(text, true);
}

/**
 * Human output goes to stdout; with `--json` stdout carries exactly one JSON document, written by `emitJson`.
 * Control characters in what is printed are escaped here, at the one door to the terminal.
 */
export function say(context: CommandContext, line = ''): void {
  if (!context.json) context.io.stdout.write(`${printableLines(line)}\n`);
}

/** Notes and warnings: always stderr, so they never corrupt `--json` output. Escaped like `say`. */
export function note(context: CommandContext, line: string): void {
  context.io.stderr.write(`${printableLines(line)}\n`);
}

/** One JSON document on stdout, with the characters JSON.stringify leaves raw escaped too: the same value. */
export function emitJson(context: CommandContext, value: unknown): void {
  const text = JSON.stringify(value, null, 2).replace(
    JSON_UNSAFE,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  context.io.stdout.write(`${text}\n`);
}

/**
 * A one-line progress indicator on stderr, shown only when stderr is a terminal: pipes and CI logs stay clean.
 */
export function progress(context: CommandContext): { update(text: string): void; done(): void } {
  const tty = context.io.stderr.isTTY === true;
  let shown = false;
  return {
    update(text) {
      if (!tty) return;
      context.io.stderr.write(`\r\x1b[2K${printable(text)}`);
      shown = true;
    },
    done() {
      if (tty && shown) context.io.stderr.write('\r\x1b[2K');
      shown = false;
    },
  };
}

/**
 * Left-aligned columns separated by two spaces; the header is upper-case. Cells are made printable (a newline in a
 * user agent would otherwise start a row of its own).
 */
export function table(headers: readonly string[], unsafeRows: readonly (readonly string[])[]): string {
  const rows = unsafeRows.map((row) => row.map(printable));
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers.map((header) => header.toUpperCase())), ...rows.map(line)].join('\n');
}

/** `2026-11-22 20:51:37Z`: sortable, unambiguous and short. */
export function formatTime(ms: number | undefined): string {
  if (ms === undefined) return '-';
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.[0-9]{3}Z$/, 'Z');
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * The shared use case logs through a Logger; on the command line its warnings become readable stderr lines.
 * Only ids and counts are ever passed as fields, so printing them is safe.
 */
export function cliLogger(context: CommandContext): Logger {
  const build = (bound: LogFields): Logger => {
    const print = (level: string, message: string, fields: LogFields = {}) => {
      const details = Object.entries({ ...bound, ...fields })
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join(',') : String(value)}`)
        .join(' ');
      note(context, `${level}: ${message}${details === '' ? '' : ` (${details})`}`);
    };
    return {
      debug: () => undefined,
      info: () => undefined,
      warn: (message, fields) => print('warning', message, fields),
      error: (message, fields) => print('error', message, fields),
      child: (fields) => build({ ...bound, ...fields }),
    };
  };
  return build({});
}

/** "1 user", "2 users": a count with its noun in the right number. */
export function counted(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}
