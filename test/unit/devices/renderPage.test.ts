import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listDevices, type ShownDevice } from '../../../src/devices/deviceList.js';
import { escapeHtml } from '../../../src/devices/escapeHtml.js';
import { PROBLEM_CODES } from '../../../src/devices/messages.js';
import { DEVICES_CSS } from '../../../src/devices/pageStyle.js';
import {
  renderDevicesPage,
  renderProblemPage,
  type DevicesPageInput,
} from '../../../src/devices/renderPage.js';
import { listSessionsResponseSchema } from '../../../src/zitadel/sessionSchema.js';

const NOW = Date.parse('2026-12-02T12:00:00Z');
const HOSTILE = `<script>alert(1)</script>"onmouseover=alert(2) x='y' & ©`;

function device(ref: string, overrides: Partial<ShownDevice> = {}): ShownDevice {
  return {
    ref,
    browser: 'Firefox 133',
    system: 'Windows 10',
    ip: '203.0.113.7',
    firstSignInMs: Date.parse('2026-12-01T08:00:00Z'),
    lastSignInMs: Date.parse('2026-12-02T10:01:00Z'),
    sessionCount: 2,
    current: false,
    sessionIds: [`sid-of-${ref}`],
    ...overrides,
  };
}

const page = (overrides: Partial<DevicesPageInput> = {}) =>
  renderDevicesPage({
    lang: 'en',
    devices: [device('ref-current', { current: true, browser: 'Chrome 131' }), device('ref-other')],
    csrf: 'csrf-token-1',
    via: 'oidc',
    nowMs: NOW,
    basePath: '',
    ...overrides,
  });

const forms = (html: string) => [...html.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/g)].map((match) => match[0]);
const items = (html: string) =>
  [...html.matchAll(/<li class="device">[\s\S]*?<\/li>/g)].map((match) => match[0]);

function expectNoActiveContent(html: string) {
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/\sstyle\s*=/i);
  expect(html).not.toMatch(/<style/i);
  expect(html).not.toMatch(/\son[a-z]+\s*=/i);
  // Nothing from another origin: every href and action is a path on ours.
  for (const [, url] of html.matchAll(/(?:href|action|src)="([^"]*)"/g)) expect(url).toMatch(/^\/(?!\/)/);
}

describe('escapeHtml', () => {
  it.each([
    ['<script>', '&lt;script&gt;'],
    ['"onmouseover=', '&quot;onmouseover='],
    ["' autofocus", '&#39; autofocus'],
    ['&amp;', '&amp;amp;'],
    ['a & b', 'a &amp; b'],
    ['plain Geräte', 'plain Geräte'],
    [42, '42'],
  ])('escapes %j', (input, output) => {
    expect(escapeHtml(input)).toBe(output);
  });
});

