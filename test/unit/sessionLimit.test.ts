import { describe, expect, it } from 'vitest';
import { selectSessionsToEvict } from '../../src/policy/selectSessionsToEvict.js';
import {
  chooseLimit,
  limitAsNumber,
  parseSessionLimit,
  type MetadataLimit,
} from '../../src/policy/sessionLimit.js';
import type { SessionLimit } from '../../src/vocabulary.js';

describe('parseSessionLimit', () => {
  it.each([
    ['1', 1],
    ['4', 4],
    [' 12 ', 12],
    ['unlimited', 'unlimited'],
    ['Unlimited', 'unlimited'],
    ['1000000', 1_000_000],
  ])('reads %j as %j', (text, expected) => {
    expect(parseSessionLimit(text)).toBe(expected);
  });

  it.each(['0', '-1', '1.5', '2e3', '0x10', '', 'two', '1000001', '99999999', 'infinite', '3 devices'])(
    'refuses %j',
    (text) => {
      expect(parseSessionLimit(text)).toBeUndefined();
    },
  );
});

describe('chooseLimit: user metadata, then organisation, then CONCURRENT_SESSIONS', () => {
  const orgLimits = new Map<string, SessionLimit>([
    ['org-basic', 1],
    ['org-vip', 'unlimited'],
  ]);
  const choose = (metadata: MetadataLimit, organizationId: string | undefined) =>
    chooseLimit({ metadata, organizationId, orgLimits, defaultLimit: 2 });

  it.each<[string, MetadataLimit, string | undefined, ReturnType<typeof chooseLimit>]>([
    [
      'metadata wins over the organisation',
      { kind: 'value', text: '4' },
      'org-basic',
      { limit: 4, source: 'metadata' },
    ],
    [
      'metadata may lift the limit',
      { kind: 'value', text: 'unlimited' },
      'org-basic',
      { limit: 'unlimited', source: 'metadata' },
    ],
    ['metadata may lower it', { kind: 'value', text: '1' }, 'org-vip', { limit: 1, source: 'metadata' }],
    [
      'no metadata: the organisation',
      { kind: 'absent' },
      'org-basic',
      { limit: 1, source: 'organization', metadataProblem: undefined },
    ],
    [
      'feature off: the organisation',
      { kind: 'off' },
      'org-vip',
      { limit: 'unlimited', source: 'organization', metadataProblem: undefined },
    ],
    [
      'no metadata, unlisted organisation: the default',
      { kind: 'absent' },
      'org-other',
      { limit: 2, source: 'default', metadataProblem: undefined },
    ],
    [
      'no organisation known: the default',
      { kind: 'absent' },
      undefined,
      { limit: 2, source: 'default', metadataProblem: undefined },
    ],
    [
      'an invalid value falls through to the organisation',
      { kind: 'value', text: 'gold' },
      'org-basic',
      { limit: 1, source: 'organization', metadataProblem: 'invalid' },
    ],
    [
      'an invalid value falls through to the default',
      { kind: 'value', text: '0' },
      undefined,
      { limit: 2, source: 'default', metadataProblem: 'invalid' },
    ],
    [
      'an unreadable value holds the limit back rather than apply a smaller one',
      { kind: 'unreadable' },
      'org-basic',
      { limit: 'unlimited', source: 'held_back', metadataProblem: 'unreadable' },
    ],
  ])('%s', (_name, metadata, org, expected) => {
    expect(choose(metadata, org)).toEqual(expected);
  });
});

describe('limitAsNumber', () => {
  it('is the number itself for a number', () => {
    expect(limitAsNumber(1)).toBe(1);
    expect(limitAsNumber(7)).toBe(7);
  });

  it('makes unlimited a limit no count reaches, so an unlimited user keeps every session', () => {
    expect(limitAsNumber('unlimited')).toBe(Number.POSITIVE_INFINITY);
    const listed = Array.from({ length: 50 }, (_, index) => ({
      id: String(index + 1),
      userId: 'user-1',
      createdAtMs: index,
      expiresAtMs: undefined,
      authenticated: true,
    }));
    const decision = selectSessionsToEvict({
      userId: 'user-1',
      listed,
      trigger: undefined,
      limit: limitAsNumber('unlimited'),
      strategy: 'evict-oldest',
      nowMs: 1_000,
    });
    expect(decision).toMatchObject({ outcome: 'within_limit', remove: [] });
    expect(decision.keep).toHaveLength(50);
  });
});
