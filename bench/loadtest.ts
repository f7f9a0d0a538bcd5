/**
 * `npm run loadtest`: a steady stream of logins against several real limiter processes while ZITADEL misbehaves.
 *
 * Three limiter replicas (src/main.ts, started as the end-to-end tests start it) behind a round-robin front serve a
 * fixed webhook rate (50/s by default) across many users, each logging in again and again, so one user's logins
 * land on different replicas. The local fake ZITADEL answers a share of all calls (20% by default) with 503, 429 or
 * a reset connection, adds 20 ms to every call, and never nudges its search's projection after a write: only a
 * GetSession (or the 60 s schedule) brings it up to date, ZITADEL's worst case. Loopback only; bounded in time
 * (a 5 s warm-up, the steady phase, a quiet pass).
 *
 * What "every user ends at N" means here: ZITADEL never retries a restWebhook, so a webhook that still fails after
 * the limiter's own retries (it answers "undecided" once its deadline is spent) leaves that login's surplus in place until
 * something enforces again. The load generator plays the operator's sweep: once the steady phase is over and ZITADEL
 * is healthy again, it re-sends each failed webhook once (re-signed, since a sweep runs later). After that, every
 * user must hold exactly their N newest sessions, checked against the fake's ground truth, not its lagging search.
 *
 * Fails (exit code 1) on: a crash or an exit code other than 0 on SIGTERM; any answer other than 200 or 502
 * (a 500, a refused or reset connection); a rate it could not hold; a JS heap in use that grows from the first to
 * the last third of the steady phase; any user not at their N newest sessions after the quiet pass.
 *
 * Then the goodput curve: ZITADEL turns slow (1.5 s per call, no faults) and the offered load steps up; for each
 * step it reports the webhooks decided in time per second, and fails on any 5xx or any answer after the deadline.
 *
 * Last, the unsigned slow-body flood (bench/unsignedFlood.ts): 300 clients without a signature, each announcing
 * 255 KB and holding back the last byte, reconnecting at once whenever it is cut off, for LOADTEST_FLOOD_SECONDS
 * against replica 1, with one signed login in the middle. Fails when a flooding client is kept waiting for its body,
 * when the login is not answered 200, or when the replica's RSS grows by more than 160 MiB (it plateaus near
 * +80 MiB from allocation churn).
 *
 * Then the silent-connection flood (bench/silentFlood.ts): a fourth limiter with MAX_CONNECTIONS=64 held full by 64
 * sockets that send nothing, each reopened the moment it is closed, for LOADTEST_SILENT_SECONDS, while signed
 * logins arrive one by one on new connections. Fails when a login is not answered 200 or takes longer than
 * SILENT_LOGIN_BOUND_MS (the silent connections must make room at once, not after their header timeout).
 *
 * Knobs: LOADTEST_SECONDS (60), LOADTEST_RATE (50 webhooks/s), LOADTEST_USERS (300), LOADTEST_FAULT_RATE (0.2),
 * LOADTEST_REPLICAS (3), LOADTEST_GOODPUT_RATES (10,25,50,100,200 webhooks/s), LOADTEST_GOODPUT_SECONDS (6),
 * LOADTEST_FLOOD_SECONDS (5; 0 skips the unsigned flood), LOADTEST_SILENT_SECONDS (5; 0 skips the silent flood).
 */
import { DEFAULT_RETRY_POLICY } from '../src/zitadel/retry.js';
import { silentFlood, type SilentFloodResult } from './silentFlood.js';
import { unsignedFlood, type UnsignedFloodResult } from './unsignedFlood.js';
import { FakeZitadel, type FakeSession } from '../test/support/fakeZitadel.js';
import { createSessionResponse, setSessionResponse, signatureHeader } from '../test/support/webhooks.js';
import {
  callRecorder,
  closeWebhookConnections,
  fmt,
  machine,
  machineMarkdown,
  markdownTable,
  median,
  memoryOf,
  percentile,
  postWebhook,
  sleep,
  startOurs,
  writeSection,
  type Answer,
} from './support.js';

