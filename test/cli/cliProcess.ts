import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { baseEnv, TSX_LOADER, type SpawnOptions } from '../support/limiterProcess.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

// The defaults, spelt out: a test's expectations should not depend on a default changing elsewhere.
const NEUTRAL_ENV = {
  CONCURRENT_SESSIONS: '2',
  LIMIT_STRATEGY: 'evict-oldest',
  DRY_RUN: 'false',
  ZITADEL_TIMEOUT_MS: '3000',
};

/**
 * Runs `src/cli.ts` as a real process, from source with tsx, with only the environment given here: no `.env` is
 * read (ENV_FILE=none) and nothing comes from the shell but PATH.
 */
export function runCli(
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
  options: SpawnOptions = {},
): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, path.join(ROOT, 'src/cli.ts'), ...args], {
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
