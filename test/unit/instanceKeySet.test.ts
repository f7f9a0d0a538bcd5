import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  instanceKeySet,
  KEY_SET_MAX_AGE_MS,
  PayloadRejectedError,
  UNKNOWN_KID_REFETCH_INTERVAL_MS,
} from '../../src/webhook/decodePayload.js';
import { FakeJwks, instanceWebKey, type InstanceWebKey } from '../support/payloadKeys.js';

// The key set is served over real loopback HTTP; every interval is read from the injected clock, never waited for.
let current: InstanceWebKey;
let next: InstanceWebKey;
let server: Server | undefined;

beforeAll(async () => {
  current = await instanceWebKey('web-key-current');
  next = await instanceWebKey('web-key-next');
});

afterEach(async () => {
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
});

async function serve(jwks: FakeJwks): Promise<string> {
  const app = express();
  jwks.mount(app);
  const started = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => started.once('listening', () => resolve()));
  server = started;
  return `http://127.0.0.1:${(started.address() as AddressInfo).port}`;
}

async function setUp() {
  const jwks = new FakeJwks([current]);
  let nowMs = 1_000_000;
  const resolve = instanceKeySet({ instanceUrl: await serve(jwks), timeoutMs: 5000, now: () => nowMs });
  const keyFor = (key: InstanceWebKey) =>
    resolve({ alg: key.alg, kid: key.kid }, { payload: '', signature: '', protected: '' });
  const outcomeFor = (key: InstanceWebKey) =>
    keyFor(key).then(
      () => 'accepted',
      (error: unknown) => (error instanceof PayloadRejectedError ? error.code : 'threw'),
    );
  return { jwks, keyFor, outcomeFor, advance: (ms: number) => (nowMs += ms) };
}

describe('the instance key set (JWT payloads)', () => {
  it('accepts a key the instance published just after our last fetch within a second of its publication', async () => {
    const { jwks, outcomeFor, advance } = await setUp();
    expect(await outcomeFor(current)).toBe('accepted');
    advance(100);
    jwks.keys = [current.publicJwk, next.publicJwk]; // published now, 100 ms after our fetch
    advance(100);
    const tooSoon = await outcomeFor(next);
    advance(UNKNOWN_KID_REFETCH_INTERVAL_MS - 200);

    expect(tooSoon).toBe('payload_key_unknown');
    expect(await outcomeFor(next)).toBe('accepted'); // 900 ms after publication
    expect(jwks.fetches).toBe(2);
  });

  it('costs at most one key-set fetch per second however many unknown kids arrive', async () => {
    const { jwks, outcomeFor, advance } = await setUp();
    const stranger = { ...next, kid: 'web-key-nobody-published' };
    const outcomes: string[] = [];
    for (let step = 0; step < 100; step++) {
      outcomes.push(await outcomeFor(stranger));
      advance(50); // 20 unknown kids a second for five seconds
    }
    expect(new Set(outcomes)).toEqual(new Set(['payload_key_unknown']));
    expect(jwks.fetches).toBeLessThanOrEqual(1 + 5);
    expect(jwks.fetches).toBeGreaterThanOrEqual(5);
  });

  it('shares one fetch among unknown kids that arrive together', async () => {
    const { jwks, outcomeFor, advance } = await setUp();
    await outcomeFor(current);
    jwks.keys = [current.publicJwk, next.publicJwk];
    advance(UNKNOWN_KID_REFETCH_INTERVAL_MS);
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => outcomeFor(next)));
    expect(outcomes).toEqual(Array.from({ length: 10 }, () => 'accepted'));
    expect(jwks.fetches).toBe(2);
  });

  it('answers known kids from the cache, and fetches again once the set is older than its maximum age', async () => {
    const { jwks, outcomeFor, advance } = await setUp();
    await outcomeFor(current);
    advance(KEY_SET_MAX_AGE_MS - 1);
    expect(await outcomeFor(current)).toBe('accepted');
    expect(jwks.fetches).toBe(1);
    jwks.keys = [next.publicJwk]; // the instance withdrew the old key
    advance(1);
    expect(await outcomeFor(current)).toBe('payload_key_unknown');
    expect(jwks.fetches).toBe(2);
  });

  it('after a failed fetch, does not ask again for the back-off, and still answers kids it already holds', async () => {
    const { jwks, outcomeFor, advance } = await setUp();
    await outcomeFor(current);
    jwks.failing = true;
    advance(UNKNOWN_KID_REFETCH_INTERVAL_MS);
    expect(await outcomeFor(next)).toBe('jwks_unavailable');
    advance(1000);
    expect(await outcomeFor(next)).toBe('jwks_unavailable');
    expect(await outcomeFor(current)).toBe('accepted');
    expect(jwks.fetches).toBe(2);
    jwks.failing = false;
    jwks.keys = [current.publicJwk, next.publicJwk];
    advance(4000);
    expect(await outcomeFor(next)).toBe('accepted');
    expect(jwks.fetches).toBe(3);
  });
});