describe('renderDevicesPage', () => {
  it('is a whole HTML5 document in the language asked for, with viewport, main and one h1', () => {
    const html = page();
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain('<link rel="stylesheet" href="/devices/style.css">');
    expect(html.match(/<main\b/g)).toHaveLength(1);
    expect(html.match(/<h1\b/g)).toHaveLength(1);
    expect(html).toContain('<h1>Your devices</h1>');
    expect(html).toContain('<title>Your devices</title>');
    expectNoActiveContent(html);
  });

  it('lists each device with its name as heading and its details, the current one marked', () => {
    const [current, other] = items(page());
    expect(current).toContain('<h3>Chrome 131 on Windows 10 <span class="current">This device</span></h3>');
    expect(other).toContain('<h3>Firefox 133 on Windows 10</h3>');
    expect(other).toContain(
      '<dt>Last sign-in</dt><dd id="device-1-last"><time datetime="2026-12-02T10:01:00.000Z">2 Dec 2026, 10:01 UTC</time></dd>',
    );
    expect(other).toContain(
      '<dt>First sign-in</dt><dd><time datetime="2026-12-01T08:00:00.000Z">1 Dec 2026, 08:00 UTC</time></dd>',
    );
    expect(other).toContain('<dt>Sessions</dt><dd>2 sessions</dd>');
    expect(other).toContain('<dt>IP address</dt><dd>203.0.113.7</dd>');
  });

  it('gives every device but the current one a sign-out form naming it, and one for all others', () => {
    const html = page({ basePath: '/limiter' });
    const [current, other] = items(html);
    expect(current).not.toContain('<form');
    expect(current).not.toContain('<button');
    expect(other).toContain(
      '<form method="post" action="/limiter/devices/sign-out"><input type="hidden" name="device" value="ref-other"><input type="hidden" name="csrf" value="csrf-token-1"><button type="submit" aria-describedby="device-1-last">Sign out Firefox 133 on Windows 10</button></form>',
    );
    const all = forms(html);
    expect(all).toHaveLength(2);
    expect(all[1]).toBe(
      '<form class="others" method="post" action="/limiter/devices/sign-out-others"><input type="hidden" name="csrf" value="csrf-token-1"><button type="submit">Sign out all other devices</button></form>',
    );
    expect(html).toContain('href="/limiter/devices/style.css"');
  });

  it('offers no "sign out all other devices" when there is no other device', () => {
    const html = page({ devices: [device('only', { current: true })] });
    expect(forms(html)).toEqual([]);
  });

  it('shows the empty state', () => {
    const html = page({ devices: [] });
    expect(html).toContain('<p>No device is signed in to your account.</p>');
    expect(html).not.toContain('<ul');
    expect(forms(html)).toEqual([]);
  });

  it('opened from a ticket: shows the banner with the limit and signs out one device at a time', () => {
    const html = page({ via: 'ticket', limit: 2, devices: [device('a'), device('b')] });
    expect(html).toContain(
      '<p class="banner">You are at your limit of 2 devices: sign out one to sign in here.</p>',
    );
    expect(html).not.toContain('sign-out-others');
    expect(forms(html)).toHaveLength(2);
    expect(page({ via: 'ticket' })).toContain('You are at your limit of devices:');
    expect(page()).not.toContain('class="banner"');
  });

  it('puts the notice into a status region, which is there (empty) without one', () => {
    expect(page({ notice: 'Signed out Firefox 133 on Windows 10.' })).toContain(
      '<div class="notice" role="status">Signed out Firefox 133 on Windows 10.</div>',
    );
    expect(page()).toContain('<div class="notice" role="status"></div>');
  });

  it('escapes every interpolated value', () => {
    const html = page({
      devices: [device(HOSTILE, { browser: HOSTILE, system: HOSTILE, ip: HOSTILE })],
      csrf: HOSTILE,
      notice: HOSTILE,
      basePath: '/x"><script>',
    });
    expect(html).not.toContain('<script');
    expect(html).not.toContain('"onmouseover');
    expect(html).not.toContain("x='y'");
    expect(html).not.toMatch(/&(?!amp;|lt;|gt;|quot;|#39;)/);
    expect(html).toContain(
      'value="&lt;script&gt;alert(1)&lt;/script&gt;&quot;onmouseover=alert(2) x=&#39;y&#39; &amp; ©"',
    );
  });

  it('says times in UTC and, in German, everything in German', () => {
    const html = page({
      lang: 'de',
      via: 'ticket',
      limit: 3,
      notice: 'Firefox 133 unter Windows 10 wurde abgemeldet.',
    });
    expect(html).toContain('<html lang="de">');
    expect(html).toContain('<h1>Ihre Geräte</h1>');
    expect(html).toContain('<span class="current">Dieses Gerät</span>');
    expect(html).toContain('Firefox 133 unter Windows 10 abmelden</button>');
    expect(html).toContain('<dt>Letzte Anmeldung</dt>');
    expect(html).toContain('02.12.2026, 10:01 UTC');
    expect(html).toContain('Höchstzahl von 3 Geräten');
    expect(html).toContain('Stand: 02.12.2026, 12:00 UTC.');
    expect(html).not.toMatch(/Your devices|Sign out|Last sign-in/);
  });

  it('words unknown dates, names and addresses', () => {
    const [item] = items(
      page({
        devices: [
          device('u', {
            browser: undefined,
            system: undefined,
            ip: undefined,
            firstSignInMs: undefined,
            lastSignInMs: Number.NaN,
          }),
        ],
      }),
    );
    expect(item).toContain('<h3>Unknown device</h3>');
    expect(item).toContain('<dt>Last sign-in</dt><dd id="device-0-last">Unknown</dd>');
    expect(item).toContain('<dt>IP address</dt><dd>Unknown</dd>');
    expect(item).toContain('Sign out Unknown device</button>');
  });

  it('never shows the session ids or fingerprints of the captured rows', () => {
    const capture = JSON.parse(
      readFileSync(
        new URL('../../fixtures/captures/session-rows-getsession-and-search.json', import.meta.url),
        'utf8',
      ),
    ) as { search: { body: unknown } };
    const rows = listSessionsResponseSchema.parse(capture.search.body).sessions ?? [];
    const devices = listDevices({
      rows,
      userId: '402132183143156774',
      countBy: 'device',
      nowMs: Date.parse('2026-12-02T05:00:00Z'),
      refOf: (key) => `ref-${key.length}`,
    });
    expect(devices).toHaveLength(1);
    const html = page({ devices });
    expect(html).toContain('Chrome 126 on Linux');
    for (const secret of ['402132912515845158', '402132915384749094', 'fp-row-1', '402132183143156774']) {
      expect(html).not.toContain(secret);
    }
    expect(html).not.toContain('sid-of-');
  });
});

describe('renderProblemPage', () => {
  it.each(PROBLEM_CODES)('renders %s in both languages without active content', (code) => {
    for (const lang of ['en', 'de'] as const) {
      const html = renderProblemPage({ lang, status: 403, code, basePath: '/p' });
      expect(html).toContain(`<html lang="${lang}">`);
      expect(html.match(/<h1\b/g)).toHaveLength(1);
      expect(html).toContain('<main class="problem">');
      expect(html).toContain(`403: ${code}</p>`);
      expectNoActiveContent(html);
    }
  });

  it('says what happened and links back to the devices page', () => {
    const html = renderProblemPage({ lang: 'en', status: 410, code: 'ticket_expired', basePath: '' });
    expect(html).toContain('<h1>This link has expired</h1>');
    expect(html).toContain('<title>This link has expired</title>');
    expect(html).toContain('<a href="/devices">Back to your devices</a>');
    expect(html).toContain('Error 410: ticket_expired');
    const de = renderProblemPage({ lang: 'de', status: 403, code: 'cross_site', basePath: '' });
    expect(de).toContain('<h1>Anfrage abgelehnt</h1>');
    expect(de).toContain('Zurück zu Ihren Geräten');
  });

  it('has no link back when the page is not configured', () => {
    expect(
      renderProblemPage({ lang: 'en', status: 404, code: 'not_configured', basePath: '' }),
    ).not.toContain('<a ');
  });
});

describe('DEVICES_CSS', () => {
  it('has a visible focus outline, a narrow-screen layout and nothing from another origin', () => {
    expect(DEVICES_CSS).toMatch(/:focus-visible\{outline:3px solid #[0-9a-f]{6}/);
    expect(DEVICES_CSS).toContain('@media (max-width:30rem)');
    expect(DEVICES_CSS).not.toMatch(/url\(|@import|https?:/);
  });
});
