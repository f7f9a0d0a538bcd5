import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { collectLines } from './outputLines.js';
import { transpiledCheckout } from './transpiledSource.js';
import { signatureHeader } from './webhooks.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** tsx's loader by absolute URL, so a process can start from any working directory. */
export const TSX_LOADER = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

/**
 * What every process a test starts gets besides its own variables: no file of variables is read (ENV_FILE=none), so
 * a developer's `.env` cannot change a test's outcome; and nothing from the shell but PATH.
 */
export const ISOLATED_ENV = { ENV_FILE: 'none', NODE_ENV: 'test' } as const;

/** ISOLATED_ENV, or (for the one test that proves a real `.env` is still read) the same without ENV_FILE. */
export function baseEnv(options: SpawnOptions): Record<string, string> {
  return options.readEnvFile === true ? { NODE_ENV: 'test' } : { ...ISOLATED_ENV };
}

export interface SpawnOptions {
  /** The working directory (default: the repository). Where the process would look for `.env`. */
  readonly cwd?: string;
  /** Leave out ENV_FILE=none: only for the test that proves a real `.env` is still read. */
  readonly readEnvFile?: boolean;
  /**
   * Run another checkout's sources (the benchmark's "before"). Such a version may predate the start-up line, so only
   * its "listening" line is awaited.
   */
  readonly checkout?: string;
}

/**
 * How long a process may take to print its start-up line before the test gives up on it: only a guard against a
 * hang. Three cold tsx starts at once on a busy 2-core machine took more than the 20 s this once was; the suites'
 * own hook timeouts (60 s) still bound the wait.
 */
const START_TIMEOUT_MS = 55_000;

/** The start-up line's message begins with this (src/main.ts, reportStartup). */
const STARTED = '"msg":"zitadel-session-limiter started';

export interface LimiterProcess {
  readonly url: string;
  /** Everything the process wrote to stdout and stderr, line by line. */
  readonly output: string[];
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

function spawnLimiter(env: Record<string, string>, options: SpawnOptions = {}) {
  // The real entry point, from this checkout's sources transpiled once (plain node starts in a fraction of tsx's
  // time, and no build step is needed); another checkout's sources with tsx.
  const entry =
    options.checkout === undefined
      ? [path.join(transpiledCheckout(), 'src/main.js')]
      : ['--import', TSX_LOADER, path.join(options.checkout, 'src/main.ts')];
  const child = spawn(process.execPath, ['--enable-source-maps', ...entry], {
    cwd: options.cwd ?? ROOT,
    // Only what we pass: no developer .env or shell variables leak into the run.
    env: {
      PATH: process.env.PATH ?? '',
      ...baseEnv(options),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  collectLines(child.stdout, output);
  collectLines(child.stderr, output);
  // 'close', not 'exit': it comes after the pipes have ended, so the last line is in `output` by then.
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, output, exited };
}

/**
 * Starts `src/main.ts` on a free port and waits for its "listening" line and its start-up line. The start-up line
 * follows the server's first ZITADEL check (a token request and a search), so that call is over before a test
 * counts what ZITADEL saw.
 */
export async function startLimiter(
  env: Record<string, string>,
  options: SpawnOptions = {},
): Promise<LimiterProcess> {
  const { child, output, exited } = spawnLimiter({ PORT: '0', ...env }, options);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`limiter did not start:\n${output.join('\n')}`)),
      START_TIMEOUT_MS,
    );
    const check = () => {
      const listening = output.find((line) => line.includes('listening'));
      if (listening === undefined) return;
      if (options.checkout === undefined && !output.some((line) => line.includes(STARTED))) return;
      clearTimeout(timer);
      resolve((JSON.parse(listening) as { port: number }).port);
    };
    child.stdout?.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`limiter exited early:\n${output.join('\n')}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    output,
    child,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs `src/main.ts` expecting it to refuse to start; resolves with its exit code and output. */
export async function runLimiterExpectingFailure(
  env: Record<string, string>,
  options: SpawnOptions = {},
): Promise<{ code: number | null; output: string }> {
  const { child, output, exited } = spawnLimiter(env, options);
  // A guard against a hang, not a budget: on a loaded machine tsx alone can take over 20 s to load the code.
  const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
  const code = await exited;
  clearTimeout(timer);
  return { code, output: output.join('\n') };
}

/** What a limiter answered one webhook, with the answer's size and how long it took. */
export interface WebhookAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly bytes: number;
  readonly ms: number;
}

/** POSTs `body` to a running limiter's webhook route, signed with `key` as ZITADEL would sign it. */
export async function postSignedWebhook(url: string, body: string, key: string): Promise<WebhookAnswer> {
  const started = performance.now();
  const res = await fetch(`${url}/session/manage`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'ZITADEL-Signature': signatureHeader(body, key) },
    body,
  });
  const text = await res.text();
  return {
    status: res.status,
    body: JSON.parse(text) as Record<string, unknown>,
    bytes: Buffer.byteLength(text),
    ms: performance.now() - started,
  };
}

/**
 * The limiter's output lines that match, once there are at least `count` of them. Its log reaches us through a
 * pipe, apart from its HTTP answers: a line written around an answer may still be on its way when the answer is
 * read. The ceiling only ends a hang.
 */
export async function outputLinesWhen(
  limiter: Pick<LimiterProcess, 'output'>,
  matches: (line: string) => boolean,
  count = 1,
): Promise<string[]> {
  for (let polls = 0; ; polls++) {
    const lines = limiter.output.filter(matches);
    if (lines.length >= count) return lines;
    if (polls >= 3_000) throw new Error(`expected ${count} matching output lines, saw ${lines.length}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
