import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Express } from 'express';
import { startLimiter } from '../test/support/limiterProcess.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The tracked results file: written only when asked (see resultsFile). */
export const BENCHMARKS_FILE = `${ROOT}BENCHMARKS.md`;
/** Where a run writes by default: ignored by git, so a quick look leaves the tree clean. */
export const UNTRACKED_RESULTS_FILE = `${ROOT}bench-results/BENCHMARKS.md`;

/**
 * Where this run's results go: BENCHMARKS.md when asked (`--write-benchmarks`, or BENCH_WRITE_BENCHMARKS=1),
 * else bench-results/BENCHMARKS.md, which .gitignore covers.
 */
export function resultsFile(
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): string {
  const asked =
    argv.includes('--write-benchmarks') || ['1', 'true', 'yes'].includes(env.BENCH_WRITE_BENCHMARKS ?? '');
  return asked ? BENCHMARKS_FILE : UNTRACKED_RESULTS_FILE;
}

/** A limiter under test, running as its own process so that its memory is its own. */
export interface Target {
  /** 'ours', 'naive', 'before', 'lean', or a variant such as 'ours-any-factor'. */
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  isRunning(): boolean;
  stop(): Promise<unknown>;
}

/** The real service: src/main.ts with the real ZITADEL client, started exactly as the end-to-end tests do. */
export async function startOurs(
  env: Record<string, string>,
): Promise<Target & { readonly output: string[] }> {
  const limiter = await startLimiter(env);
  return {
    name: 'ours',
    url: limiter.url,
    pid: limiter.child.pid!,
    output: limiter.output,
    isRunning: () => limiter.child.exitCode === null && limiter.child.signalCode === null,
    stop: () => limiter.stop(),
  };
}

/**
 * The limiter as it was at an earlier commit (git archive of its sources into a temporary folder that borrows our
 * node_modules), started like ours: "before" in before/after comparisons. Undefined when git cannot provide it
 * (a tarball without history, an unknown revision).
 */
export async function startAtRevision(
  revision: string,
  env: Record<string, string>,
): Promise<Target | undefined> {
  const dir = mkdtempSync(`${os.tmpdir()}/limiter-${revision}-`);
  try {
    const archive = execFileSync('git', ['archive', revision, 'src', 'package.json', 'tsconfig.json'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    execFileSync('tar', ['-x', '-C', dir], { input: archive });
    symlinkSync(`${ROOT}node_modules`, `${dir}/node_modules`);
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  const limiter = await startLimiter(env, { cwd: dir, checkout: dir });
  return {
    name: 'before',
    url: limiter.url,
    pid: limiter.child.pid!,
    isRunning: () => limiter.child.exitCode === null && limiter.child.signalCode === null,
    stop: async () => {
      const code = await limiter.stop();
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

/** The baseline from bench/naiveLimiter.ts, in its own process too. */
export function startNaive(env: Record<string, string>): Promise<Target> {
  return startScript('naive', 'bench/naiveLimiter.ts', env);
}

/** The lean twin from bench/leanLimiter.ts, in its own process too. */
export function startLean(env: Record<string, string>): Promise<Target> {
  return startScript('lean', 'bench/leanLimiter.ts', env);
}

/** A bench-only server script run under tsx like ours, resolved once it prints its `"port":N` line. */
async function startScript(name: string, script: string, env: Record<string, string>): Promise<Target> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`${name} limiter did not start`)), 55_000);
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const match = /"port":([0-9]+)/.exec(buffered);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    void exited.then(() => reject(new Error(`${name} limiter exited early`)));
  });
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    isRunning: () => child.exitCode === null && child.signalCode === null,
    stop: () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux): its own process.cpuUsage(). */
export function cpuMsOf(pid: number): number {
  // Fields after the command name (which is in parentheses and may hold spaces): utime is the 12th, stime the 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Resident memory of a process from /proc (Linux): now and its peak, in MiB. */
export function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+([0-9]+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kib('VmRSS') / 1024, peakMb: kib('VmHWM') / 1024 };
}

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
  readonly os: string;
  readonly date: string;
  readonly loadAverage: string;
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    date: new Date().toISOString(),
    loadAverage: os
      .loadavg()
      .map((load) => load.toFixed(2))
      .join(' / '),
  };
}

export function machineMarkdown(m: Machine): string {
  return `Machine: ${m.cpu}, ${m.cores} cores, ${m.os}, Node ${m.node}; ${m.date}; load average at start (1/5/15 min): ${m.loadAverage}.`;
}

// One pool of keep-alive sockets for all webhooks, as ZITADEL keeps its connections to a target.
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** Closes the webhook sockets, so that a limiter told to stop is not kept waiting by idle keep-alive connections. */
export function closeWebhookConnections(): void {
  agent.destroy();
}

