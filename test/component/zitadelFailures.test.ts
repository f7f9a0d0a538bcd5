import http from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/cliProcess.js';
import { buildHarness, postWebhook } from '../support/harness.js';
import { nockConfirmedSession, useNockForZitadel } from '../support/nockZitadel.js';
import { loginWebhook, setSessionResponse } from '../support/webhooks.js';
import { minutesAgo, searchAnswer, sessionRow } from '../support/zitadelRows.js';

const ZITADEL = 'https://zitadel.test';
const CONSOLE_PAGE = '<!doctype html><html><head><title>ZITADEL Console</title></head><body></body></html>';

useNockForZitadel();

/** A failed connection as Node reports it: an Error with a system code. */
function systemError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** The parsed lines of one kind from the harness's log. */
function linesWith(logLines: readonly string[], msg: string): Record<string, unknown>[] {
  return logLines
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === msg);
}

// (An INSTANCE_URL with a path, /ui/console included, is refused at start-up already: test/unit/config.test.ts.
// A web page at the root, a proxy's say, is what is left to tell apart.)
describe('a wrong INSTANCE_URL path is told apart from a wrong credential', () => {
  it('answers 502 zitadel_invalid_response, not zitadel_rejected, for a 404 web page, and asks once', async () => {
    const { app, logLines } = buildHarness({ ON_FAILURE: 'refuse' });
    nock(ZITADEL).get('/v2/sessions/s-new').reply(404, CONSOLE_PAGE, { 'Content-Type': 'text/html' });

    const res = await postWebhook(app, loginWebhook());

    expect(res.status).toBe(502);
    expect(res.body).toEqual({ error: 'zitadel_invalid_response' });
    expect(linesWith(logLines, 'ZITADEL call failed')).toEqual([
      expect.objectContaining({ operation: 'get_session', failure: 'invalid_response', status: 404 }),
    ]);
    expect(linesWith(logLines, 'ZITADEL call finished')).toHaveLength(1);
  });

  it('does not take a 404 page for "session not found" (which would silently ignore the login)', async () => {
    const { app } = buildHarness();
    nock(ZITADEL).get('/v2/sessions/s-7').reply(404, CONSOLE_PAGE, { 'Content-Type': 'text/html' });

    const res = await postWebhook(app, setSessionResponse('s-7'));

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ outcome: 'undecided', reason: 'zitadel_invalid_response' });
  });

  it('still calls a 403 in ZITADEL JSON a refused credential', async () => {
    const { app } = buildHarness({ ON_FAILURE: 'refuse' });
    nock(ZITADEL)
      .get('/v2/sessions/s-new')
      .reply(403, { code: 7, message: 'No matching permissions found (AUTH-5mWD2)' });

    const res = await postWebhook(app, loginWebhook());

    expect(res.status).toBe(502);
    expect(res.body).toEqual({ error: 'zitadel_rejected' });
  });

  it('reports the wrong URL on /readyz', async () => {
    const { app } = buildHarness();
    nock(ZITADEL).post('/v2/sessions/search').reply(404, CONSOLE_PAGE, { 'Content-Type': 'text/html' });

    const res = await request(app).get('/readyz');

    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'not_ready', reason: 'zitadel_invalid_response' });
  });

  it('tells the CLI operator to use the base URL, not the console URL (exit 4)', async () => {
    const console = http.createServer((_req, res) => {
      res.writeHead(404, { 'Content-Type': 'text/html' }).end(CONSOLE_PAGE);
    });
    await new Promise<void>((resolve) => console.listen(0, '127.0.0.1', resolve));
    const { port } = console.address() as AddressInfo;
    try {
      const run = await runCli(['sessions', '1001'], {
        INSTANCE_URL: `http://127.0.0.1:${port}`,
        PAT: 'wrong-url-pat-5Rt',
      });
      expect(run.code).toBe(4);
      expect(run.stderr).toContain("HTTP 404 and a page that is not ZITADEL's API");
      expect(run.stderr).toContain("INSTANCE_URL must be the instance's base URL");
      expect(run.stderr).not.toContain('refused the credential');
      expect(run.stderr).not.toContain('lacks the role');
    } finally {
      await new Promise((resolve) => console.close(resolve));
    }
  });
});

