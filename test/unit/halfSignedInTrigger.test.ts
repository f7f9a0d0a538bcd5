import { describe, expect, it } from 'vitest';
import { selectSessionsToEvict } from '../../src/policy/selectSessionsToEvict.js';
import type { SessionRecord } from '../../src/policy/sessionRecord.js';
import { signInRequirementFrom } from '../../src/policy/signInRequirement.js';

const signedIn = (id: string, createdAtMs: number): SessionRecord => ({
  id,
  userId: 'user-1',
  createdAtMs,
  expiresAtMs: undefined,
  authenticated: true,
  factors: ['password', 'totp'],
});

describe('a trigger half-way through its login', () => {
  it('changes nothing, even when the user is already over the limit', () => {
    // The user owes a second factor: the trigger has only the password so far.
    const signIn = signInRequirementFrom(
      ['AUTHENTICATION_METHOD_TYPE_PASSWORD', 'AUTHENTICATION_METHOD_TYPE_TOTP'],
      { forceMfa: false, forceMfaLocalOnly: false },
    );
    const trigger: SessionRecord = { ...signedIn('9', 9), factors: ['password'] };
    for (const strategy of ['evict-oldest', 'deny-new'] as const) {
      const decision = selectSessionsToEvict({
        userId: 'user-1',
        listed: [signedIn('1', 1), signedIn('2', 2), signedIn('3', 3)],
        trigger,
        limit: 1,
        strategy,
        nowMs: 100,
        signIn,
      });
      expect(decision, strategy).toMatchObject({ outcome: 'within_limit', remove: [] });
    }
  });
});
