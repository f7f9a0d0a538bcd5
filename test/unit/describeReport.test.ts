import { describe, expect, it } from 'vitest';
import { describeReport } from '../../src/cli/enforce.js';
import type { EnforcementReport } from '../../src/enforcement/outcome.js';

const report: EnforcementReport = {
  outcome: 'enforced',
  userId: '42',
  sessionId: undefined,
  limit: 2,
  strategy: 'evict-oldest',
  dryRun: false,
  counted: 5002,
  kept: ['9', '8'],
  deleted: ['1', '2'],
  failed: [],
  foreignRows: 0,
  searches: 1,
  remaining: 4998,
};

describe('describeReport', () => {
  it('tells the operator to run enforce again when one pass did not reach every session', () => {
    expect(describeReport(report)).toContain(
      '4998 more session(s) were not reached in one pass; run enforce again.',
    );
  });

  it('says nothing of a next pass when none is needed', () => {
    expect(describeReport({ ...report, remaining: 0 })).not.toContain('run enforce again');
  });
});
