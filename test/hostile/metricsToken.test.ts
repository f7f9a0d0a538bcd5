import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { bearerMatches } from '../../src/http/metricsRoute.js';
import { buildHarness } from '../support/harness.js';
import { forbidZitadelCalls } from './hostileSupport.js';

const TOKEN = 'metrics-Tk7e9Qm2Lr5wX8zA';

forbidZitadelCalls();

describe('METRICS_TOKEN protects /metrics', () => {
  const { app, logLines } = buildHarness({ METRICS_TOKEN: TOKEN });

  it.each([
    ['no Authorization header', undefined],
    ['an empty bearer', 'Bearer '],
    ['a wrong token', 'Bearer metrics-Tk7e9Qm2Lr5wX8zB'],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, -1)}`],
    ['the token plus one character', `Bearer ${TOKEN}x`],
    ['the token as Basic credentials', `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`],
    ['the token without a scheme', TOKEN],
    ['two spaces after Bearer', `Bearer  ${TOKEN}`],
    ['a second value after the token', `Bearer ${TOKEN} ${TOKEN}`],
  ])('refuses %s with 401 and no metrics', async (_name, authorization) => {
    const req = request(app).get('/metrics');
    if (authorization !== undefined) void req.set('Authorization', authorization);
    const res = await req;
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'unauthorized' });
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.text).not.toContain('zitadel_session_limiter');
  });

  it('serves the metrics to the right bearer token (scheme in any case)', async () => {
    for (const scheme of ['Bearer', 'bearer']) {
      const res = await request(app).get('/metrics').set('Authorization', `${scheme} ${TOKEN}`);
      expect(res.status).toBe(200);
      expect(res.text).toContain('zitadel_session_limiter_webhooks_total');
    }
  });

  it('never writes the token to any log line', () => {
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('\n')).not.toContain(TOKEN.slice(8));
  });
});

describe('without METRICS_TOKEN, a server serves /metrics as before (keep it on an internal network)', () => {
  it('answers 200 without credentials', async () => {
    const res = await request(buildHarness().app).get('/metrics');
    expect(res.status).toBe(200);
  });
});

describe('bearerMatches', () => {
  it('compares the whole token', () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`Bearer ${TOKEN.toUpperCase()}`, TOKEN)).toBe(false);
    expect(bearerMatches(undefined, TOKEN)).toBe(false);
  });
});
