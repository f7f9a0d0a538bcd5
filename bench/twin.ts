/**
 * `npm run bench`, section (g): ours against the lean twin (bench/leanLimiter.ts), the physical minimum for the same
 * ZITADEL calls, and the naive blog-style loop, side by side in one run (issue #17): throughput with 64 webhooks in
 * flight, CPU per webhook, RSS idle and after the run, cold start, and ZITADEL calls and sequential round trips per
 * path, with the machine's load average sampled throughout. Every server is its own child process, so its CPU and
 * memory are its own; all talk to the run's one fake ZITADEL.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { FakeSession, FakeZitadel } from '../test/support/fakeZitadel.js';
import { ISOLATED_ENV, TSX_LOADER } from '../test/support/limiterProcess.js';
import {
  cpuMsOf,
  fmt,
  markdownTable,
  median,
  memoryOf,
  percentile,
  ratio,
  ROOT,
  sequentialRoundTrips,
  sleep,
  startLean,
  startNaive,
  startOurs,
  type Answer,
  type ObservedCall,
  type Target,
} from './support.js';

/** What run.ts shares with this section: its fake, its call recorder and how it makes users and logins. */
export interface BenchWorld {
  readonly fake: FakeZitadel;
  readonly recorder: { readonly calls: ObservedCall[]; recording: boolean };
  readonly env: Record<string, string>;
  readonly limit: number;
  readonly inFlight: number;
  readonly seconds: number;
  readonly users: number;
  newUser(label: string): string;
  seedUser(userId: string, count: number): void;
  login(userId: string): { session: FakeSession; body: string };
  send(target: Target, body: string): Promise<Answer>;
  resetFake(): void;
}

const COLD_STARTS = Number(process.env.BENCH_COLD_STARTS ?? '3');

/** The servers compared, in table order. `start` runs one in its own process against the fake. */
const CONTENDERS = [
  {
    name: 'ours',
    label: 'ours (defaults: COUNT_WHEN=signed-in)',
    start: (env: Record<string, string>) => startOurs(env),
    script: 'src/main.ts',
    extraEnv: {},
  },
  {
    name: 'ours-any-factor',
    label: 'ours, COUNT_WHEN=any-factor (the twin\u2019s rule)',
    start: (env: Record<string, string>) => startOurs({ ...env, COUNT_WHEN: 'any-factor' }),
    script: 'src/main.ts',
    extraEnv: { COUNT_WHEN: 'any-factor' },
  },
  { name: 'lean', label: 'lean twin', start: startLean, script: 'bench/leanLimiter.ts', extraEnv: {} },
  {
    name: 'naive',
    label: 'naive loop (blog style)',
    start: startNaive,
    script: 'bench/naiveLimiter.ts',
    extraEnv: {},
  },
] as const;
type ContenderName = (typeof CONTENDERS)[number]['name'];

const PATHS = [
  { label: 'under the limit', deletions: 0 },
  { label: 'one over', deletions: 1 },
  { label: 'five over', deletions: 5 },
] as const;

interface Figures {
  perSecond: number;
  completed: number;
  failed: number;
  p50: number;
  p99: number;
  cpuUsPerWebhook: number;
  idleRssMb: number;
  rssAfterMb: number;
  coldStartMs: number;
  paths: { calls: number; trips: number }[];
}

/** Samples os.loadavg() every second while `work` runs. */
async function withLoadSamples<T>(work: () => Promise<T>): Promise<{ result: T; load: number[][] }> {
  const load: number[][] = [os.loadavg()];
  const timer = setInterval(() => load.push(os.loadavg()), 1000);
  try {
    return { result: await work(), load };
  } finally {
    clearInterval(timer);
    load.push(os.loadavg());
  }
}

/**
 * Process start to the first answered webhook, what a scaled-to-zero host (Vercel) pays: spawn the server, learn its
 * port from its first line, send a login at once, and keep sending until one is answered 200.
 */
