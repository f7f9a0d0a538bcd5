import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { buildHarness, postWebhook, TEST_PAT, TEST_SIGNING_KEY } from '../support/harness.js';
import {
  setSessionRequest,
  setSessionResponse,
  signatureHeader,
  usernameStepResponse,
  loginWebhook,
} from '../support/webhooks.js';
import { minutesAgo, searchAnswer, sessionRow, TEST_USER } from '../support/zitadelRows.js';
import { nockConfirmedSession, useNockForZitadel } from '../support/nockZitadel.js';

const ZITADEL = 'https://zitadel.test';
const OTHER_USER = '284021120958309999';

type LogLine = Record<string, unknown>;
const parse = (lines: string[]): LogLine[] => lines.map((line) => JSON.parse(line) as LogLine);
const auditRecords = (lines: string[]) => parse(lines).filter((line) => line.log === 'audit');

useNockForZitadel();

describe('the audit record', () => {
  it('is one JSON line per enforced webhook: who, which trigger, the rules, what was counted, kept and deleted', async () => {
    const { app, logLines } = buildHarness({ CONCURRENT_SESSIONS: '2' });
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(
        200,
        searchAnswer([
          sessionRow('s-3', minutesAgo(1)),
          sessionRow('s-2', minutesAgo(10)),
          sessionRow('s-1', minutesAgo(20)),
        ]),
      )
      .delete('/v2/sessions/s-2')
      .reply(200, { details: {} })
      .delete('/v2/sessions/s-1')
      .reply(200, { details: {} });

    nockConfirmedSession(ZITADEL);
    const res = await postWebhook(app, loginWebhook());

    const records = auditRecords(logLines);
    expect(records).toHaveLength(1);
    const record = records[0]!;
    expect(record).toMatchObject({
      level: 'info',
      log: 'audit',
      requestId: res.headers['x-request-id'],
      outcome: 'enforced',
      userId: TEST_USER,
      sessionId: 's-new',
      limit: 2,
      strategy: 'evict-oldest',
      dryRun: false,
      counted: 4,
      kept: ['s-new', 's-3'],
      failed: [],
      foreignRows: 0,
    });
    expect([...(record.deleted as string[])].sort()).toEqual(['s-1', 's-2']);
    expect(record.durationMs).toEqual(expect.any(Number));
    expect(typeof record.time).toBe('string');
    // The decision is in the audit record only: no second application line repeats it.
    expect(logLines.filter((line) => line.includes('"kept"'))).toHaveLength(1);
  });

  it('records what a dry run would have deleted, and deletes nothing', async () => {
    const { app, logLines } = buildHarness({ CONCURRENT_SESSIONS: '1', DRY_RUN: 'true' });
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(200, searchAnswer([sessionRow('s-1', minutesAgo(20))]));
    nockConfirmedSession(ZITADEL);
    await postWebhook(app, loginWebhook());
    expect(auditRecords(logLines)).toEqual([
      expect.objectContaining({ outcome: 'enforced', dryRun: true, deleted: ['s-1'], kept: ['s-new'] }),
    ]);
  });

  it('records an ignored webhook with its reason and the rules, without a user', async () => {
    const { app, logLines } = buildHarness();
    await postWebhook(
      app,
      usernameStepResponse({ id: 's-typed', loginName: 'ada@example.com', creationDate: new Date() }),
    );
    const [record, ...rest] = auditRecords(logLines);
    expect(rest).toEqual([]);
    expect(record).toMatchObject({
      outcome: 'ignored',
      reason: 'no_authentication_check',
      sessionId: 's-typed',
      limit: 2,
      strategy: 'evict-oldest',
      dryRun: false,
    });
    expect(record).not.toHaveProperty('userId');
  });

  it('records a webhook that could not be decided, as a warning with the reason', async () => {
    const { app, logLines } = buildHarness();
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(403, { code: 7, message: 'No matching permissions found' });
    nockConfirmedSession(ZITADEL);
    expect((await postWebhook(app, loginWebhook())).status).toBe(200);
    expect(auditRecords(logLines)).toEqual([
      expect.objectContaining({
        level: 'warn',
        outcome: 'undecided',
        reason: 'zitadel_rejected',
        sessionId: 's-new',
        limit: 2,
      }),
    ]);
  });

  it('is not written for a refused webhook (an unsigned flood must not fill the audit trail)', async () => {
    const { app, logLines } = buildHarness();
    await postWebhook(app, loginWebhook(), { key: 'forged' });
    expect(auditRecords(logLines)).toEqual([]);
    expect(logLines.some((line) => line.includes('"log":"access"'))).toBe(true);
  });

  it('is written whatever LOG_LEVEL says: it is not part of the application log', async () => {
    const { app, logLines } = buildHarness({ LOG_LEVEL: 'silent' });
    await postWebhook(
      app,
      usernameStepResponse({ id: 's-typed', loginName: 'ada@example.com', creationDate: new Date() }),
    );
    expect(auditRecords(logLines)).toHaveLength(1);
  });
});

