import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli as runCliInProcess } from '../../src/cli/runCli.js';
import { EXIT } from '../../src/cli/errors.js';
import { ConfigError } from '../../src/vocabulary.js';
import { loadEnvFile } from '../../src/envFile.js';
import { baseEnv, type SpawnOptions } from '../support/limiterProcess.js';
import { transpiledCheckout } from '../support/transpiledSource.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions extends SpawnOptions {
  /**
   * Start `src/cli.ts` as a real process (plain node on the transpiled sources) instead of calling runCli in this one. Only for what a process has
   * and a call has not: the entry point itself, its exit code, a working directory. Implied by `cwd`.
   */
  readonly process?: boolean;
}

// A guard against a hang, below vitest's testTimeout so a stuck run still reports what the CLI printed.
const CLI_TIMEOUT_MS = 55_000;

// The defaults, spelt out: a test's expectations should not depend on a default changing elsewhere.
const NEUTRAL_ENV = {
  CONCURRENT_SESSIONS: '2',
  LIMIT_STRATEGY: 'evict-oldest',
  DRY_RUN: 'false',
  ZITADEL_TIMEOUT_MS: '3000',
};

/**
 * Runs one CLI command line with only the environment given here: no `.env` is read (ENV_FILE=none) and nothing
 * comes from the shell. By default in this process, through what `src/cli.ts` does (the variables file, then
 * runCli with this environment and collected output): starting tsx for every command cost the suite minutes.
 * With `process: true` or a `cwd`, as a real process instead (see runCliProcess).
 */
export function runCli(
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = CLI_TIMEOUT_MS,
  options: CliOptions = {},
): Promise<CliRun> {
  if (options.process === true || options.cwd !== undefined)
    return runCliProcess(args, env, timeoutMs, options);
  return runCliHere(args, { ...baseEnv(options), ...NEUTRAL_ENV, ...env }, timeoutMs);
}

/** What src/cli.ts does, with the process's environment and streams replaced by the given ones. */
async function runCliHere(
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs: number,
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io = {
    env: { ...env },
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    now: Date.now,
  };
  try {
    loadEnvFile(io.env, ROOT);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { code: EXIT.config, stdout, stderr: `error: ${error.message}\n` };
  }
  let timer: NodeJS.Timeout | undefined;
  // A process that outlives its time is killed (code null); a call cannot be, so it is left behind, answered null.
  const timedOut = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
  try {
    const code = await Promise.race([runCliInProcess(args, io), timedOut]);
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `src/cli.ts` as a real process, its sources transpiled once (transpiledSource.ts), with only the environment given here: no `.env` is
 * read (ENV_FILE=none) and nothing comes from the shell but PATH.
 */
export function runCliProcess(
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = CLI_TIMEOUT_MS,
  options: SpawnOptions = {},
): Promise<CliRun> {
  // Plain node on the sources transpiled once: a tsx start costs seconds on a busy machine (transpiledSource.ts).
  const entry = path.join(transpiledCheckout(), 'src/cli.js');
  const child = spawn(process.execPath, ['--enable-source-maps', entry, ...args], {
    cwd: options.cwd ?? ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      ...baseEnv(options),
      ...NEUTRAL_ENV,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Parses `--json` output: stdout must be exactly one JSON document. */
export function jsonOf(run: CliRun): Record<string, unknown> {
  return JSON.parse(run.stdout) as Record<string, unknown>;
}
