import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface LimiterProcess {
  readonly url: string;
  /** Everything the process wrote to stdout and stderr, line by line. */
  readonly output: string[];
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

function spawnLimiter(env: Record<string, string>, cwd = ROOT) {
  // The real entry point, run from source with tsx so the tests need no build step.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd,
    // Only what we pass: no developer .env or shell variables leak into the run (dotenv never overrides these).
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const collect = (chunk: Buffer) =>
    output.push(
      ...chunk
        .toString('utf8')
        .split('\n')
        .filter((line) => line !== ''),
    );
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output, exited };
}

/**
 * Starts `src/main.ts` on a free port and waits for its "listening" line. `cwd` runs another checkout's sources
 * (the benchmark's "before").
 */
export async function startLimiter(
  env: Record<string, string>,
  options: { readonly cwd?: string } = {},
): Promise<LimiterProcess> {
  const { child, output, exited } = spawnLimiter({ PORT: '0', ...env }, options.cwd);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`limiter did not start:\n${output.join('\n')}`)), 20_000);
    const check = () => {
      for (const line of output) {
        if (!line.includes('listening')) continue;
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
        return;
      }
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
): Promise<{ code: number | null; output: string }> {
  const { child, output, exited } = spawnLimiter(env);
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await exited;
  clearTimeout(timer);
  return { code, output: output.join('\n') };
}
