import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CONFIG_VARIABLES } from '../support/configVariables.js';
import { FakeZitadel } from '../support/fakeZitadel.js';
import { createSessionResponse, signatureHeader } from '../support/webhooks.js';

const PAT = 'vercel-pat-value-Qe4';
const KEY = 'vercel-signing-key-Zr8';
const MINUTE = 60_000;
const METRICS_TOKEN = 'vercel-metrics-token-Yb27xq';
// A cold start sees exactly the variables a test gives: every one the config reads is cleared first, so nothing
// exported in the shell (scripts/hostile-env-test.sh) changes the outcome.
const VARIABLES = CONFIG_VARIABLES;

/**
 * Imports src/vercel.ts (what api/index.js re-exports once built) afresh, as a cold start would, with exactly these variables in process.env. Whatever the
 * entry writes to stdout and stderr is collected instead of printed.
 */
async function coldStart(env: Partial<Record<(typeof VARIABLES)[number], string>>) {
  for (const name of VARIABLES) delete process.env[name];
  Object.assign(process.env, env);
  const output: string[] = [];
  const collect = (chunk: string | Uint8Array) => {
    output.push(
      ...String(chunk)
        .split('\n')
        .filter((line) => line !== ''),
    );
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(collect);
  vi.spyOn(process.stderr, 'write').mockImplementation(collect);
  vi.resetModules();
  const entry = await import('../../src/vercel.js');
  return { app: entry.default, output };
}

const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
afterAll(() => {
  vi.restoreAllMocks();
  for (const name of VARIABLES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

describe('src/vercel.ts (Vercel) with a valid environment', () => {
  const zitadel = new FakeZitadel({ acceptedTokens: [PAT] });
  let app: Express;
  let output: string[];

  beforeAll(async () => {
    await zitadel.start();
    ({ app, output } = await coldStart({
      INSTANCE_URL: zitadel.url,
      PAT,
      SIGNING_KEY: KEY,
      CONCURRENT_SESSIONS: '2',
      LOG_LEVEL: 'info',
      METRICS_TOKEN,
    }));
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await zitadel.stop();
  });

  it('exports the Express app, which enforces the limit before it answers', async () => {
    const user = 'user-vercel';
    for (const minutes of [30, 20, 10])
      zitadel.addSession({ userId: user, creationDate: new Date(Date.now() - minutes * MINUTE) });
    const login = zitadel.addSession({ userId: user });
    const body = createSessionResponse(login);

    const res = await request(app)
      .post('/session/manage')
      .set('Content-Type', 'application/json')
      .set('ZITADEL-Signature', signatureHeader(body, KEY))
      .send(body);

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: 'enforced', userId: user, sessionId: login.id });
    // Done by the time the answer came: nothing is left to run after a serverless function returns.
    expect(zitadel.liveSessionsOf(user)).toHaveLength(2);
    expect(zitadel.requests('DELETE', '/v2/sessions/')).toHaveLength(2);
  });

  it('writes the audit record and the access line to stdout, with the request’s id, and no secret', () => {
    const lines = output.map((line) => JSON.parse(line) as Record<string, unknown>);
    const audit = lines.find((line) => line.log === 'audit');
    expect(audit).toMatchObject({ outcome: 'enforced', userId: 'user-vercel' });
    expect(lines.some((line) => line.log === 'access' && line.requestId === audit?.requestId)).toBe(true);
    for (const secret of [PAT, KEY, 'S3cret!', 'tok_do_not_log_me'])
      expect(output.join('\n')).not.toContain(secret);
  });

  it('says so, instead of refusing every webhook as forged, when something parsed the body before it (NODEJS_HELPERS on)', async () => {
    const body = createSessionResponse(zitadel.addSession({ userId: 'user-helpers' }));
    // What Vercel's helpers do: read the whole stream, then offer the parsed JSON as req.body.
    const withHelpers = (req: IncomingMessage & { body?: unknown }, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        req.body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
        app(req as Parameters<Express>[0], res as Parameters<Express>[1]);
      });
    };

    const res = await request(withHelpers)
      .post('/session/manage')
      .set('Content-Type', 'application/json')
      .set('ZITADEL-Signature', signatureHeader(body, KEY))
      .send(body);

    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: 'raw_body_unavailable' });
    expect(output.some((line) => line.includes('NODEJS_HELPERS=0'))).toBe(true);
  });

  it('serves /healthz, /readyz (asking the fake ZITADEL), and /metrics to METRICS_TOKEN only', async () => {
    expect((await request(app).get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await request(app).get('/readyz')).body).toEqual({ status: 'ready' });
    expect((await request(app).get('/metrics')).status).toBe(401);
    const metrics = await request(app).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('zitadel_session_limiter_webhooks_total{outcome="enforced"} 1');
    expect(metrics.text).toContain(
      'zitadel_session_limiter_config_info{limit="2",strategy="evict-oldest",dry_run="false"} 1',
    );
    expect(metrics.text).toContain('process_resident_memory_bytes');
  });
});

describe('src/vercel.ts (Vercel) without METRICS_TOKEN', () => {
  const zitadel = new FakeZitadel({ acceptedTokens: [PAT] });
  beforeAll(() => zitadel.start());
  afterAll(async () => {
    vi.restoreAllMocks();
    await zitadel.stop();
  });

  it('ignores HOST: a function does not listen, so no value there can stop it', async () => {
    const { app } = await coldStart({
      INSTANCE_URL: zitadel.url,
      PAT,
      SIGNING_KEY: KEY,
      HOST: 'not-an-address',
    });
    expect((await request(app).get('/healthz')).body).toEqual({ status: 'ok' });
  });

  it('does not expose /metrics at all (404), with or without a bearer token', async () => {
    const { app } = await coldStart({ INSTANCE_URL: zitadel.url, PAT, SIGNING_KEY: KEY });
    for (const res of [
      await request(app).get('/metrics'),
      await request(app).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`),
    ]) {
      expect(res.status).toBe(404);
      expect(res.text).not.toContain('zitadel_session_limiter');
    }
    expect((await request(app).get('/healthz')).status).toBe(200);
  });
});

describe('src/vercel.ts (Vercel) with an invalid environment', () => {
  it('answers every request with 503 naming the bad variables, never their values', async () => {
    const { app, output } = await coldStart({
      INSTANCE_URL: 'ftp://zitadel.example.com',
      PAT: 'pat-that-must-not-appear',
      CONCURRENT_SESSIONS: '0',
    });

    for (const res of [
      await request(app).get('/healthz'),
      await request(app).post('/session/manage').send('{}'),
    ]) {
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ error: 'invalid_configuration' });
      const problems = (res.body as { problems: string[] }).problems.join('\n');
      for (const name of ['INSTANCE_URL', 'SIGNING_KEY', 'CONCURRENT_SESSIONS'])
        expect(problems).toContain(name);
      expect(JSON.stringify(res.body)).not.toContain('pat-that-must-not-appear');
    }
    expect(output.join('\n')).toContain('cannot start');
    expect(output.join('\n')).not.toContain('pat-that-must-not-appear');
    vi.restoreAllMocks();
  });
});
