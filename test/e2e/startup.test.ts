import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeZitadel } from '../support/fakeZitadel.js';
import { runLimiterExpectingFailure, startLimiter, type LimiterProcess } from '../support/limiterProcess.js';
import { startLimiterInProcess } from '../support/limiterInProcess.js';

const PAT = 'startup-pat-value-6Jm';
const KEY = 'startup-signing-key-1Pz';

/** Waits for the start-up summary line (it follows the first ZITADEL check) and returns it parsed. */
async function startupLine(limiter: LimiterProcess): Promise<Record<string, unknown>> {
  for (let waited = 0; waited < 15_000; waited += 50) {
    const line = limiter.output.find((text) => text.includes('zitadel-session-limiter started'));
    if (line !== undefined) return JSON.parse(line) as Record<string, unknown>;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no start-up line:\n${limiter.output.join('\n')}`);
}

describe('the start-up line', () => {
  const zitadel = new FakeZitadel({ acceptedTokens: [PAT] });

  beforeAll(async () => {
    await zitadel.start();
  });
  afterAll(async () => {
    await zitadel.stop();
  });

  it('says what the limiter will do and that ZITADEL answers', async () => {
    const limiter = await startLimiter({
      INSTANCE_URL: zitadel.url,
      PAT,
      SIGNING_KEY: KEY,
      CONCURRENT_SESSIONS: '3',
      LIMIT_STRATEGY: 'deny-new',
    });
    try {
      expect(await startupLine(limiter)).toMatchObject({
        level: 'info',
        instance: zitadel.url,
        credential: 'pat',
        limit: 3,
        strategy: 'deny-new',
        dryRun: false,
        zitadel: 'ready',
      });
      expect(zitadel.requests('POST', '/v2/sessions/search').length).toBeGreaterThan(0);
      expect(limiter.output.join('\n')).not.toContain(PAT);
    } finally {
      await limiter.stop();
    }
  });

  // The two below need no process: the line is startupLine's (what main.ts logs), checked against the fake ZITADEL
  // with the server wired and listening as main.ts does it, in this process. The one above proves the process prints it.
  it('says which rule is degraded when the credential lacks policy.read, and serves anyway', async () => {
    zitadel.withheldPermissions.set(PAT, new Set(['policy.read']));
    const limiter = await startLimiterInProcess({ INSTANCE_URL: zitadel.url, PAT, SIGNING_KEY: KEY });
    try {
      expect(limiter.startupLine).toMatchObject({ level: 'warn', zitadel: 'ready', inForce: [] });
      expect(limiter.startupLine.degraded).toEqual([
        'COUNT_WHEN=signed-in (no policy.read: forced MFA for users without a second factor is unknown)',
      ]);
      expect((await fetch(`${limiter.url}/readyz`)).status).toBe(200);
    } finally {
      zitadel.withheldPermissions.clear();
      await limiter.stop();
    }
  });

  it('says why when ZITADEL refuses, and serves anyway', async () => {
    const limiter = await startLimiterInProcess({
      INSTANCE_URL: zitadel.url,
      PAT: 'revoked-pat-8Hh',
      SIGNING_KEY: KEY,
    });
    try {
      expect(limiter.startupLine).toMatchObject({
        level: 'warn',
        credential: 'pat',
        zitadel: 'not_ready',
        reason: 'zitadel_rejected',
      });
      expect((await fetch(`${limiter.url}/healthz`)).status).toBe(200);
      expect(limiter.output.join('\n')).not.toContain('revoked-pat-8Hh');
    } finally {
      await limiter.stop();
    }
  });
});

describe('a port that is taken', () => {
  let occupied: http.Server;
  let port: number;

  beforeAll(async () => {
    occupied = http.createServer();
    await new Promise<void>((resolve) => occupied.listen(0, resolve));
    port = (occupied.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => occupied.close(resolve));
  });

  it('stops with exit 1 and names the port and PORT', async () => {
    const run = await runLimiterExpectingFailure({
      INSTANCE_URL: 'http://127.0.0.1:9',
      PAT,
      SIGNING_KEY: KEY,
      PORT: String(port),
    });
    expect(run.code).toBe(1);
    expect(run.output).toContain(`port ${port} is already in use; set PORT to another port`);
  });
});