describe('one webhook, one request id', () => {
  it('stamps every line of a webhook with its request id: processor, enforcement, ZITADEL client, audit and access', async () => {
    const { app, logLines } = buildHarness({ CONCURRENT_SESSIONS: '1', LOG_LEVEL: 'debug' });
    nock(ZITADEL)
      .get('/v2/sessions/s-new')
      .reply(200, { session: sessionRow('s-new', minutesAgo(0)) })
      .post('/v2/sessions/search')
      .reply(503, { code: 14, message: 'unavailable' })
      .post('/v2/sessions/search')
      .reply(
        200,
        searchAnswer([
          sessionRow('s-1', minutesAgo(20)),
          sessionRow('x-1', minutesAgo(30), { userId: OTHER_USER }),
        ]),
      )
      .delete('/v2/sessions/s-1')
      .reply(200, { details: {} });

    const res = await postWebhook(app, setSessionResponse('s-new')).set('X-Request-Id', 'req-audit-1');
    await postWebhook(app, setSessionRequest('s-new')).set('X-Request-Id', 'req-audit-2');

    expect(res.status).toBe(200);
    const lines = parse(logLines);
    const first = lines.filter((line) => line.requestId === 'req-audit-1');
    const second = lines.filter((line) => line.requestId === 'req-audit-2');
    expect(first.length + second.length).toBe(lines.length);
    const messages = first.map((line) => String(line.msg ?? line.log));
    expect(messages).toEqual(
      expect.arrayContaining([
        'ZITADEL call finished',
        'retrying ZITADEL call',
        'session search returned sessions of other users; they were left alone',
        'session limit decision',
        'access',
      ]),
    );
    // The processor's own hint (request conditions are ignored) carries the second webhook's id.
    expect(second.some((line) => String(line.msg).includes('Register response executions'))).toBe(true);
  });

  it('keeps the ids apart when two webhooks of the same user run at once', async () => {
    const { app, logLines } = buildHarness({ CONCURRENT_SESSIONS: '5', LOG_LEVEL: 'debug' });
    nockConfirmedSession(ZITADEL, 's-a');
    nockConfirmedSession(ZITADEL, 's-b');
    nock(ZITADEL).post('/v2/sessions/search').times(2).delay(20).reply(200, searchAnswer([]));

    await Promise.all([
      postWebhook(app, loginWebhook('s-a')).set('X-Request-Id', 'req-a'),
      postWebhook(app, loginWebhook('s-b')).set('X-Request-Id', 'req-b'),
    ]);

    const lines = parse(logLines);
    for (const [requestId, sessionId] of [
      ['req-a', 's-a'],
      ['req-b', 's-b'],
    ] as const) {
      const own = lines.filter((line) => line.requestId === requestId);
      // GetSession of its own trigger, then its search.
      expect(own.filter((line) => line.msg === 'ZITADEL call finished')).toHaveLength(2);
      expect(own.filter((line) => line.log === 'audit')).toEqual([expect.objectContaining({ sessionId })]);
    }
    expect(lines.every((line) => line.requestId === 'req-a' || line.requestId === 'req-b')).toBe(true);
  });
});

describe('secrets', () => {
  it('never reach an audit record or any other line of a webhook', async () => {
    const { app, logLines } = buildHarness({ CONCURRENT_SESSIONS: '1', LOG_LEVEL: 'debug' });
    nock(ZITADEL)
      .post('/v2/sessions/search')
      .reply(200, searchAnswer([sessionRow('s-1', minutesAgo(20))]))
      .delete('/v2/sessions/s-1')
      .reply(200, { details: {} });
    nockConfirmedSession(ZITADEL);
    const body = loginWebhook();
    const header = signatureHeader(body, TEST_SIGNING_KEY);

    await postWebhook(app, body, { header });

    expect(auditRecords(logLines)).toHaveLength(1);
    const everything = logLines.join('\n');
    for (const secret of [
      TEST_PAT,
      TEST_SIGNING_KEY,
      header.split('v1=')[1]!,
      'S3cret!',
      'tok_do_not_log_me',
      '203.0.113.7',
    ]) {
      expect(everything).not.toContain(secret);
    }
  });
});
