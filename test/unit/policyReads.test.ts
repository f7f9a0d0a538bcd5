import { describe, expect, it } from 'vitest';
import { toSessionRecord } from '../../src/enforcement/toSessionRecord.js';
import { planPolicyReads, type DecisionFacts } from '../../src/policy/policyReads.js';
import type { SessionRecord } from '../../src/policy/sessionRecord.js';
import { ANY_FACTOR, USER_HAS_SECOND_FACTOR } from '../../src/policy/signInRequirement.js';
import type { SessionRow } from '../../src/zitadel/sessionSchema.js';
import { memoryRow } from '../support/memoryZitadelApi.js';

// planPolicyReads: the fewest reads of the user's policy that decide as reading all of it would.
const MINUTE = 60_000;
const NOW_MS = 100 * MINUTE;
const at = (minute: number) => new Date(minute * MINUTE).toISOString();

const passwordOnly = (id: string, minute: number, options: Parameters<typeof memoryRow>[2] = {}) =>
  memoryRow(id, minute * MINUTE, options);
const passkey = (id: string, minute: number) =>
  memoryRow(id, minute * MINUTE, { factors: { webAuthN: { verifiedAt: at(minute), userVerified: true } } });
const withTotp = (id: string, minute: number) =>
  memoryRow(id, minute * MINUTE, {
    factors: { password: { verifiedAt: at(minute) }, totp: { verifiedAt: at(minute) } },
  });

function facts(listed: readonly SessionRow[], trigger?: DecisionFacts['trigger']): DecisionFacts {
  return {
    userId: 'user-1',
    listed: listed.map(toSessionRecord),
    trigger,
    strategy: 'evict-oldest',
    nowMs: NOW_MS,
    countBy: 'session',
    order: 'created',
    placeTtlMs: undefined,
  };
}

const plan = (
  listed: readonly SessionRow[],
  options: {
    metadataLimits?: boolean;
    signInRule?: boolean;
    nextRuleLimit?: number;
    trigger?: DecisionFacts['trigger'];
  } = {},
) =>
  planPolicyReads({
    facts: facts(listed, options.trigger),
    metadataLimits: options.metadataLimits ?? false,
    signInRule: options.signInRule ?? true,
    nextRuleLimit: options.nextRuleLimit ?? 2,
  });

describe('planPolicyReads: how many reads', () => {
  it('reads nothing when even counting every verified factor keeps the user within the smallest limit', () => {
    const result = plan([passwordOnly('s1', 1), passwordOnly('s2', 2)]);
    expect(result.first).toEqual({ limit: false, signIn: false });
    expect(result.signInIfOver).toBe(false);
    expect(result.mostDevices).toBe(2);
  });

  it('with LIMIT_METADATA_KEY the smallest limit is 1: two sessions within the next rule read the metadata first', () => {
    const result = plan([passwordOnly('s1', 1), passwordOnly('s2', 2)], { metadataLimits: true });
    expect(result.first).toEqual({ limit: true, signIn: false });
    expect(result.signInIfOver).toBe(true);
  });

  it('over the next rule with LIMIT_METADATA_KEY: the metadata and the sign-in reads at once', () => {
    const result = plan([passwordOnly('s1', 1), passwordOnly('s2', 2), passwordOnly('s3', 3)], {
      metadataLimits: true,
    });
    expect(result.first).toEqual({ limit: true, signIn: true });
    expect(result.signInIfOver).toBe(false);
  });

  it('over the limit without LIMIT_METADATA_KEY: the sign-in reads alone', () => {
    const result = plan([passwordOnly('s1', 1), passwordOnly('s2', 2), passwordOnly('s3', 3)]);
    expect(result.first).toEqual({ limit: false, signIn: true });
    expect(result.signInIfOver).toBe(false);
    expect(result.signIn).toBeUndefined();
  });

  it('over the limit with sessions that settle what counts: the metadata alone, nothing after it', () => {
    const result = plan([passkey('s1', 1), passkey('s2', 2), passkey('s3', 3)], {
      metadataLimits: true,
      nextRuleLimit: 3,
    });
    expect(result.first).toEqual({ limit: true, signIn: false });
    expect(result.signInIfOver).toBe(false);
    expect(result.signIn).toBe(ANY_FACTOR);
  });

  it('under COUNT_WHEN=any-factor nothing about sign-in is read', () => {
    const result = plan([passwordOnly('s1', 1), passwordOnly('s2', 2), passwordOnly('s3', 3)], {
      signInRule: false,
    });
    expect(result.first).toEqual({ limit: false, signIn: false });
    expect(result.signIn).toBe(ANY_FACTOR);
  });
});

describe('planPolicyReads: what the sessions settle without a read', () => {
  const over = (listed: readonly SessionRow[], trigger?: DecisionFacts['trigger']) =>
    plan(listed, { nextRuleLimit: 1, trigger });

  it('a trigger that passed a TOTP check proves a second factor', () => {
    const trigger = toSessionRecord(withTotp('s3', 3));
    const result = over([passwordOnly('s1', 1), passwordOnly('s2', 2)], trigger);
    expect(result.signIn).toBe(USER_HAS_SECOND_FACTOR);
    expect(result.first.signIn).toBe(false);
  });

  it("the confirmed trigger's own row replaces the listing's, which lags", () => {
    // The listing still shows s2 as password-only; the confirmed trigger s2 has signed in with a passkey.
    const trigger: SessionRecord = toSessionRecord(passkey('s2', 2));
    const result = over([passkey('s1', 1), passwordOnly('s2', 2)], trigger);
    expect(result.signIn).toBe(ANY_FACTOR);
    expect(result.first.signIn).toBe(false);
  });

  it('a login being checked right now (a request condition) stands in for its listed row', () => {
    const result = over([passkey('s1', 1), passkey('s2', 2), passwordOnly('s3', 3)], {
      incoming: true,
      id: 's3',
    });
    expect(result.signIn).toBe(ANY_FACTOR);
    expect(result.first.signIn).toBe(false);
  });

  it('a request condition without an id leaves the listing as it is', () => {
    const result = over([passkey('s1', 1), passwordOnly('s2', 2)], { incoming: true, id: undefined });
    expect(result.signIn).toBeUndefined();
    expect(result.first.signIn).toBe(true);
  });

  it("another user's or an expired password-only row does not make the sign-in rule matter", () => {
    const result = over([
      passkey('s1', 1),
      passkey('s2', 2),
      passwordOnly('e1', 3, { expiresMs: NOW_MS - 1 }),
      passwordOnly('o1', 4, { userId: 'user-2' }),
    ]);
    expect(result.signIn).toBe(ANY_FACTOR);
    expect(result.first.signIn).toBe(false);
  });

  it('a password-only row without a creation date still counts, so it still needs the sign-in reads', () => {
    const undated: SessionRow = { ...passwordOnly('s3', 3), creationDate: undefined };
    const result = over([passkey('s1', 1), passkey('s2', 2), undated]);
    expect(result.signIn).toBeUndefined();
    expect(result.first.signIn).toBe(true);
  });
});