describe('network failures carry their error code, and what cannot heal is not retried', () => {
  it('logs ENOTFOUND and asks only once: a name that does not resolve will not resolve in 8 s', async () => {
    const { app, logLines } = buildHarness();
    nock(ZITADEL)
      .get('/v2/sessions/s-new')
      .replyWithError(systemError('ENOTFOUND', 'getaddrinfo ENOTFOUND zitadel.test'));

    const res = await postWebhook(app, loginWebhook());

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ outcome: 'undecided', reason: 'zitadel_unavailable' });
    expect(linesWith(logLines, 'ZITADEL call failed')).toEqual([
      expect.objectContaining({ operation: 'get_session', failure: 'network', code: 'ENOTFOUND' }),
    ]);
    expect(linesWith(logLines, 'retrying ZITADEL call')).toEqual([]);
  });

  it('does not retry a refused certificate either, and names it', async () => {
    const { app, logLines } = buildHarness({ ON_FAILURE: 'refuse' });
    nock(ZITADEL)
      .get('/v2/sessions/s-new')
      .replyWithError(systemError('CERT_HAS_EXPIRED', 'certificate has expired'));

    const res = await postWebhook(app, loginWebhook());

    expect(res.status).toBe(502);
    expect(linesWith(logLines, 'ZITADEL call failed')).toEqual([
      expect.objectContaining({ failure: 'network', code: 'CERT_HAS_EXPIRED' }),
    ]);
    expect(linesWith(logLines, 'retrying ZITADEL call')).toEqual([]);
  });

  it('retries a temporary DNS failure (EAI_AGAIN), which can heal', async () => {
    const { app, logLines } = buildHarness();
    nockConfirmedSession(ZITADEL);
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .replyWithError(systemError('EAI_AGAIN', 'getaddrinfo EAI_AGAIN zitadel.test'))
      .post('/v2/sessions/search')
      .reply(200, { details: { totalResult: '0' }, sessions: [] });

    const res = await postWebhook(app, loginWebhook());

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: 'within_limit' });
    expect(linesWith(logLines, 'retrying ZITADEL call')).toHaveLength(1);
  });

  it('logs ECONNREFUSED for a port nobody listens on, and retries it (a restarting ZITADEL comes back)', async () => {
    nock.enableNetConnect('127.0.0.1');
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const { app, logLines } = buildHarness({ ON_FAILURE: 'refuse' }, `http://127.0.0.1:${port}`);

    const res = await postWebhook(app, loginWebhook());

    expect(res.status).toBe(502);
    expect(res.body).toEqual({ error: 'zitadel_unavailable' });
    expect(linesWith(logLines, 'ZITADEL call failed')).toEqual([
      expect.objectContaining({ failure: 'network', code: 'ECONNREFUSED' }),
    ]);
    // The harness allows 4 attempts.
    expect(linesWith(logLines, 'retrying ZITADEL call')).toHaveLength(3);
  });
});

describe('an answer that is not ZITADEL is never taken for one', () => {
  it('counts a DeleteSession answered 200 text/html (a proxy) as a failed deletion, never as deleted', async () => {
    const { app, logLines } = buildHarness({ CONCURRENT_SESSIONS: '1' });
    nockConfirmedSession(ZITADEL);
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(200, searchAnswer([sessionRow('s-old', minutesAgo(20))]))
      .delete('/v2/sessions/s-old')
      .reply(200, '<html><body>Signed out</body></html>', { 'Content-Type': 'text/html' });

    const res = await postWebhook(app, loginWebhook());

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: 'enforced', deleted: [], failed: ['s-old'] });
    const audit = logLines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((l) => l.log === 'audit');
    expect(audit).toMatchObject({ deleted: [], failed: ['s-old'] });
  });

  it.each([
    ['an empty JSON object', {}],
    ['a JSON string', 'ok'],
    ['details that are not an object', { details: 'done' }],
  ])('counts a DeleteSession answered 200 with %s as a failed deletion', async (_name, answer) => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '1' });
    nockConfirmedSession(ZITADEL);
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(200, searchAnswer([sessionRow('s-old', minutesAgo(20))]))
      .delete('/v2/sessions/s-old')
      .reply(200, answer as nock.Body);

    const res = await postWebhook(app, loginWebhook());

    expect(res.body).toMatchObject({ deleted: [], failed: ['s-old'] });
  });

  it('takes a GetSession answer for another session id as an invalid response: nothing is enforced', async () => {
    const { app } = buildHarness({ CONCURRENT_SESSIONS: '1' });
    // Asked for s-new, the answer is somebody else's session (a caching proxy, a broken gateway).
    nockConfirmedSession(
      ZITADEL,
      's-new',
      sessionRow('s-other', new Date().toISOString(), { userId: '999' }),
    );

    const res = await postWebhook(app, loginWebhook());

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ outcome: 'undecided', reason: 'zitadel_invalid_response' });
  });
});
