import { describe, expect, it } from 'vitest';
import { auditLog } from '../../src/http/auditLog.js';
import { HttpProblem } from '../../src/http/httpProblem.js';
import { webhookRecorder } from '../../src/http/recordWebhook.js';
import { createLimiterMetrics } from '../../src/metrics/limiterMetrics.js';
import { ZitadelError } from '../../src/zitadel/errors.js';

function recorderAt(nowMs: number) {
  const lines: Record<string, unknown>[] = [];
  const metrics = createLimiterMetrics({ processMetrics: false });
  const audit = auditLog((line) => lines.push(JSON.parse(line) as Record<string, unknown>), {
    concurrentSessions: 2,
    limitStrategy: 'evict-oldest',
    dryRun: false,
  });
  const record = webhookRecorder({ metrics, audit, now: () => nowMs });
  const webhooks = async () =>
    (await metrics.registry.getSingleMetric('zitadel_session_limiter_webhooks_total')!.get()).values.map(
      ({ labels, value }) => ({ labels, value }),
    );
  return { record, lines, webhooks };
}

const receipt = { requestId: 'req-1', receivedAtMs: 1_000 };

describe('webhookRecorder', () => {
  it('counts a decision and writes its audit record, timed from the receipt', async () => {
    const { record, lines, webhooks } = recorderAt(1_250);
    const outcome = { outcome: 'undecided', reason: 'deadline', sessionId: 's-1' } as const;
    expect(record.decided(outcome, receipt)).toBe(outcome);
    expect(await webhooks()).toEqual([{ labels: { outcome: 'undecided', reason: 'deadline' }, value: 1 }]);
    expect(lines).toEqual([
      expect.objectContaining({
        requestId: 'req-1',
        outcome: 'undecided',
        reason: 'deadline',
        durationMs: 250,
      }),
    ]);
  });

  it("writes a failed use case's audit record with the code it is answered with", () => {
    const { record, lines } = recorderAt(1_100);
    record.failed(
      new ZitadelError({ operation: 'list_sessions', kind: 'http', status: 503, retryable: true }),
      receipt,
    );
    record.failed(new Error('bug'), receipt);
    expect(lines.map(({ outcome, reason, durationMs }) => ({ outcome, reason, durationMs }))).toEqual([
      { outcome: 'failed', reason: 'zitadel_unavailable', durationMs: 100 },
      { outcome: 'failed', reason: 'internal_error', durationMs: 100 },
    ]);
  });

  it('counts a replay by the first outcome and audits it as a replay', async () => {
    const { record, lines, webhooks } = recorderAt(1_010);
    record.replayed({ status: 200, body: {}, outcome: 'enforced', sessionId: 's-1' }, receipt);
    expect(await webhooks()).toEqual([{ labels: { outcome: 'replayed', reason: 'enforced' }, value: 1 }]);
    expect(lines).toEqual([
      expect.objectContaining({
        outcome: 'replayed',
        replayOf: 'enforced',
        sessionId: 's-1',
        durationMs: 10,
      }),
    ]);
  });

  it('counts error answers as rejected (4xx) or failed (5xx) by their code, with no audit record', async () => {
    const { record, lines, webhooks } = recorderAt(1_000);
    record.answeredWithError(new HttpProblem(401, 'signature_mismatch'));
    record.answeredWithError(new Error('bug'));
    expect(await webhooks()).toEqual([
      { labels: { outcome: 'rejected', reason: 'signature_mismatch' }, value: 1 },
      { labels: { outcome: 'failed', reason: 'internal_error' }, value: 1 },
    ]);
    expect(lines).toEqual([]);
  });
});