async function coldStartMs(
  world: BenchWorld,
  script: string,
  extraEnv: Record<string, string>,
): Promise<number> {
  const userId = world.newUser('cold');
  world.seedUser(userId, world.limit);
  const { body } = world.login(userId);
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', TSX_LOADER, path.join(ROOT, script)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...ISOLATED_ENV, PORT: '0', ...world.env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let buffered = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const match = /"port":([0-9]+)/.exec(buffered);
        if (match?.[1] !== undefined) resolve(Number(match[1]));
      });
      void exited.then(() => reject(new Error(`${script} exited before listening`)));
    });
    const target: Target = {
      name: 'cold',
      url: `http://127.0.0.1:${port}`,
      pid: child.pid!,
      isRunning: () => true,
      stop: () => Promise.resolve(undefined),
    };
    for (let attempt = 0; attempt < 200; attempt++) {
      const answer = await world.send(target, body);
      if (answer.status === 200) return performance.now() - started;
      await sleep(10);
    }
    return Number.NaN;
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

async function callsPerPath(world: BenchWorld, target: Target): Promise<{ calls: number; trips: number }[]> {
  const results: { calls: number; trips: number }[] = [];
  for (const { deletions } of PATHS) {
    const runs: { calls: number; trips: number }[] = [];
    for (let repeat = 0; repeat < 3; repeat++) {
      const userId = world.newUser(`g-${target.name}`);
      world.seedUser(userId, world.limit - 1 + deletions);
      world.fake.catchUpProjection();
      const { body } = world.login(userId);
      world.recorder.calls.length = 0;
      const answer = await world.send(target, body);
      const left = world.fake.liveSessionsOf(userId).length;
      if (answer.status !== 200 || left !== world.limit)
        throw new Error(
          `benchmark sanity check failed: ${target.name} answered ${answer.status}, left ${left}`,
        );
      runs.push({ calls: world.recorder.calls.length, trips: sequentialRoundTrips(world.recorder.calls) });
    }
    results.push({ calls: median(runs.map((r) => r.calls)), trips: median(runs.map((r) => r.trips)) });
  }
  world.resetFake();
  return results;
}

/** Closed loop: `inFlight` webhooks always in flight, each a new login of the next user, each evicting one session. */
async function throughput(world: BenchWorld, target: Target) {
  world.recorder.recording = false;
  const users = Array.from({ length: world.users }, () => world.newUser(`g-${target.name}`));
  for (const userId of users) world.seedUser(userId, world.limit);
  let next = 0;
  let failed = 0;
  const latencies: number[] = [];
  const cpuBefore = cpuMsOf(target.pid);
  const started = performance.now();
  const endAt = started + world.seconds * 1000;
  const worker = async () => {
    while (performance.now() < endAt) {
      const answer = await world.send(target, world.login(users[next++ % users.length]!).body);
      // An "undecided" 200 is a login let through, not a decision: it does not count as throughput.
      if (answer.status === 200 && !answer.body.includes('undecided')) latencies.push(answer.ms);
      else failed += 1;
    }
  };
  await Promise.all(Array.from({ length: world.inFlight }, worker));
  const elapsedS = (performance.now() - started) / 1000;
  const cpuMs = cpuMsOf(target.pid) - cpuBefore;
  const rssAfterMb = memoryOf(target.pid).rssMb;
  world.recorder.recording = true;
  world.resetFake();
  return {
    perSecond: latencies.length / elapsedS,
    completed: latencies.length,
    failed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuUsPerWebhook: (cpuMs * 1000) / Math.max(1, latencies.length + failed),
    rssAfterMb,
  };
}

async function measure(world: BenchWorld, contender: (typeof CONTENDERS)[number]): Promise<Figures> {
  const target = await contender.start(world.env);
  try {
    for (let i = 0; i < 50; i++) {
      const userId = world.newUser('g-warmup');
      world.seedUser(userId, world.limit + 1);
      await world.send(target, world.login(userId).body);
    }
    world.resetFake();
    await sleep(500);
    const idleRssMb = memoryOf(target.pid).rssMb;
    const paths = await callsPerPath(world, target);
    const run = await throughput(world, target);
    const colds: number[] = [];
    for (let i = 0; i < COLD_STARTS; i++)
      colds.push(await coldStartMs(world, contender.script, contender.extraEnv));
    world.resetFake();
    return { ...run, idleRssMb, coldStartMs: median(colds), paths };
  } finally {
    await target.stop();
  }
}

