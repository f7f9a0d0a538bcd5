/**
 * `npm run demo`: the limiter's story in about ten seconds, with nothing to install or configure. A fake ZITADEL
 * (test/support/fakeZitadel.ts) and the real service, wired as `src/main.ts` wires it, talk over real HTTP;
 * every webhook is signed the way ZITADEL signs it.
 */
import type { AddressInfo } from 'node:net';
import { runCli } from '../src/cli/runCli.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logging/logger.js';
import { buildService } from '../src/service.js';
import { FakeZitadel, type FakeSession } from '../test/support/fakeZitadel.js';
import {
  createSessionResponse,
  setSessionResponse,
  signatureHeader,
  usernameStepResponse,
} from '../test/support/webhooks.js';

const PAT = 'demo-pat';
const SIGNING_KEY = 'demo-signing-key';
const ALICE = '310000000000000001';
const BOB = '310000000000000002';
const CAROL = '310000000000000003';
const LIMIT = 2;
const DEMO_BUDGET_MS = 30_000;

// Whatever happens, the demo ends: a hung step fails it instead of hanging the terminal or CI.
setTimeout(() => {
  process.stderr.write('demo: did not finish within 30 s\n');
  process.exit(1);
}, DEMO_BUDGET_MS).unref();

const devices = new Map<string, string>();
const nameOf = (id: string) => devices.get(id) ?? id;
const names = (ids: unknown) =>
  Array.isArray(ids) && ids.length > 0 ? ids.map((id) => nameOf(String(id))).join(', ') : '-';

const zitadel = await new FakeZitadel({ acceptedTokens: [PAT] }).start();
const config = loadConfig({
  INSTANCE_URL: zitadel.url,
  PAT,
  SIGNING_KEY,
  CONCURRENT_SESSIONS: String(LIMIT),
  LIMIT_STRATEGY: 'evict-oldest',
  LIMIT_METADATA_KEY: 'session_limit',
  LOG_LEVEL: 'silent',
});
const server = buildService(config, createLogger('silent')).listen(0, '127.0.0.1');
await new Promise<void>((resolve) => server.once('listening', () => resolve()));
const limiterUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

/** What ZITADEL does after a login: POST the signed response-condition payload to the target. */
async function deliver(
  body: string,
  sentAtSeconds?: number,
): Promise<{ status: number; answer: Record<string, unknown> }> {
  const res = await fetch(`${limiterUrl}/session/manage`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'ZITADEL-Signature': signatureHeader(body, SIGNING_KEY, sentAtSeconds),
    },
    body,
  });
  return { status: res.status, answer: (await res.json()) as Record<string, unknown> };
}

// What each device's login UI reports (userAgent.description and .ip), so the sessions listing shows distinct
// devices as it would for a real user; addresses from the documentation ranges (RFC 5737).
const DEVICE_AGENTS: Record<string, { userAgentDescription: string; userAgentIp: string }> = {
  laptop: { userAgentDescription: 'Firefox on macOS', userAgentIp: '198.51.100.23' },
  phone: { userAgentDescription: 'Safari on iOS', userAgentIp: '203.0.113.54' },
  tablet: { userAgentDescription: 'Chrome on Android', userAgentIp: '203.0.113.81' },
  'work PC': { userAgentDescription: 'Edge on Windows', userAgentIp: '192.0.2.140' },
  kiosk: { userAgentDescription: 'Chrome on ChromeOS', userAgentIp: '192.0.2.7' },
  TV: { userAgentDescription: 'Samsung Internet on Tizen', userAgentIp: '198.51.100.9' },
};

/** A session on `device`: Login V2 sends the browser's fingerprint cookie, one per device. */
function login(device: string, init: Partial<FakeSession> = {}): FakeSession {
  const session = zitadel.addSession({
    userId: ALICE,
    loginName: 'alice@example.com',
    fingerprintId: `fp-${device}`,
    ...DEVICE_AGENTS[device],
    ...init,
  });
  devices.set(session.id, device);
  return session;
}

/** The devices a user holds a signed-in session on, most recent first (a device with several sessions once). */
const holds = (userId = ALICE) =>
  [
    ...new Set(
      zitadel
        .liveSessionsOf(userId)
        .filter((session) => session.factors.length > 0 && nameOf(session.id) !== 'stranger')
        .sort((a, b) => b.changeDate.getTime() - a.changeDate.getTime())
        .map((session) => nameOf(session.id)),
    ),
  ].join(', ');

const say = (line = '') => process.stdout.write(`${line}\n`);

