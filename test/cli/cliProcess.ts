import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

// Values the CLI would otherwise take from a developer's .env (dotenv never overrides what is passed here).
const NEUTRAL_ENV = {
  CONCURRENT_SESSIONS: '2',
  LIMIT_STRATEGY: 'evict-oldest',
  DRY_RUN: 'false',
  ZITADEL_TIMEOUT_MS: '3000',
};

/** Runs `src/cli.ts` as a real process, from source with tsx, with only the environment given here. */
export function runCli(
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...NEUTRAL_ENV, ...env },
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