export async function benchAgainstTwin(world: BenchWorld): Promise<string> {
  const { result, load } = await withLoadSamples(async () => {
    const figures = new Map<ContenderName, Figures>();
    for (const contender of CONTENDERS) {
      process.stdout.write(`(g) ${contender.label}…\n`);
      figures.set(contender.name, await measure(world, contender));
    }
    return figures;
  });
  return report(world, result, load);
}

function report(world: BenchWorld, figures: Map<ContenderName, Figures>, load: number[][]): string {
  const lean = figures.get('lean')!;
  const oneMinute = load.map((sample) => sample[0]!);
  const names = CONTENDERS.map((c) => c.name);
  const row = (label: string, pick: (f: Figures) => number, digits = 0, vsTwin = true) => [
    label,
    ...names.flatMap((name) => {
      const value = pick(figures.get(name)!);
      return name === 'lean' || !vsTwin
        ? [fmt(value, digits)]
        : [`${fmt(value, digits)} (${ratio(value, pick(lean))})`];
    }),
  ];
  const side = markdownTable(
    ['', ...CONTENDERS.map((c) => c.label)],
    [
      row(`webhooks per second, ${world.inFlight} in flight`, (f) => f.perSecond),
      row('decided (200) / failed or undecided', (f) => f.completed, 0, false).map((cell, i) =>
        i === 0 ? cell : `${cell} / ${figures.get(names[i - 1]!)!.failed}`,
      ),
      row('p50 latency (ms)', (f) => f.p50),
      row('p99 latency (ms)', (f) => f.p99),
      row('CPU per webhook (µs, the server process)', (f) => f.cpuUsPerWebhook),
      row('RSS idle, after warm-up (MiB)', (f) => f.idleRssMb, 1),
      row('RSS after the run (MiB)', (f) => f.rssAfterMb, 1),
      row('cold start: process start → first answered webhook (ms)', (f) => f.coldStartMs),
    ],
  );
  const calls = markdownTable(
    ['per login (CreateSession by userId + password)', ...CONTENDERS.map((c) => c.label)],
    PATHS.map((p, index) => [
      `${p.label} (${p.deletions} deleted)`,
      ...names.map((name) => {
        const at = figures.get(name)!.paths[index]!;
        return `${at.calls} calls, ${at.trips} round trips`;
      }),
    ]),
  );
  const ours = figures.get('ours')!;
  const equalRule = figures.get('ours-any-factor')!;
  const goal = (label: string, f: Figures) =>
    `${label}: throughput ${ratio(f.perSecond, lean.perSecond)} (goal ≥ 0.90×), RSS after the run ` +
    `${ratio(f.rssAfterMb, lean.rssAfterMb)} (goal ≤ 1.30×), calls ${
      f.paths.every((p, i) => p.calls === lean.paths[i]!.calls) ? 'equal' : 'not equal'
    } (goal: equal).`;
  return [
    `### (g) Ours against the lean twin: ${world.inFlight} in flight for ${world.seconds} s, ${world.users} users, one eviction each`,
    '',
    `Load average (1 min) during this section: min ${fmt(Math.min(...oneMinute), 2)}, median ${fmt(median(oneMinute), 2)}, ` +
      `max ${fmt(Math.max(...oneMinute), 2)} over ${load.length} samples, on ${os.cpus().length} cores.`,
    'Every server runs from source under tsx in its own process; CPU is its user + system time from /proc over the',
    'throughput phase divided by the webhooks it answered; cold start is the median of ' +
      `${COLD_STARTS} fresh processes. In brackets: the ratio to the lean twin.`,
    '',
    side,
    '',
    calls,
    '',
    `- ${goal('ours with its defaults', ours)}`,
    `- ${goal('ours with COUNT_WHEN=any-factor', equalRule)}`,
  ].join('\n');
}
