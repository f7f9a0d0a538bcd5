import { describe, expect, it } from 'vitest';
import { describeUserAgent } from '../../../src/devices/userAgentName.js';

const CHROME_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const EDGE_WINDOWS = `${CHROME_WINDOWS} Edg/131.0.2903.86`;
const SAMSUNG_ANDROID =
  'Mozilla/5.0 (Linux; Android 15; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36';
const SAFARI_MAC =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15';
const CHROME_ANDROID_REDUCED =
  'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';

describe('describeUserAgent', () => {
  it.each([
    ['Chrome on Windows', CHROME_WINDOWS, 'Chrome 131', 'Windows 10'],
    ['Safari on an iPhone', SAFARI_IPHONE, 'Safari 18', 'iOS 18'],
    ['Firefox on Linux', FIREFOX_LINUX, 'Firefox 133', 'Linux'],
    ['Edge on Windows', EDGE_WINDOWS, 'Edge 131', 'Windows 10'],
    ['Samsung Internet on Android', SAMSUNG_ANDROID, 'Samsung Internet 27', 'Android 15'],
    ['Safari on a Mac (the frozen 10.15.7 left out)', SAFARI_MAC, 'Safari 18', 'macOS'],
    ['Chrome on Android with the reduced "Android 10; K"', CHROME_ANDROID_REDUCED, 'Chrome 131', 'Android'],
  ])('names %s', (_name, header, browser, system) => {
    expect(describeUserAgent(header, undefined)).toEqual({ browser, system });
  });

  it('reads a header that Login V2 split at its commas and that was joined again', () => {
    const split = CHROME_WINDOWS.split(',');
    expect(split.length).toBeGreaterThan(1);
    expect(describeUserAgent(split.join(','), undefined)).toEqual({
      browser: 'Chrome 131',
      system: 'Windows 10',
    });
  });

  it('falls back to the description when there is no header', () => {
    expect(describeUserAgent(undefined, 'Chrome, 126.0, Linux')).toEqual({
      browser: 'Chrome 126',
      system: 'Linux',
    });
  });

  it("reads Login V2's long description (device and engine between browser and system)", () => {
    expect(
      describeUserAgent(undefined, 'Chrome, 120.0, desktop, Dell, XPS, , Blink, 120.0, , Windows, 10, '),
    ).toEqual({ browser: 'Chrome 120', system: 'Windows 10' });
    expect(
      describeUserAgent(
        undefined,
        'Mobile Safari, 17.0, , mobile, Apple, iPhone 15, , WebKit, 605.1.15, , iOS, 17.0, ',
      ),
    ).toEqual({ browser: 'Safari 17', system: 'iOS 17' });
    expect(describeUserAgent(undefined, 'Firefox, 133.0, , , , Gecko, 133.0, , Linux, , ')).toEqual({
      browser: 'Firefox 133',
      system: 'Linux',
    });
  });

  it('takes from the description what the header does not say (the captured bare header)', () => {
    // The capture's header names only the system; "Mozilla/5.0" is no browser.
    expect(describeUserAgent('Mozilla/5.0 (X11; Linux x86_64)', 'Chrome, 126.0, Linux')).toEqual({
      browser: 'Chrome 126',
      system: 'Linux',
    });
    expect(describeUserAgent('Mozilla/5.0 (X11; Linux x86_64)', undefined)).toEqual({
      browser: undefined,
      system: 'Linux',
    });
  });

  it('prefers the header over the description', () => {
    expect(describeUserAgent(FIREFOX_LINUX, 'Chrome, 126.0, Windows, 10')).toEqual({
      browser: 'Firefox 133',
      system: 'Linux',
    });
  });

  it.each([
    ['empty header and description', '', ''],
    ['whitespace only', '   ', ' , , '],
    ['nothing at all', undefined, undefined],
    ['garbage', '%%%garbage!!!', undefined],
  ])('names nothing for %s', (_name, header, description) => {
    expect(describeUserAgent(header, description)).toEqual({ browser: undefined, system: undefined });
  });

  it('does not throw on a 10 KB header and keeps its names short', () => {
    const huge = `${CHROME_WINDOWS} ${'x'.repeat(10_000)}`;
    expect(describeUserAgent(huge, undefined)).toEqual({ browser: 'Chrome 131', system: 'Windows 10' });
    const name = describeUserAgent('y'.repeat(10_000), 'z'.repeat(10_000));
    expect(name.system).toBeUndefined();
    expect(name.browser?.length ?? 0).toBeLessThanOrEqual(48);
  });

  it('does not throw on values that are not strings at run time', () => {
    const notAString = 42 as unknown as string;
    expect(describeUserAgent(notAString, notAString)).toEqual({ browser: undefined, system: undefined });
  });

  it('drops control characters from a free-text description', () => {
    expect(describeUserAgent(undefined, 'Evil\u0007Browser\n, 1.0, Linux')).toEqual({
      browser: 'Evil Browser 1',
      system: 'Linux',
    });
  });
});
