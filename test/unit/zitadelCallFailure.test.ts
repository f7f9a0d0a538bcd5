import { describe, expect, it } from 'vitest';
import { zitadelCallFailure } from '../../src/metrics/limiterMetrics.js';

describe('zitadelCallFailure: which call outcomes say ZITADEL cannot be used (readiness)', () => {
  it.each([
    ['get_session', 'timeout', 'zitadel_unavailable'],
    ['list_sessions', 'network', 'zitadel_unavailable'],
    ['delete_session', 'deadline', 'zitadel_unavailable'],
    ['get_session', '503', 'zitadel_unavailable'],
    ['get_session', '500', 'zitadel_unavailable'],
    ['list_sessions', '429', 'zitadel_unavailable'],
    ['list_sessions', '408', 'zitadel_unavailable'],
    ['get_session', '401', 'zitadel_rejected'],
    ['delete_session', '403', 'zitadel_rejected'],
    ['fetch_token', '400', 'zitadel_rejected'],
    ['get_login_settings', '401', 'zitadel_rejected'],
  ] as const)('%s answered %s is %s', (operation, outcome, reason) => {
    expect(zitadelCallFailure(operation, outcome)).toBe(reason);
  });

  it.each([
    ['get_session', '200'],
    ['get_session', '404'],
    ['list_sessions', '400'],
    ['delete_session', '409'],
    ['get_session', 'something_new'],
    // A missing user.read or policy.read degrades one rule (a policy fallback); the limiter still does its job.
    ['get_login_settings', '403'],
    ['list_authentication_methods', '403'],
    ['list_user_metadata', '403'],
  ] as const)('%s answered %s is not a failure', (operation, outcome) => {
    expect(zitadelCallFailure(operation, outcome)).toBeUndefined();
  });
});
