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
  limitSource: 'default',
  countBy: 'device',
  devices: 5002,
  removedDevices: 2,
  fallbacks: [],
  notSignedIn: 0,
};

describe('describeReport', () => {
  it('tells the operator to run enforce again when one pass did not reach every session', () => {
    expect(describeReport(report)).toContain(
      '4998 more session(s) were not reached in one pass; run enforce again.',
    );
  });

  it('speaks in devices, says where the limit came from, and warns of every fallback', () => {
    const text = describeReport({
      ...report,
      limit: 'unlimited',
      limitSource: 'held_back',
      notSignedIn: 1,
      fallbacks: ['limit_metadata_unreadable', 'authentication_methods_unreadable'],
    });
    expect(text).toContain('5002 sessions on 5002 devices count toward no limit');
    expect(text).toContain('metadata unreadable: nothing enforced');
    expect(text).toContain('Deleted 2 (2 devices)');
    expect(text).toContain('1 session half-way through sign-in (second factor missing) took no place.');
    expect(text).toContain('Warning: the limit metadata could not be read');
    expect(text).toContain("Warning: the user's authentication methods could not be read");
  });

  it('says nothing of a next pass when none is needed', () => {
    expect(describeReport({ ...report, remaining: 0 })).not.toContain('run enforce again');
  });
});
