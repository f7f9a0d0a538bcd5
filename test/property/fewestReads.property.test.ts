import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { enforceUserLimit, type EnforcementSettings } from '../../src/enforcement/enforceUserLimit.js';
import { toSessionRecord } from '../../src/enforcement/toSessionRecord.js';
import { createLogger } from '../../src/logging/logger.js';
import { selectSessionsToEvict } from '../../src/policy/selectSessionsToEvict.js';
import { chooseLimit, limitAsNumber } from '../../src/policy/sessionLimit.js';
import { signInRequirementFrom } from '../../src/policy/signInRequirement.js';
import type { SessionLimit } from '../../src/vocabulary.js';
import type { SessionRow } from '../../src/zitadel/sessionSchema.js';
import { createMemoryZitadel, deadlineAt, memoryRow } from '../support/memoryZitadelApi.js';

// Reading only what the decision depends on (planPolicyReads) must decide exactly as reading everything would.
const USER = 'user-1';
const MINUTE = 60_000;
const NOW_MS = Date.UTC(2026, 11, 2, 12);
const at = (minute: number) => new Date(NOW_MS - minute * MINUTE).toISOString();

const FACTOR_SETS = {
  password: (m: number) => ({ password: { verifiedAt: at(m) } }),
  passwordTotp: (m: number) => ({ password: { verifiedAt: at(m) }, totp: { verifiedAt: at(m) } }),
  passwordOtpEmail: (m: number) => ({ password: { verifiedAt: at(m) }, otpEmail: { verifiedAt: at(m) } }),
  passkey: (m: number) => ({ webAuthN: { verifiedAt: at(m), userVerified: true } }),
  securityKeyOnly: (m: number) => ({ webAuthN: { verifiedAt: at(m), userVerified: false } }),
  passwordSecurityKey: (m: number) => ({
    password: { verifiedAt: at(m) },
    webAuthN: { verifiedAt: at(m), userVerified: false },
  }),
  idp: (m: number) => ({ intent: { verifiedAt: at(m) } }),
} satisfies Record<string, (minute: number) => NonNullable<SessionRow['factors']>>;
type FactorSet = keyof typeof FACTOR_SETS;

const worldArb = fc.record({
  sessions: fc.array(
    fc.record({
      factors: fc.constantFrom(...(Object.keys(FACTOR_SETS) as FactorSet[])),
      fingerprintId: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined }),
      expired: fc.integer({ min: 0, max: 4 }).map((value) => value === 0),
    }),
    { minLength: 0, maxLength: 6 },
  ),
  trigger: fc.option(fc.constantFrom(...(Object.keys(FACTOR_SETS) as FactorSet[])), { nil: undefined }),
  hasSecondFactor: fc.boolean(),
  forceMfa: fc.boolean(),
  forceMfaLocalOnly: fc.boolean(),
  defaultLimit: fc.integer({ min: 1, max: 4 }),
  metadataKey: fc.boolean(),
  metadata: fc.option(fc.constantFrom('1', '2', '3', 'unlimited', 'x'), { nil: undefined }),
  orgLimit: fc.option(fc.constantFrom<SessionLimit>(1, 2, 'unlimited'), { nil: undefined }),
  strategy: fc.constantFrom('evict-oldest', 'deny-new' as const),
  countBy: fc.constantFrom('session', 'device' as const),
  countWhen: fc.constantFrom('signed-in', 'any-factor' as const),
});

describe('the fewest policy reads decide as reading every one would', () => {
  it('deletes and refuses exactly the same sessions, for any sessions, trigger, limits and sign-in rule', async () => {
    await fc.assert(
      fc.asyncProperty(worldArb, async (world) => {
        const rows = world.sessions.map((session, index) =>
          memoryRow(`s${index + 1}`, NOW_MS - (60 - index) * MINUTE, {
            factors: FACTOR_SETS[session.factors](60 - index),
            ...(session.fingerprintId === undefined ? {} : { fingerprintId: session.fingerprintId }),
            ...(session.expired ? { expiresMs: NOW_MS - 1 } : {}),
          }),
        );
        const triggerRow =
          world.trigger === undefined
            ? undefined
            : memoryRow('s-new', NOW_MS - 1000, { factors: FACTOR_SETS[world.trigger](0) });
        // A consistent world: a TOTP or OTP check succeeds only for a user who has such a method.
        const proves = world.trigger === 'passwordTotp' || world.trigger === 'passwordOtpEmail';
        const methods = ['AUTHENTICATION_METHOD_TYPE_PASSWORD'].concat(
          world.hasSecondFactor || proves ? ['AUTHENTICATION_METHOD_TYPE_TOTP'] : [],
        );
        const policy = { forceMfa: world.forceMfa, forceMfaLocalOnly: world.forceMfaLocalOnly };
        const orgLimits = new Map<string, SessionLimit>(
          world.orgLimit === undefined ? [] : [['org-1', world.orgLimit]],
        );
        const settings: EnforcementSettings = {
          concurrentSessions: world.defaultLimit,
          limitStrategy: world.strategy,
          dryRun: true,
          deleteConcurrency: 5,
          countBy: world.countBy,
          evictionOrder: 'last-authenticated',
          countWhen: world.countWhen,
          limitMetadataKey: world.metadataKey ? 'session_limit' : undefined,
          limitMetadataTtlMs: 60_000,
          orgLimits,
          denyNewPlaceTtlMs: undefined,
        };
        const zitadel = createMemoryZitadel({
          sessions: [...rows, ...(triggerRow === undefined ? [] : [triggerRow])],
          authMethods: { [USER]: methods },
          loginPolicy: policy,
          ...(world.metadata === undefined ? {} : { metadata: { [USER]: world.metadata } }),
        });
        const trigger = triggerRow === undefined ? undefined : toSessionRecord(triggerRow);
        const report = await enforceUserLimit({
          userId: USER,
          trigger,
          settings,
          zitadel: zitadel.api,
          deadline: deadlineAt(10_000),
          nowMs: NOW_MS,
          logger: createLogger('silent'),
          now: () => 0,
        });

        // Everything read, as before: the limit from the metadata (when a key is set), the requirement from the
        // methods and the policy (under signed-in).
        const limit = chooseLimit({
          metadata: !world.metadataKey
            ? { kind: 'off' }
            : world.metadata === undefined
              ? { kind: 'absent' }
              : { kind: 'value', text: world.metadata },
          organizationId: 'org-1',
          orgLimits,
          defaultLimit: world.defaultLimit,
        });
        const full = selectSessionsToEvict({
          userId: USER,
          listed: [...rows, ...(triggerRow === undefined ? [] : [triggerRow])].map(toSessionRecord),
          trigger,
          limit: limitAsNumber(limit.limit),
          strategy: world.strategy,
          nowMs: NOW_MS,
          countBy: world.countBy,
          order: 'last-authenticated',
          ...(world.countWhen === 'signed-in' ? { signIn: signInRequirementFrom(methods, policy) } : {}),
          placeTtlMs: undefined,
        });
        const expected =
          full.outcome === 'deny' ? 'denied' : full.outcome === 'evict' ? 'enforced' : 'within_limit';
        expect(report.outcome).toBe(expected);
        expect([...report.deleted].sort()).toEqual([...full.remove].sort());
      }),
      { numRuns: 150 },
    );
    // Each run drives the whole enforcement against the in-memory ZITADEL: seconds in all on a loaded machine, and
    // more under Stryker's instrumentation, whose config keeps vitest's 5 s default.
  }, 60_000);
});
