import { describe, expect, it } from 'vitest';
import { ZitadelError } from '../../src/zitadel/errors.js';
import {
  failureKindOf,
  failureKindOfCall,
  isPermissionDenied,
  isRetryableKind,
  zitadelFailureCode,
  type FailureKind,
} from '../../src/zitadel/failureKind.js';

const httpError = (status: number | undefined, operation = 'list_sessions') =>
  new ZitadelError({ operation, kind: 'http', status, retryable: false });

describe('failureKindOf: what anything thrown comes to', () => {
  it.each([
    [
      'a timed-out attempt',
      new ZitadelError({ operation: 'get_session', kind: 'timeout', retryable: true }),
      'timeout',
    ],
    [
      'a passed deadline',
      new ZitadelError({ operation: 'get_session', kind: 'deadline', retryable: false }),
      'deadline',
    ],
    [
      'a call our own request budget had no turn for before its deadline',
      new ZitadelError({ operation: 'get_session', kind: 'rate_limited', retryable: false }),
      'budget_exhausted',
    ],
    [
      'a refused connection',
      new ZitadelError({
        operation: 'get_session',
        kind: 'network',
        networkCode: 'ECONNREFUSED',
        retryable: true,
      }),
      'unreachable',
    ],
    [
      '"Instance not found"',
      new ZitadelError({
        operation: 'get_session',
        kind: 'instance_not_found',
        status: 404,
        retryable: false,
      }),
      'instance_not_found',
    ],
    [
      'a web page at a wrong URL',
      new ZitadelError({ operation: 'get_session', kind: 'invalid_response', status: 405, retryable: false }),
      'bad_answer',
    ],
    [
      'an answer that is not the expected JSON',
      new ZitadelError({ operation: 'get_session', kind: 'invalid_response', retryable: false }),
      'bad_answer',
    ],
  ] as const)('%s is %s', (_name, error, kind) => {
    expect(failureKindOf(error)).toBe(kind);
  });

  it.each([
    [408, 'timeout'],
    [429, 'rate_limited'],
    [500, 'server_error'],
    [502, 'server_error'],
    [503, 'server_error'],
    [504, 'server_error'],
    [501, 'server_unsupported'],
    [505, 'server_unsupported'],
    [401, 'unauthenticated'],
    [403, 'permission_denied'],
    [404, 'not_found'],
    [400, 'refused'],
    [409, 'refused'],
    [302, 'refused'],
  ] as const)('an HTTP %i answer is %s', (status, kind) => {
    expect(failureKindOf(httpError(status))).toBe(kind);
  });

  it("is unauthenticated for the token endpoint's 400 (invalid_grant), but not for another call's", () => {
    expect(failureKindOf(httpError(400, 'fetch_token'))).toBe('unauthenticated');
    expect(failureKindOf(httpError(400, 'list_sessions'))).toBe('refused');
  });

  it('counts an HTTP failure without a status as ZITADEL failing', () => {
    expect(failureKindOf(httpError(undefined))).toBe('server_error');
  });

  it.each([
    ['an Error', new Error('boom')],
    ['a TypeError', new TypeError('x is undefined')],
    ['a string', 'thrown text'],
    ['undefined', undefined],
    ['an object that looks like a ZITADEL error', { kind: 'http', status: 503, operation: 'get_session' }],
  ])('%s is internal', (_name, thrown) => {
    expect(failureKindOf(thrown)).toBe('internal');
  });
});

describe("failureKindOfCall: what a call's reported outcome comes to", () => {
  it.each([
    ['timeout', 'timeout'],
    ['deadline', 'deadline'],
    ['network', 'unreachable'],
    ['429', 'rate_limited'],
    ['503', 'server_error'],
    ['401', 'unauthenticated'],
    ['403', 'permission_denied'],
    ['404', 'not_found'],
    ['409', 'refused'],
  ] as const)('%s is %s', (outcome, kind) => {
    expect(failureKindOfCall('get_session', outcome)).toBe(kind);
  });

  it('tells the token endpoint by its operation', () => {
    expect(failureKindOfCall('fetch_token', '400')).toBe('unauthenticated');
    expect(failureKindOfCall('get_session', '400')).toBe('refused');
  });

  it.each(['200', '201', '204', 'something_new', '600', '', '40'])(
    'is no failure for %j (a success, or nothing it knows)',
    (outcome) => {
      expect(failureKindOfCall('get_session', outcome)).toBeUndefined();
    },
  );
});

describe('isRetryableKind', () => {
  it.each<FailureKind>(['timeout', 'rate_limited', 'server_error'])('asks again after %s', (kind) => {
    expect(isRetryableKind(kind)).toBe(true);
  });

  it.each<FailureKind>([
    'deadline',
    'budget_exhausted',
    'unreachable',
    'server_unsupported',
    'unauthenticated',
    'permission_denied',
    'not_found',
    'refused',
    'instance_not_found',
    'bad_answer',
    'internal',
  ])('does not ask again after %s', (kind) => {
    expect(isRetryableKind(kind)).toBe(false);
  });
});

describe('isPermissionDenied', () => {
  it('is true for a 403 from ZITADEL only', () => {
    expect(isPermissionDenied(httpError(403))).toBe(true);
    expect(isPermissionDenied(httpError(401))).toBe(false);
    expect(
      isPermissionDenied(
        new ZitadelError({ operation: 'x', kind: 'invalid_response', status: 403, retryable: false }),
      ),
    ).toBe(false);
    expect(isPermissionDenied({ kind: 'http', status: 403 })).toBe(false);
  });
});

describe('zitadelFailureCode: what a failure says about ZITADEL, for answers, /readyz and undecided reasons', () => {
  it.each<[FailureKind, string | undefined]>([
    ['timeout', 'zitadel_unavailable'],
    ['deadline', 'zitadel_unavailable'],
    ['unreachable', 'zitadel_unavailable'],
    ['rate_limited', 'zitadel_unavailable'],
    ['budget_exhausted', 'zitadel_unavailable'],
    ['server_error', 'zitadel_unavailable'],
    ['server_unsupported', 'zitadel_unavailable'],
    ['unauthenticated', 'zitadel_rejected'],
    ['permission_denied', 'zitadel_rejected'],
    ['not_found', 'zitadel_rejected'],
    ['refused', 'zitadel_rejected'],
    ['bad_answer', 'zitadel_invalid_response'],
    ['instance_not_found', 'instance_not_found'],
    ['internal', undefined],
  ])('%s is %s', (kind, code) => {
    expect(zitadelFailureCode(kind)).toBe(code);
  });
});
