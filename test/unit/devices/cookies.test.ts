import { describe, expect, it } from 'vitest';
import { clearCookieHeader, cookieHeader, readCookie } from '../../../src/devices/pageSession.js';

describe('cookieHeader', () => {
  it('writes HttpOnly, Secure, SameSite=Lax, the path and Max-Age', () => {
    expect(
      cookieHeader('limiter_devices', 'a.b-c_d', { path: '/devices', maxAgeSeconds: 900, secure: true }),
    ).toBe('limiter_devices=a.b-c_d; Path=/devices; Max-Age=900; HttpOnly; Secure; SameSite=Lax');
  });

  it('leaves Secure out only when told to (plain-http loopback development)', () => {
    expect(cookieHeader('c', 'v', { path: '/', maxAgeSeconds: 1, secure: false })).toBe(
      'c=v; Path=/; Max-Age=1; HttpOnly; SameSite=Lax',
    );
  });

  it('clears a cookie with an empty value and Max-Age=0 on the same path', () => {
    expect(clearCookieHeader('limiter_devices', '/devices')).toBe(
      'limiter_devices=; Path=/devices; Max-Age=0; HttpOnly; Secure; SameSite=Lax',
    );
  });

  it.each([
    ['a name with a space', () => cookieHeader('a b', 'v', { path: '/', maxAgeSeconds: 1, secure: true })],
    [
      'a value with a semicolon',
      () => cookieHeader('a', 'v;Domain=x', { path: '/', maxAgeSeconds: 1, secure: true }),
    ],
    ['a value with a space', () => cookieHeader('a', 'v v', { path: '/', maxAgeSeconds: 1, secure: true })],
    ['a relative path', () => cookieHeader('a', 'v', { path: 'devices', maxAgeSeconds: 1, secure: true })],
    ['a path with a semicolon', () => clearCookieHeader('a', '/d;Domain=x')],
    ['a negative Max-Age', () => cookieHeader('a', 'v', { path: '/', maxAgeSeconds: -1, secure: true })],
    ['a fractional Max-Age', () => cookieHeader('a', 'v', { path: '/', maxAgeSeconds: 1.5, secure: true })],
  ])('refuses %s rather than write a header that says something else', (_name, write) => {
    expect(write).toThrow();
  });
});

describe('readCookie', () => {
  it.each([
    ['the only cookie', 'limiter_devices=abc', 'abc'],
    ['among others, with odd spacing', 'a=1;limiter_devices=abc ;  b=2', 'abc'],
    ['the first of two with the same name', 'limiter_devices=first; limiter_devices=second', 'first'],
    ['a quoted value', 'limiter_devices="abc"', 'abc'],
    ['a value holding =', 'limiter_devices=a=b', 'a=b'],
    ['next to pairs without =', 'junk; ;=x; limiter_devices=abc', 'abc'],
  ])('finds the value as %s', (_name, header, expected) => {
    expect(readCookie(header, 'limiter_devices')).toBe(expected);
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['only separators', ';;; ;'],
    ['a longer name that starts with ours', 'limiter_devices_login=abc'],
    ['an empty value', 'limiter_devices='],
    ['a name in other case', 'LIMITER_DEVICES=abc'],
    ['an array of headers', ['limiter_devices=abc']],
    ['a header beyond 16 KB', `limiter_devices=abc; pad=${'x'.repeat(16 * 1024)}`],
  ])('finds nothing in %s, without throwing', (_name, header) => {
    expect(readCookie(header, 'limiter_devices')).toBeUndefined();
  });
});