const SECONDS = Number(process.env.LOADTEST_SECONDS ?? '60');
const RATE = Number(process.env.LOADTEST_RATE ?? '50');
const USERS = Number(process.env.LOADTEST_USERS ?? '300');
const FAULT_RATE = Number(process.env.LOADTEST_FAULT_RATE ?? '0.2');
const REPLICAS = Number(process.env.LOADTEST_REPLICAS ?? '3');
const GOODPUT_RATES = (process.env.LOADTEST_GOODPUT_RATES ?? '10,25,50,100,200').split(',').map(Number);
const GOODPUT_SECONDS = Number(process.env.LOADTEST_GOODPUT_SECONDS ?? '6');
const SLOW_LATENCY_MS = 1_500;
// The limiter's default ENFORCEMENT_DEADLINE_MS, and how late an answer may arrive beyond it on a busy machine.
const DEADLINE_MS = 8_000;
const ANSWER_SLACK_MS = 1_500;
const FLOOD_SECONDS = Number(process.env.LOADTEST_FLOOD_SECONDS ?? '5');
const FLOOD_CLIENTS = 300;
const FLOOD_BODY_BYTES = 255 * 1024;
const SILENT_SECONDS = Number(process.env.LOADTEST_SILENT_SECONDS ?? '5');
const SILENT_MAX_CONNECTIONS = 64;
// "Kept out for no more than a few seconds": a login on a new connection must be answered well inside that.
const SILENT_LOGIN_BOUND_MS = 2_000;
const WARMUP_SECONDS = 5;
const LATENCY_MS = 20;
const LIMIT = 2;
const SET_SESSION_SHARE = 0.25;
const MAX_IN_FLIGHT = 500;
// Memory is "flat" when the JS heap in use over the last third of the steady phase is within this of the first
// (GC sawtooth included). The heap, not RSS: RSS also holds what V8 and the allocator keep in reserve, which grows
// with the allocation rate and swung ±40 MiB between identical replicas, while their heap in use stayed at 30–50 MiB.
const MEMORY_GROWTH_ALLOWED_MB = 24;
const MEMORY_GROWTH_ALLOWED_SHARE = 0.25;

/** The JS heap in use of a limiter process, from prom-client's default metrics on its /metrics. */
async function heapUsedMb(url: string): Promise<number> {
  const text = await fetch(`${url}/metrics`)
    .then((res) => res.text())
    .catch(() => '');
  const match = /^nodejs_heap_size_used_bytes ([0-9.e+]+)$/m.exec(text);
  return match?.[1] === undefined ? Number.NaN : Number(match[1]) / (1024 * 1024);
}
const PAT = 'loadtest-pat';
const KEY = 'loadtest-signing-key';
const MINUTE = 60_000;

const recorder = callRecorder();
const fake = new FakeZitadel({
  acceptedTokens: [PAT],
  latencyMs: LATENCY_MS,
  nudgeAfterWriteMs: false,
  faults: { rate: FAULT_RATE, kinds: [503, 429, 'reset'] },
  publicRoutes: (app) => recorder.mount(app),
});

interface Sent {
  readonly userId: string;
  readonly body: string;
  readonly phase: 'warmup' | 'steady';
  answer?: Answer;
}

const users = Array.from({ length: USERS }, (_, i) => `load-user-${i}`);
const created = new Map<string, FakeSession[]>(users.map((userId) => [userId, []]));
const sent: Sent[] = [];
let inFlight = 0;
let peakInFlight = 0;
let overloaded = false;
let nextUser = 0;

function login(phase: Sent['phase']): void {
  const userId = users[nextUser++ % users.length]!;
  const session = fake.addSession({ userId });
  created.get(userId)!.push(session);
  const body =
    Math.random() < SET_SESSION_SHARE ? setSessionResponse(session.id) : createSessionResponse(session);
  const record: Sent = { userId, body, phase };
  sent.push(record);
  inFlight += 1;
  peakInFlight = Math.max(peakInFlight, inFlight);
  if (inFlight > MAX_IN_FLIGHT) overloaded = true;
  // The round-robin front: consecutive webhooks, and so one user's logins, go to different replicas.
  const url = replicaUrls[sent.length % replicaUrls.length]!;
  void postWebhook(url, body, signatureHeader(body, KEY), 30_000).then((answer) => {
    record.answer = answer;
    inFlight -= 1;
  });
}