try {
  say(
    `ZITADEL session limiter demo: at most ${LIMIT} devices per user (evict-oldest), more for users whose plan says so.`,
  );
  say(`Fake ZITADEL on ${zitadel.url}, limiter on ${limiterUrl}/session/manage.`);
  say();

  say('1. Alice signs in on four devices, one after another.');
  for (const device of ['laptop', 'phone', 'tablet', 'work PC']) {
    const session = login(device);
    const { answer } = await deliver(createSessionResponse(session));
    say(
      `   ${device.padEnd(8)} signs in  -> ${String(answer.outcome).padEnd(12)} kept: ${names(answer.kept).padEnd(17)} deleted: ${names(answer.deleted)}`,
    );
    // Distinct creation times, so "oldest" is unambiguous.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  say(`   Alice now holds: ${holds()}.`);
  say();

  say("2. Someone types Alice's username on a fifth device, without a password.");
  const typed = login('kiosk', { factors: [] });
  const step = await deliver(usernameStepResponse(typed));
  say(
    `   kiosk    username  -> ${String(step.answer.outcome)} (${String(step.answer.reason)}): nothing deleted.`,
  );
  say(`   Alice still holds: ${holds()}. The kiosk's unauthenticated session does not count.`);
  say();

  say('3. A webhook arrives late: the TV signed in 30 minutes ago, its webhook is delivered only now.');
  const tv = login('TV', { creationDate: new Date(Date.now() - 30 * 60_000) });
  const lateBody = createSessionResponse(tv);
  const late = await deliver(lateBody);
  say(
    `   TV       late      -> ${String(late.answer.outcome).padEnd(12)} kept: ${names(late.answer.kept).padEnd(17)} deleted: ${names(late.answer.deleted)}`,
  );
  say('   The late login is the oldest, so it goes, not a newer one.');
  say();

  say('4. The same webhook is replayed ten minutes later.');
  const replay = await deliver(lateBody, Math.floor(Date.now() / 1000) - 600);
  say(
    `   replay             -> HTTP ${replay.status} ${String(replay.answer.error)}: refused, nothing changes.`,
  );
  say();

  say(
    '5. Alice signs in again on the work PC (the app asked her to log in again): a new session, same browser.',
  );
  const again = login('work PC');
  const relogin = await deliver(createSessionResponse(again));
  say(
    `   work PC  signs in  -> ${String(relogin.answer.outcome).padEnd(12)} devices: ${String(relogin.answer.devices)}, deleted: ${names(relogin.answer.deleted)}`,
  );
  say(`   Same device, no place taken: the tablet stays. Alice holds: ${holds()}.`);
  say();

  say(
    '6. Bob has set up TOTP and is signed in on his laptop and phone. Someone who knows his password signs in',
  );
  say('   on a third device, but cannot pass the second factor.');
  zitadel.authMethods.set(BOB, ['AUTHENTICATION_METHOD_TYPE_PASSWORD', 'AUTHENTICATION_METHOD_TYPE_TOTP']);
  for (const device of ['laptop', 'phone']) {
    const session = zitadel.addSession({
      userId: BOB,
      loginName: 'bob@example.com',
      fingerprintId: `fp-bob-${device}`,
      ...DEVICE_AGENTS[device],
      factors: ['password', 'totp'],
    });
    devices.set(session.id, device);
    await deliver(createSessionResponse(session));
  }
  const stranger = zitadel.addSession({
    userId: BOB,
    loginName: 'bob@example.com',
    factors: [],
    fingerprintId: 'fp-x',
    userAgentDescription: 'Chrome on Linux',
    userAgentIp: '203.0.113.200',
  });
  devices.set(stranger.id, 'stranger');
  zitadel.checkFactors(stranger.id, ['password']);
  const half = await deliver(setSessionResponse(stranger.id));
  say(
    `   stranger password  -> ${String(half.answer.outcome).padEnd(12)} counted: ${String(half.answer.counted)}, deleted: ${names(half.answer.deleted)}`,
  );
  say(`   A half-finished sign-in counts for nothing and evicts nobody. Bob holds: ${holds(BOB)}.`);
  say();

  say('7. Carol is on the premium plan: her metadata says session_limit=4 (one SetUserMetadata call).');
  zitadel.setUserMetadata(CAROL, 'session_limit', '4');
  for (const device of ['laptop', 'phone', 'tablet', 'TV']) {
    const session = zitadel.addSession({
      userId: CAROL,
      loginName: 'carol@example.com',
      fingerprintId: `fp-carol-${device}`,
      ...DEVICE_AGENTS[device],
    });
    devices.set(session.id, device);
    const { answer } = await deliver(createSessionResponse(session));
    say(
      `   ${device.padEnd(8)} signs in  -> ${String(answer.outcome).padEnd(12)} limit: ${String(answer.limit)} (${String(answer.limitSource)}), devices: ${String(answer.devices)}`,
    );
  }
  say(`   Carol holds: ${holds(CAROL)}; Alice, on the default plan, keeps ${LIMIT}.`);
  say();

  say('What the operator CLI shows now (npm run cli -- sessions alice@example.com):');
  say();
  const code = await runCli(['sessions', 'alice@example.com'], {
    env: {
      INSTANCE_URL: zitadel.url,
      PAT,
      CONCURRENT_SESSIONS: String(LIMIT),
      LIMIT_STRATEGY: 'evict-oldest',
      LIMIT_METADATA_KEY: 'session_limit',
    },
    stdout: process.stdout,
    stderr: process.stderr,
    now: Date.now,
  });
  if (code !== 0) throw new Error(`the sessions command exited with ${code}`);
  const legend = [...devices]
    .filter(([id]) => {
      const session = zitadel.sessions.get(id);
      return session?.userId === ALICE && session.terminatedAt === undefined;
    })
    .map(([id, device]) => `${id} is the ${device}`);
  say(`(${legend.join('; ')}.)`);
  say();
  say(`Done: Alice holds ${holds()}.`);
} finally {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await zitadel.stop();
}
