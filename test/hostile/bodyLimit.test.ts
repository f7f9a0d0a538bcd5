import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_BODY_BYTES } from '../../src/config.js';
import { parseSessionWebhook } from '../../src/webhook/parseSessionWebhook.js';
import { buildHarness, postWebhook } from '../support/harness.js';
import {
  largestCreateSessionBody,
  largestSessionEventBody,
  largestSetSessionBody,
} from '../support/largestPayloads.js';
import { useNockForZitadel } from '../support/nockZitadel.js';

const ZITADEL = 'https://zitadel.test';
const LARGEST = [
  ['CreateSession response', largestCreateSessionBody()],
  ['SetSession response', largestSetSessionBody()],
  ['session.webAuthN.checked event', largestSessionEventBody()],
] as const;

useNockForZitadel();

describe('MAX_BODY_BYTES is set from the largest session payload ZITADEL posts', () => {
  it('leaves at least twice the largest payload we can build as headroom', () => {
    const sizes = Object.fromEntries(LARGEST.map(([name, body]) => [name, Buffer.byteLength(body)]));
    const largest = Math.max(...Object.values(sizes));
    // Measured when the default was chosen: about 30 KB, 27 KB and 18 KB (README, "Running it in production").
    expect(largest).toBeGreaterThan(20_000);
    expect(largest).toBeLessThan(40_000);
    expect(DEFAULT_MAX_BODY_BYTES).toBe(64 * 1024);
    expect(DEFAULT_MAX_BODY_BYTES).toBeGreaterThanOrEqual(2 * largest);
  });

  it.each(LARGEST)('parses the largest %s as a session webhook', (_name, body) => {
    expect(parseSessionWebhook(JSON.parse(body)).kind).toBe('session');
  });

  it.each(LARGEST)(
    'accepts the largest %s under the default limit and asks ZITADEL about its session',
    async (_name, body) => {
      const { app, config } = buildHarness({}, ZITADEL);
      expect(config.maxBodyBytes).toBe(DEFAULT_MAX_BODY_BYTES);
      // The session is gone by the time we ask: the webhook is read, verified, parsed and confirmed, then ignored.
      const asked = nock(ZITADEL)
        .get(/^\/v2\/sessions\/3+$/)
        .reply(404, { code: 5, message: 'not found' });
      const res = await postWebhook(app, body);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ outcome: 'ignored', reason: 'session_not_found' });
      expect(asked.isDone()).toBe(true);
    },
  );

  it('refuses a signed body one byte over the default limit with 413', async () => {
    const { app } = buildHarness({}, ZITADEL);
    const body = `"${'x'.repeat(DEFAULT_MAX_BODY_BYTES - 1)}"`;
    const res = await postWebhook(app, body);
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ error: 'payload_too_large' });
  });
});