/** Holds `RATE` logins per second for `seconds`, whatever the answers take (an open loop, like real users). */
async function holdRate(seconds: number, phase: Sent['phase'], onSecond: () => void): Promise<number> {
  const started = performance.now();
  const endAt = started + seconds * 1000;
  let fired = 0;
  let lastSecond = 0;
  while (performance.now() < endAt) {
    const due = Math.floor(((performance.now() - started) / 1000) * RATE) + 1;
    while (fired < due) {
      login(phase);
      fired += 1;
    }
    const second = Math.floor((performance.now() - started) / 1000);
    if (second > lastSecond) {
      lastSecond = second;
      onSecond();
    }
    await sleep(5);
  }
  return fired / ((performance.now() - started) / 1000);
}

async function drain(): Promise<void> {
  const until = performance.now() + 60_000;
  while (inFlight > 0 && performance.now() < until) await sleep(20);
}

/** The user's sessions that must survive: the N newest by creation date, then id (as the decision orders them). */
function newestIds(sessions: readonly FakeSession[]): string[] {
  return [...sessions]
    .sort(
      (a, b) => b.creationDate.getTime() - a.creationDate.getTime() || (BigInt(b.id) > BigInt(a.id) ? 1 : -1),
    )
    .slice(0, LIMIT)
    .map((session) => session.id)
    .sort();
}

let replicaUrls: string[] = [];

/** A webhook whose user may still be above N: answered with an error, undecided, or with deletions that failed. */
function needsAnotherPass(answer: Answer | undefined): boolean {
  if (answer?.status !== 200) return true;
  const body = JSON.parse(answer.body) as { outcome?: string; failedCount?: number; remaining?: number };
  return body.outcome === 'undecided' || (body.failedCount ?? 0) > 0 || (body.remaining ?? 0) > 0;
}

const outcomeOf = (answer: Answer): string => {
  if (answer.status !== 200) return answer.status === 0 ? 'connection failed' : String(answer.status);
  const body = JSON.parse(answer.body) as { outcome?: string; reason?: string };
  return body.outcome === 'undecided' ? `undecided (${body.reason ?? '?'})` : (body.outcome ?? '?');
};

interface GoodputPoint {
  readonly offered: number;
  readonly sent: number;
  readonly goodput: number;
  readonly undecided: number;
  readonly errors: number;
  readonly late: number;
  readonly p50: number;
  readonly p99: number;
}

/**
 * One step of the goodput curve: `rate` logins per second for GOODPUT_SECONDS, each of a fresh user one session over
 * N, so each decision is GetSession, search and one delete. Goodput counts the webhooks decided within the deadline.
 */
