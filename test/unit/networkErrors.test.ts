import { describe, expect, it } from 'vitest';
import { isPermanentNetworkCode, networkCodeOf, networkFailure } from '../../src/zitadel/errors.js';

const systemError = (code: unknown, cause?: unknown) =>
  Object.assign(new Error('failed'), { code }, cause === undefined ? {} : { cause });

describe('networkCodeOf', () => {
  it.each([
    ['its own code', systemError('ECONNREFUSED'), 'ECONNREFUSED'],
    [
      "its cause's code when its own is an abort",
      systemError('ERR_CANCELED', systemError('ECONNRESET')),
      'ECONNRESET',
    ],
    ['no code for an abort alone', systemError('ERR_CANCELED'), undefined],
    ['no code that is not an identifier', systemError('getaddrinfo ENOTFOUND zitadel.example'), undefined],
    ['no code that is not a string', systemError(7), undefined],
    ['nothing from a non-error', 'ENOTFOUND', undefined],
  ])('reads %s', (_name, error, expected) => {
    expect(networkCodeOf(error)).toBe(expected);
  });
});

describe('isPermanentNetworkCode', () => {
  it.each([
    'ENOTFOUND',
    'EPROTO',
    'CERT_HAS_EXPIRED',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'ERR_TLS_CERT_ALTNAME_INVALID',
  ])('does not retry %s', (code) => {
    expect(isPermanentNetworkCode(code)).toBe(true);
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'EPIPE', undefined])(
    'retries %s',
    (code) => {
      expect(isPermanentNetworkCode(code)).toBe(false);
    },
  );
});

describe('networkFailure', () => {
  it('tells the deadline, an attempt timeout and a network failure apart, in that order', () => {
    const error = systemError('ENOTFOUND');
    expect(networkFailure('op', error, { deadline: true, attempt: true })).toMatchObject({
      kind: 'deadline',
      retryable: false,
    });
    expect(networkFailure('op', error, { deadline: false, attempt: true })).toMatchObject({
      kind: 'timeout',
      retryable: true,
    });
    expect(networkFailure('op', error, { deadline: false, attempt: false })).toMatchObject({
      kind: 'network',
      networkCode: 'ENOTFOUND',
      retryable: false,
      message: 'ZITADEL op failed: network (ENOTFOUND)',
    });
  });
});
