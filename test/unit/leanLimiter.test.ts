import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLeanLimiter } from '../../bench/leanLimiter.js';
import { closeWebhookConnections, postWebhook } from '../../bench/support.js';
import { FakeZitadel } from '../support/fakeZitadel.js';
import {
  createSessionResponse,
  setSessionResponse,
  signatureHeader,
  usernameStepResponse,
} from '../support/webhooks.js';

// The bench compares ours against this twin: its numbers mean something only if it takes the same decision.
const KEY = 'twin-signing-key';
const MINUTE = 60_000;
const fake = new FakeZitadel({ acceptedTokens: ['twin-pat'] });
let server: Server;
let url: string;

beforeAll(async () => {
  await fake.start();
  server = createLeanLimiter({ instanceUrl: fake.url, pat: 'twin-pat', signingKey: KEY, limit: 2 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  closeWebhookConnections();
  await new Promise((resolve) => server.close(resolve));
  await fake.stop();
});
beforeEach(() => fake.reset());

const send = (body: string, signature = signatureHeader(body, KEY)) => postWebhook(url, body, signature);
const oldSession = (userId: string, minutesAgo: number) =>
  fake.addSession({ userId, creationDate: new Date(Date.now() - minutesAgo * MINUTE) });
const liveIds = (userId: string) => fake.liveSessionsOf(userId).map((session) => session.id);

describe('the lean twin of the bench', () => {
  it('deletes the oldest sessions beyond the limit and keeps the newest with the login', async () => {
    const oldest = oldSession('u-1', 30);
    const older = oldSession('u-1', 20);
    const newer = oldSession('u-1', 10);
    const other = oldSession('u-2', 40);
    const login = fake.addSession({ userId: 'u-1' });
    const answer = await send(createSessionResponse(login));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ outcome: 'evicted', deletedCount: 2 });
    expect(liveIds('u-1').sort()).toEqual([newer.id, login.id].sort());
    expect(liveIds('u-2')).toEqual([other.id]);
    expect(
      fake
        .requests('DELETE', '/v2/sessions/')
        .map((r) => r.path)
        .sort(),
    ).toEqual([`/v2/sessions/${oldest.id}`, `/v2/sessions/${older.id}`].sort());
  });

  it('confirms the trigger with GetSession, so a SetSession payload without a user works too', async () => {
    oldSession('u-3', 20);
    oldSession('u-3', 10);
    const login = fake.addSession({ userId: 'u-3' });
    const answer = await send(setSessionResponse(login.id));
    expect(JSON.parse(answer.body)).toMatchObject({ deletedCount: 1 });
    expect(fake.requests('GET', `/v2/sessions/${login.id}`)).toHaveLength(1);
    expect(liveIds('u-3')).toHaveLength(2);
  });

  it('deletes nothing under the limit and counts no session without a verified factor', async () => {
    fake.addSession({ userId: 'u-4', factors: [] });
    const login = fake.addSession({ userId: 'u-4' });
    const answer = await send(createSessionResponse(login));
    expect(JSON.parse(answer.body)).toEqual({ outcome: 'within_limit', deletedCount: 0 });
    expect(fake.requests('DELETE', '/v2/sessions/')).toHaveLength(0);
  });

  it('changes nothing for a username step', async () => {
    oldSession('u-5', 20);
    oldSession('u-5', 10);
    const step = fake.addSession({ userId: 'u-5', factors: [] });
    const answer = await send(usernameStepResponse(step));
    expect(JSON.parse(answer.body)).toEqual({ outcome: 'ignored' });
    expect(liveIds('u-5')).toHaveLength(3);
  });

  it('refuses a body signed with another key, and one that is not JSON', async () => {
    const login = fake.addSession({ userId: 'u-6' });
    const body = createSessionResponse(login);
    expect((await send(body, signatureHeader(body, 'other-key'))).status).toBe(401);
    expect((await send('not json')).status).toBe(400);
    expect(fake.requests('GET', '/v2/sessions/')).toHaveLength(0);
  });

  it('answers 200 undecided when ZITADEL fails, never failing the login', async () => {
    oldSession('u-7', 20);
    oldSession('u-7', 10);
    const login = fake.addSession({ userId: 'u-7' });
    fake.queuedFaults.push(503);
    const answer = await send(createSessionResponse(login));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ outcome: 'undecided' });
  });
});