async function goodputAt(rate: number): Promise<GoodputPoint> {
  const pending: Promise<Answer>[] = [];
  const started = performance.now();
  for (let i = 0; performance.now() - started < GOODPUT_SECONDS * 1000;) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate) + 1;
    for (; i < due; i++) {
      const userId = `goodput-${rate}-${i}`;
      for (let k = 0; k < LIMIT; k++)
        fake.addSession({ userId, creationDate: new Date(Date.now() - (10 + k) * MINUTE) });
      const body = createSessionResponse(fake.addSession({ userId }));
      const url = replicaUrls[i % replicaUrls.length]!;
      pending.push(postWebhook(url, body, signatureHeader(body, KEY), DEADLINE_MS + 30_000));
    }
    await sleep(5);
  }
  const answers = await Promise.all(pending);
  const decided = answers.filter(
    (answer) => answer.ms <= DEADLINE_MS && /^(enforced|within_limit|denied)$/.test(outcomeOf(answer)),
  );
  const latencies = answers.map((answer) => answer.ms);
  return {
    offered: rate,
    sent: answers.length,
    goodput: decided.length / GOODPUT_SECONDS,
    undecided: answers.filter((answer) => outcomeOf(answer).startsWith('undecided')).length,
    errors: answers.filter((answer) => answer.status !== 200).length,
    late: answers.filter((answer) => answer.ms > DEADLINE_MS + ANSWER_SLACK_MS).length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

async function main(): Promise<void> {
  const host = machine();
  const failures: string[] = [];
  await fake.start();
  // Each user starts with a few sessions from earlier in the day, some of them above the limit already.
  for (const userId of users) {
    for (let i = 0; i < Math.floor(Math.random() * 5); i++) {
      created
        .get(userId)!
        .push(fake.addSession({ userId, creationDate: new Date(Date.now() - (10 + i) * MINUTE) }));
    }
  }
  const replicas = await Promise.all(
    Array.from({ length: REPLICAS }, () =>
      startOurs({ INSTANCE_URL: fake.url, PAT, SIGNING_KEY: KEY, CONCURRENT_SESSIONS: String(LIMIT) }),
    ),
  );
  replicaUrls = replicas.map((replica) => replica.url);
  let exitCodes: (number | null)[];
  const rssSamples: number[][] = replicas.map(() => []);
  const heapSamples: Promise<number>[][] = replicas.map(() => []);
  let steadyRate: number;
  const resent: Answer[] = [];
  const goodput: GoodputPoint[] = [];
  let flood: UnsignedFloodResult | undefined;
  let silent: SilentFloodResult | undefined;
  try {
    process.stdout.write(
      `warm-up ${WARMUP_SECONDS} s, then ${SECONDS} s at ${RATE} webhooks/s across ${USERS} users, ${FAULT_RATE * 100}% ZITADEL faults…\n`,
    );
    const trim = () => {
      fake.seen.length = 0;
    };
    await holdRate(WARMUP_SECONDS, 'warmup', trim);
    steadyRate = await holdRate(SECONDS, 'steady', () => {
      trim();
      replicas.forEach((replica, i) => {
        rssSamples[i]!.push(memoryOf(replica.pid).rssMb);
        heapSamples[i]!.push(heapUsedMb(replica.url));
      });
    });
    await drain();

    // The quiet pass: ZITADEL is healthy again; the failed webhooks are re-sent once, each to another replica.
    fake.options.faults = undefined;
    const failed = sent.filter((record) => needsAnotherPass(record.answer));
    process.stdout.write(`quiet pass: re-sending ${failed.length} failed webhooks once…\n`);
    for (const [i, record] of failed.entries()) {
      const url = replicaUrls[(i + 1) % replicaUrls.length]!;
      resent.push(await postWebhook(url, record.body, signatureHeader(record.body, KEY)));
    }

    // The goodput curve: ZITADEL slow, offered load stepping up; every replica is idle between steps.
    fake.options.latencyMs = SLOW_LATENCY_MS;
    for (const rate of GOODPUT_RATES) {
      process.stdout.write(
        `goodput: ${rate} webhooks/s for ${GOODPUT_SECONDS} s, ZITADEL at ${SLOW_LATENCY_MS} ms a call…\n`,
      );
      goodput.push(await goodputAt(rate));
    }
    fake.options.latencyMs = LATENCY_MS;
    if (FLOOD_SECONDS > 0) {
      process.stdout.write(
        `unsigned flood: ${FLOOD_CLIENTS} clients × ${FLOOD_BODY_BYTES / 1024} KB bodies held back, ${FLOOD_SECONDS} s, against replica 1…\n`,
      );
      const replica = replicas[0]!;
      flood = await unsignedFlood(
        replica.url,
        replica.pid,
        { seconds: FLOOD_SECONDS, clients: FLOOD_CLIENTS, bodyBytes: FLOOD_BODY_BYTES },
        async () => {
          // A user of its own, so the flood's login does not change the users the verdict checks.
          const body = createSessionResponse(fake.addSession({ userId: 'flood-phase-user' }));
          return (await postWebhook(replica.url, body, signatureHeader(body, KEY), 30_000)).status;
        },
      );
    }

    if (SILENT_SECONDS > 0) {
      process.stdout.write(
        `silent flood: ${SILENT_MAX_CONNECTIONS} sockets that send nothing (MAX_CONNECTIONS=${SILENT_MAX_CONNECTIONS}), reopened at once, ${SILENT_SECONDS} s…\n`,
      );
      const capped = await startOurs({
        INSTANCE_URL: fake.url,
        PAT,
        SIGNING_KEY: KEY,
        CONCURRENT_SESSIONS: String(LIMIT),
        MAX_CONNECTIONS: String(SILENT_MAX_CONNECTIONS),
      });
      try {
        silent = await silentFlood(
          capped.url,
          { seconds: SILENT_SECONDS, sockets: SILENT_MAX_CONNECTIONS, loginEveryMs: 200 },
          () => {
            const body = createSessionResponse(fake.addSession({ userId: 'silent-phase-user' }));
            return { body, signature: signatureHeader(body, KEY) };
          },
        );
      } finally {
        await capped.stop();
      }
    }

    for (const [i, replica] of replicas.entries()) {
      const health = await fetch(`${replica.url}/healthz`)
        .then((res) => res.status)
        .catch(() => 0);
      if (!replica.isRunning() || health !== 200)
        failures.push(`replica ${i + 1} is not serving after the run (healthz ${health})`);
    }
  } finally {
    closeWebhookConnections();
    exitCodes = (await Promise.all(replicas.map((replica) => replica.stop()))) as (number | null)[];
    await fake.stop();
  }
  if (exitCodes.some((code) => code !== 0))
    failures.push(`replicas exited with ${exitCodes.map(String).join(', ')} on SIGTERM`);

  // ---- verdicts ----------------------------------------------------------------------------------------------
  const steady = sent.filter((record) => record.phase === 'steady');
  const answers = steady
    .map((record) => record.answer)
    .filter((answer): answer is Answer => answer !== undefined);
  const byStatus = new Map<number, number>();
  for (const answer of answers) byStatus.set(answer.status, (byStatus.get(answer.status) ?? 0) + 1);
  const unexpected = [...byStatus].filter(([status]) => status !== 200 && status !== 502);
  if (unexpected.length > 0)
    failures.push(
      `unexpected answers: ${unexpected.map(([status, count]) => `${count}× ${status === 0 ? 'connection failed' : status}`).join(', ')}`,
    );
  if (answers.length !== steady.length)
    failures.push(`${steady.length - answers.length} webhooks never got an answer`);
  if (overloaded || steadyRate < RATE * 0.9)
    failures.push(`could not hold ${RATE}/s (held ${fmt(steadyRate, 1)}/s, peak ${peakInFlight} in flight)`);
  const resentFailed = resent.filter((answer) => needsAnotherPass(answer)).length;
  for (const point of goodput) {
    if (point.errors > 0)
      failures.push(`${point.errors} error answers at ${point.offered}/s with ZITADEL slow`);
    if (point.late > 0) failures.push(`${point.late} answers after the deadline at ${point.offered}/s`);
  }
  if (resentFailed > 0) failures.push(`${resentFailed} re-sent webhooks failed with ZITADEL healthy`);

  // Memory per replica: the median of the first and the last third of the steady phase.
  const thirds = (samples: number[]) => {
    const third = Math.max(1, Math.floor(samples.length / 3));
    const firstThird = median(samples.slice(0, third));
    const lastThird = median(samples.slice(-third));
    return { firstThird, lastThird, growthMb: lastThird - firstThird, samples };
  };
  const memory = rssSamples.map(thirds);
  const heap = await Promise.all(
    heapSamples.map(async (samples) => thirds((await Promise.all(samples)).filter(Number.isFinite))),
  );
  for (const [i, h] of heap.entries()) {
    const flat = h.growthMb <= Math.max(MEMORY_GROWTH_ALLOWED_MB, h.firstThird * MEMORY_GROWTH_ALLOWED_SHARE);
    if (!flat)
      failures.push(
        `replica ${i + 1}'s JS heap in use grew from ${fmt(h.firstThird, 1)} MiB to ${fmt(h.lastThird, 1)} MiB`,
      );
  }

  if (silent !== undefined) {
    const kept = silent.logins.filter((login) => login.status !== 200);
    const slow = silent.logins.filter((login) => login.ms > SILENT_LOGIN_BOUND_MS);
    if (silent.logins.length === 0) failures.push('no login was sent during the silent flood');
    if (kept.length > 0)
      failures.push(
        `${kept.length} of ${silent.logins.length} logins during the silent flood were not answered 200`,
      );
    if (slow.length > 0)
      failures.push(
        `${slow.length} logins during the silent flood took longer than ${SILENT_LOGIN_BOUND_MS} ms to be answered`,
      );
  }
  // What a refused connection holds is small (README: its headers and one socket read, 80 KiB), but a flood that
  // reconnects about a thousand times a second churns through a few hundred MB/s of refused bytes, and the heap and
  // allocator keep some of that: RSS rises to a plateau (about +80 MiB here) and stays there, however long the
  // flood lasts. Fail well above that plateau, well below what buffering the bodies would cost (300 × 255 KB).
  const floodBoundMb = 160;
  if (flood !== undefined) {
    if (flood.keptWaiting > 0)
      failures.push(`${flood.keptWaiting} unsigned flood connections were kept waiting for their body`);
    if (flood.loginStatus !== 200) failures.push(`the login sent during the flood got ${flood.loginStatus}`);
    if (flood.rssPeakMb - flood.rssBeforeMb > floodBoundMb)
      failures.push(
        `replica 1's RSS grew by ${fmt(flood.rssPeakMb - flood.rssBeforeMb, 1)} MiB under the unsigned flood (bound ${fmt(floodBoundMb)} MiB)`,
      );
  }

  const wrongUsers = users.filter((userId) => {
    const live = fake
      .liveSessionsOf(userId)
      .map((session) => session.id)
      .sort();
    return JSON.stringify(live) !== JSON.stringify(newestIds(created.get(userId)!));
  });
  if (wrongUsers.length > 0) {
    const example = wrongUsers[0]!;
    failures.push(
      `${wrongUsers.length} users do not hold exactly their ${LIMIT} newest sessions (e.g. ${example}: ${fake.liveSessionsOf(example).length} live)`,
    );
  }

  const calls = recorder.calls;
  const faulted = calls.filter(
    (call) => call.outcome === 'reset' || call.outcome === 503 || call.outcome === 429,
  ).length;
  const latencies = answers.map((answer) => answer.ms);
  const okLatencies = answers.filter((answer) => answer.status === 200).map((answer) => answer.ms);
  const verdict = failures.length === 0 ? '**PASS**' : `**FAIL**: ${failures.join('; ')}`;

  const markdown = [
    '## `npm run loadtest`',
    '',
    machineMarkdown(host),
    `${REPLICAS} real limiter processes behind a round-robin front, N = ${LIMIT}, defaults otherwise. Fake ZITADEL: ${LATENCY_MS} ms per call,`,
    'its search never nudged after a write (only a GetSession or the 60 s schedule brings it up to date),',
    `${FAULT_RATE * 100}% of calls answered with 503, 429 (Retry-After: 0) or a reset connection. ${USERS} users, ${SET_SESSION_SHARE * 100}% of`,
    `logins through SetSession, the rest CreateSession by userId; ${WARMUP_SECONDS} s warm-up, then ${SECONDS} s steady.`,
    '',
    `Verdict: ${verdict}`,
    '',
    markdownTable(
      ['', 'value'],
      [
        [
          'webhooks in the steady phase (rate held)',
          `${steady.length} (${fmt(steadyRate, 1)}/s; peak ${peakInFlight} in flight)`,
        ],
        [
          'answered 200 (of which undecided) / 502 / other',
          `${byStatus.get(200) ?? 0} (${answers.filter((answer) => outcomeOf(answer).startsWith('undecided')).length}) / ${byStatus.get(502) ?? 0} / ${answers.length - (byStatus.get(200) ?? 0) - (byStatus.get(502) ?? 0)}`,
        ],
        [
          'ZITADEL calls / faults injected',
          `${calls.length} / ${faulted} (${fmt((100 * faulted) / Math.max(1, calls.length), 1)}%)`,
        ],
        [
          'latency p50 / p99, all answers (ms)',
          `${fmt(percentile(latencies, 50))} / ${fmt(percentile(latencies, 99))}`,
        ],
        [
          'latency p50 / p99, 200 answers (ms)',
          `${fmt(percentile(okLatencies, 50))} / ${fmt(percentile(okLatencies, 99))}`,
        ],
        [
          'failed webhooks (warm-up included) re-sent once in the quiet pass / still failing',
          `${resent.length} / ${resentFailed}`,
        ],
        [
          'users holding exactly their N newest sessions afterwards',
          `${USERS - wrongUsers.length} of ${USERS}`,
        ],
        ...heap.map((h, i) => [
          `replica ${i + 1} JS heap in use, median of first → last third (MiB; the verdict)`,
          `${fmt(h.firstThird, 1)} → ${fmt(h.lastThird, 1)} (${h.growthMb >= 0 ? '+' : ''}${fmt(h.growthMb, 1)}; min ${fmt(Math.min(...h.samples), 1)}, max ${fmt(Math.max(...h.samples), 1)})`,
        ]),
        ...memory.map((m, i) => [
          `replica ${i + 1} RSS, median of first → last third (MiB)`,
          `${fmt(m.firstThird, 1)} → ${fmt(m.lastThird, 1)} (${m.growthMb >= 0 ? '+' : ''}${fmt(m.growthMb, 1)}; min ${fmt(Math.min(...m.samples), 1)}, max ${fmt(Math.max(...m.samples), 1)}, ${m.samples.length} samples)`,
        ]),
        ...(flood === undefined
          ? []
          : [
              [
                `unsigned flood (${FLOOD_CLIENTS} clients, ${FLOOD_BODY_BYTES / 1024} KB bodies held back, ${FLOOD_SECONDS} s): connections / refused at once / kept waiting`,
                `${flood.connections} / ${flood.refused} / ${flood.keptWaiting}`,
              ],
              [
                'replica 1 RSS before → peak of the flood (MiB)',
                `${fmt(flood.rssBeforeMb, 1)} → ${fmt(flood.rssPeakMb, 1)} (+${fmt(flood.rssPeakMb - flood.rssBeforeMb, 1)}; bound +${fmt(floodBoundMb)})`,
              ],
              ['signed login sent during the flood', String(flood.loginStatus)],
            ]),
        ...(silent === undefined
          ? []
          : [
              [
                `silent flood (${SILENT_MAX_CONNECTIONS} sockets = MAX_CONNECTIONS, reopened at once, ${SILENT_SECONDS} s): silent connections opened`,
                String(silent.connections),
              ],
              [
                'logins on new connections during it: answered 200 / sent; median / slowest answer (ms)',
                `${silent.logins.filter((login) => login.status === 200).length} / ${silent.logins.length}; ${fmt(median(silent.logins.map((login) => login.ms)), 0)} / ${fmt(Math.max(0, ...silent.logins.map((login) => login.ms)), 0)} (bound ${SILENT_LOGIN_BOUND_MS})`,
              ],
            ]),
        ['exit codes on SIGTERM', exitCodes.map(String).join(', ')],
      ],
    ),
    '',
    `"Undecided" (a 200: the login passes under ON_FAILURE=allow) is the limiter saying "ZITADEL kept failing through all`,
    `my retries (${DEFAULT_RETRY_POLICY.maxAttempts} attempts per call) or my deadline". ZITADEL does not retry a restWebhook, so those logins keep`,
    'their surplus until the next enforcement (here: the re-send, standing in for the next login or a sweep).',
    '',
    `### Goodput with ZITADEL slow (${SLOW_LATENCY_MS} ms a call, no faults)`,
    '',
    `Open loop: each offered rate held ${GOODPUT_SECONDS} s, each login one session over N (GetSession, search, one delete: about`,
    `${(3 * SLOW_LATENCY_MS) / 1000} s of waiting), ${REPLICAS} replicas with the default MAX_CONCURRENT_ENFORCEMENTS (32 each). Goodput counts`,
    'the webhooks decided within the deadline; the rest are answered "undecided" (the login passes), never a 5xx.',
    '',
    markdownTable(
      [
        'offered / s',
        'sent',
        'goodput / s',
        'undecided',
        '5xx or failed',
        'later than deadline + 1.5 s',
        'p50 ms',
        'p99 ms',
      ],
      goodput.map((point) => [
        String(point.offered),
        String(point.sent),
        fmt(point.goodput, 1),
        String(point.undecided),
        String(point.errors),
        String(point.late),
        fmt(point.p50),
        fmt(point.p99),
      ]),
    ),
  ].join('\n');
  process.stdout.write(`\n${markdown}\n`);
  const written = writeSection('loadtest', markdown);
  process.stdout.write(`\nWrote the loadtest section of ${written}.\n`);
  if (failures.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
