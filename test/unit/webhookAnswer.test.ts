import { describe, expect, it } from 'vitest';
import type { EnforcementReport, UndecidedReason, WebhookOutcome } from '../../src/enforcement/outcome.js';
import { isFinished, webhookAnswer, type AnswerSettings } from '../../src/http/webhookAnswer.js';

const ALLOW: AnswerSettings = { onFailure: 'allow', denyMessage: 'Too many sessions.' };
const REFUSE: AnswerSettings = { onFailure: 'refuse', denyMessage: 'Too many sessions.' };

const report: EnforcementReport = {
  outcome: 'enforced',
  userId: '42',
  sessionId: 's-new',
  limit: 2,
  limitSource: 'default',
  strategy: 'evict-oldest',
  dryRun: false,
  countBy: 'device',
  counted: 3,
  devices: 3,
  removedDevices: 1,
  kept: ['s-new', 's-2'],
  deleted: ['s-1'],
  failed: [],
  foreignRows: 0,
  searches: 1,
  remaining: 0,
  fallbacks: [],
  notSignedIn: 0,
};

const summaryOf = (outcome: EnforcementReport) => ({
  outcome: outcome.outcome,
  userId: outcome.userId,
  sessionId: outcome.sessionId,
  limit: outcome.limit,
  limitSource: outcome.limitSource,
  strategy: outcome.strategy,
  dryRun: outcome.dryRun,
  countBy: outcome.countBy,
  devices: outcome.devices,
  keptDevices: outcome.devices - outcome.removedDevices,
  removedDevices: outcome.removedDevices,
  counted: outcome.counted,
  notSignedIn: outcome.notSignedIn,
  kept: outcome.kept,
  deleted: outcome.deleted,
  failed: outcome.failed,
  keptCount: outcome.kept.length,
  deletedCount: outcome.deleted.length,
  failedCount: outcome.failed.length,
  remaining: outcome.remaining,
});

describe('webhookAnswer: an ignored webhook', () => {
  it.each([ALLOW, REFUSE])('passes with 200 and says why, whatever ON_FAILURE (%o)', (settings) => {
    expect(
      webhookAnswer({ outcome: 'ignored', reason: 'session_not_found', sessionId: 's-1' }, settings),
    ).toEqual({ status: 200, body: { outcome: 'ignored', reason: 'session_not_found' } });
  });
});

describe('webhookAnswer: an undecided webhook', () => {
  const statuses: [UndecidedReason, number][] = [
    ['overloaded', 503],
    ['deadline', 503],
    ['zitadel_unavailable', 502],
    ['zitadel_rejected', 502],
    ['zitadel_invalid_response', 502],
    ['instance_not_found', 502],
    ['jwks_unavailable', 502],
    ['internal_error', 500],
  ];

  it.each(statuses)('passes with 200 under ON_FAILURE=allow (%s)', (reason) => {
    expect(webhookAnswer({ outcome: 'undecided', reason, sessionId: 's-1' }, ALLOW)).toEqual({
      status: 200,
      body: { outcome: 'undecided', reason },
    });
  });

  it.each(statuses)('fails under ON_FAILURE=refuse: %s is answered %i', (reason, status) => {
    expect(webhookAnswer({ outcome: 'undecided', reason }, REFUSE)).toEqual({
      status,
      body: { error: reason },
    });
  });
});

describe('webhookAnswer: a decision', () => {
  it.each([ALLOW, REFUSE])(
    'answers an enforced decision carried out in full with 200 and its summary',
    (settings) => {
      expect(webhookAnswer(report, settings)).toEqual({ status: 200, body: summaryOf(report) });
    },
  );

  it.each([ALLOW, REFUSE])('answers a decision within the limit with 200 and its summary', (settings) => {
    const within: EnforcementReport = { ...report, outcome: 'within_limit', deleted: [], removedDevices: 0 };
    expect(webhookAnswer(within, settings)).toEqual({ status: 200, body: summaryOf(within) });
  });

  it.each([ALLOW, REFUSE])(
    "fails the user's call on a deny: 200 with ZITADEL's forwarded 403 and the deny message",
    (settings) => {
      const denied: EnforcementReport = {
        ...report,
        outcome: 'denied',
        strategy: 'deny-new',
        deleted: ['s-new'],
      };
      expect(webhookAnswer(denied, settings)).toEqual({
        status: 200,
        body: { forwardedStatusCode: 403, forwardedErrorMessage: 'Too many sessions.', ...summaryOf(denied) },
      });
    },
  );

  it('puts the devices link into the deny message: where DENY_MESSAGE says {devicesUrl}, else after it', () => {
    const denied: EnforcementReport = {
      ...report,
      outcome: 'denied',
      strategy: 'deny-new',
      deleted: ['s-new'],
    };
    const link = 'https://limiter.test/devices/ticket?t=abc';
    const messageOf = (denyMessage: string, devicesLink?: string) =>
      webhookAnswer(denied, { onFailure: 'allow', denyMessage }, devicesLink).body.forwardedErrorMessage;
    expect(messageOf('Too many devices.', link)).toBe(`Too many devices. ${link}`);
    expect(messageOf('Too many devices ({devicesUrl}).', link)).toBe(`Too many devices (${link}).`);
    // Without the page, a placeholder never shows up as literal braces.
    expect(messageOf('Too many devices. {devicesUrl}')).toBe('Too many devices.');
    expect(webhookAnswer(denied, ALLOW, link).body.devicesUrl).toBe(link);
    expect(webhookAnswer(denied, ALLOW).body).not.toHaveProperty('devicesUrl');
  });

  it('lets a dry-run deny through: no forwarded error, only the summary', () => {
    const denied: EnforcementReport = { ...report, outcome: 'denied', strategy: 'deny-new', dryRun: true };
    const answer = webhookAnswer(denied, REFUSE);
    expect(answer).toEqual({ status: 200, body: summaryOf(denied) });
    expect(answer.body).not.toHaveProperty('forwardedStatusCode');
  });

  it('answers failed deletions with 502 under ON_FAILURE=refuse, and with 200 under allow', () => {
    const partly: EnforcementReport = { ...report, deleted: [], failed: ['s-1'] };
    expect(webhookAnswer(partly, REFUSE)).toEqual({
      status: 502,
      body: { error: 'zitadel_unavailable', ...summaryOf(partly) },
    });
    expect(webhookAnswer(partly, ALLOW)).toEqual({ status: 200, body: summaryOf(partly) });
  });

  it('lists at most 20 ids in an answer, with exact counts', () => {
    const ids = Array.from({ length: 25 }, (_, index) => `s-${index}`);
    const { body } = webhookAnswer({ ...report, deleted: ids }, ALLOW);
    expect(body.deleted).toEqual(ids.slice(0, 20));
    expect(body.deletedCount).toBe(25);
  });
});

describe('isFinished: whether a replay may be answered from memory', () => {
  it.each<[string, boolean, WebhookOutcome]>([
    ['an ignored webhook', true, { outcome: 'ignored', reason: 'other_method' }],
    ['a decision carried out in full', true, report],
    ['a deny', true, { ...report, outcome: 'denied', strategy: 'deny-new' }],
    ['an undecided webhook', false, { outcome: 'undecided', reason: 'deadline' }],
    ['a decision with failed deletions', false, { ...report, failed: ['s-1'] }],
    ['a decision that left sessions for later', false, { ...report, remaining: 3 }],
  ])('%s: finished is %s', (_name, finished, outcome) => {
    expect(isFinished(outcome)).toBe(finished);
  });
});
