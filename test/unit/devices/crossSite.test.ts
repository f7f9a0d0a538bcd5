import { describe, expect, it } from 'vitest';
import { isCrossSiteRequest } from '../../../src/devices/crossSite.js';

const ORIGIN = 'https://limiter.example.com';

type Headers = Record<string, string | string[] | undefined>;

describe('isCrossSiteRequest', () => {
  it.each<[string, string, Headers, boolean]>([
    [
      'a same-origin POST with both headers',
      'POST',
      { 'sec-fetch-site': 'same-origin', origin: ORIGIN },
      false,
    ],
    ['a POST with only Sec-Fetch-Site same-origin', 'POST', { 'sec-fetch-site': 'same-origin' }, false],
    ['a POST with only our Origin', 'POST', { origin: ORIGIN }, false],
    ['a POST with our Origin in other case', 'POST', { origin: 'HTTPS://Limiter.Example.com' }, false],
    ['a lowercase post from our origin', 'post', { origin: ORIGIN }, false],
    ['a cross-site POST', 'POST', { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }, true],
    ['a same-site (sibling subdomain) POST', 'POST', { 'sec-fetch-site': 'same-site', origin: ORIGIN }, true],
    ['a POST with Sec-Fetch-Site none', 'POST', { 'sec-fetch-site': 'none' }, true],
    ['a POST from another origin without Sec-Fetch-Site', 'POST', { origin: 'https://evil.example' }, true],
    ['a POST from our host over http', 'POST', { origin: 'http://limiter.example.com' }, true],
    ['a POST from our host on another port', 'POST', { origin: `${ORIGIN}:8443` }, true],
    ['a POST with Origin null', 'POST', { origin: 'null' }, true],
    // Sec-Fetch-Site decides when present: browsers compute it and pages cannot set it, and Chromium sends
    // `Origin: null` on the page's own POSTs under its Referrer-Policy: no-referrer (the browser test saw it).
    [
      'a same-origin POST with Origin null (Chromium under Referrer-Policy: no-referrer)',
      'POST',
      { 'sec-fetch-site': 'same-origin', origin: 'null' },
      false,
    ],
    [
      'a same-origin fetch site beside another Origin: only a non-browser sends that, and it has no victim cookie',
      'POST',
      { 'sec-fetch-site': 'same-origin', origin: 'https://x.y' },
      false,
    ],
    ['a POST with neither header (old browser, or not a browser)', 'POST', {}, true],
    ['a POST with a repeated Origin', 'POST', { origin: [ORIGIN, ORIGIN] }, true],
    ['a DELETE with neither header', 'DELETE', {}, true],
    ['a PUT from another origin', 'PUT', { origin: 'https://evil.example' }, true],
    ['a GET with neither header', 'GET', {}, false],
    ['a cross-site GET (a link from a mail or ZITADEL)', 'GET', { 'sec-fetch-site': 'cross-site' }, false],
    ['a cross-site HEAD', 'HEAD', { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }, false],
  ])('%s → %s', (_name, method, headers, expected) => {
    expect(isCrossSiteRequest({ method, headers }, ORIGIN)).toBe(expected);
  });
});