export interface Answer {
  /** 0 when the connection failed. */
  readonly status: number;
  readonly ms: number;
  readonly body: string;
}

/** POSTs a signed webhook the way ZITADEL does. Never rejects: a failed connection is status 0. */
export function postWebhook(
  url: string,
  body: string,
  signature: string,
  timeoutMs = 60_000,
): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = http.request(
      `${url}/session/manage`,
      {
        method: 'POST',
        agent,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          'ZITADEL-Signature': signature,
        },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            ms: performance.now() - started,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', () => resolve({ status: 0, ms: performance.now() - started, body: '' }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, ms: performance.now() - started, body: '' }));
    req.end(body);
  });
}

/** One ZITADEL call as the fake saw it, with when it arrived and when its answer was sent. */
export interface ObservedCall {
  readonly method: string;
  readonly path: string;
  readonly startMs: number;
  endMs: number;
  /** The status sent, or 'reset' when the fake destroyed the connection instead of answering. */
  outcome: number | 'reset' | undefined;
}

/**
 * Records every call the fake ZITADEL receives, with timestamps, through its `publicRoutes` hook (mounted before its
 * latency and fault injection, so the times include both).
 */
export function callRecorder(): {
  readonly calls: ObservedCall[];
  recording: boolean;
  readonly mount: (app: Express) => void;
} {
  const recorder = {
    calls: [] as ObservedCall[],
    recording: true,
    mount(app: Express) {
      app.use((req, res, next) => {
        if (recorder.recording) {
          const call: ObservedCall = {
            method: req.method,
            path: req.path,
            startMs: performance.now(),
            endMs: Number.NaN,
            outcome: undefined,
          };
          recorder.calls.push(call);
          res.on('close', () => {
            call.endMs = performance.now();
            call.outcome = res.writableFinished ? res.statusCode : 'reset';
          });
        }
        next();
      });
    },
  };
  return recorder;
}

/**
 * How many ZITADEL round trips a webhook needed one after another: the longest chain of calls in which each call was
 * sent only after the previous one had been answered. Calls sent together (parallel deletes) add one link, not one
 * per call; a pool of 20 workers deleting 300 sessions adds about 15. An upper bound on the true dependency chain
 * (a call sent just after an unrelated answer looks as if it waited for it), exact for the cases in table (a).
 */
export function sequentialRoundTrips(calls: readonly ObservedCall[]): number {
  const byStart = [...calls].sort((a, b) => a.startMs - b.startMs);
  const byEnd = [...calls].sort((a, b) => a.endMs - b.endMs);
  const depth = new Map<ObservedCall, number>();
  let answered = 0;
  let deepestAnswered = 0;
  let deepest = 0;
  for (const call of byStart) {
    while (answered < byEnd.length && byEnd[answered]!.endMs <= call.startMs) {
      deepestAnswered = Math.max(deepestAnswered, depth.get(byEnd[answered]!) ?? 0);
      answered += 1;
    }
    const own = deepestAnswered + 1;
    depth.set(call, own);
    deepest = Math.max(deepest, own);
  }
  return deepest;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const median = (values: readonly number[]) => percentile(values, 50);

export const fmt = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
export const ratio = (value: number, base: number) =>
  Number.isFinite(value / base) ? `${(value / base).toFixed(2)}×` : '–';

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

const BENCHMARKS_INTRO = `# Benchmarks

Measured on one machine, in one run, side by side: each table compares the real limiter (\`src/main.ts\` as a process,
with the real ZITADEL client) with a deliberately naive baseline (\`bench/naiveLimiter.ts\`, not part of the product)
against the same local fake ZITADEL (\`test/support/fakeZitadel.ts\`) with injected latency. Other work shares the
machine, so absolute numbers are noisy; read the **ratios**, which compare runs made seconds apart under the same
conditions. Regenerate with \`npm run bench -- --write-benchmarks\` (about two minutes) and
\`npm run loadtest -- --write-benchmarks\` (about four minutes); each rewrites only its own section below. Without the
flag, results go to the untracked \`bench-results/BENCHMARKS.md\`.
`;

/**
 * Replaces the section between `<!-- name:start -->` and `<!-- name:end -->` in the results file (resultsFile()),
 * keeping the rest, and returns the file's path relative to the repository.
 */
export function writeSection(name: string, markdown: string, file: string = resultsFile()): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : BENCHMARKS_INTRO;
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next =
    from >= 0 && to > from
      ? current.slice(0, from) + block + current.slice(to + end.length)
      : `${current.trimEnd()}\n\n${block}\n`;
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, next);
  return path.relative(ROOT, file);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
