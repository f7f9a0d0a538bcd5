import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeZitadel } from '../support/fakeZitadel.js';
import { runLimiterExpectingFailure, startLimiter } from '../support/limiterProcess.js';
import { startupRefusal } from '../support/limiterInProcess.js';

const PAT = 'listen-pat-value-3Wq';
const KEY = 'listen-signing-key-8Tn';

/** The address the server reported in its "listening" line (the one `server.address()` gives). */
function listeningLine(output: readonly string[]): Record<string, unknown> {
  const line = output.find((text) => text.includes('zitadel-session-limiter listening'));
  expect(line, output.join('\n')).toBeDefined();
  return JSON.parse(line ?? '{}') as Record<string, unknown>;
}

describe('where the server listens (HOST)', () => {
  const zitadel = new FakeZitadel({ acceptedTokens: [PAT] });
  const env = () => ({ INSTANCE_URL: zitadel.url, PAT, SIGNING_KEY: KEY });

  beforeAll(async () => {
    await zitadel.start();
  });
  afterAll(async () => {
    await zitadel.stop();
  });

  it('listens on every interface when HOST is not set, as the blog sample does', async () => {
    const limiter = await startLimiter(env());
    try {
      expect(['::', '0.0.0.0']).toContain(listeningLine(limiter.output).host);
      expect((await fetch(`${limiter.url}/healthz`)).status).toBe(200);
    } finally {
      await limiter.stop();
    }
  });

  it('listens on loopback only with HOST=127.0.0.1, for a proxy in front on the same machine', async () => {
    const limiter = await startLimiter({ ...env(), HOST: '127.0.0.1' });
    try {
      expect(listeningLine(limiter.output)).toMatchObject({ host: '127.0.0.1' });
      expect((await fetch(`${limiter.url}/healthz`)).status).toBe(200);
    } finally {
      await limiter.stop();
    }
  });

  // In process, through main.ts's start-up steps: a refusal's exit 78 is proven once, in credentials.test.ts.
  it('refuses to start on a HOST that is not an address, naming HOST and the fix', () => {
    const refusal = startupRefusal({ ...env(), HOST: 'my-laptop' });

    expect(refusal).toContain('HOST must be an IP address to listen on: 127.0.0.1');
    expect(refusal).toContain('0.0.0.0 (every IPv4 interface');
    expect(refusal).not.toContain('my-laptop');
  });

  it('says HOST is not an address of this machine, instead of a bare "server failed"', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never assigned to a machine, so binding to it fails.
    const run = await runLimiterExpectingFailure({ ...env(), HOST: '192.0.2.1', PORT: '0' });

    expect(run.code).toBe(1);
    expect(run.output).toContain('HOST is not an address of this machine');
    expect(run.output).toContain('EADDRNOTAVAIL');
  });
});
