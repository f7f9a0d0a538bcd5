import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEVICES_USER,
  PHONE_USER_AGENT,
  startDevicesWorld,
  TABLET_USER_AGENT,
  type DevicesWorld,
} from '../support/devicesWorld.js';

/**
 * The "your devices" page in a real browser: Debian's Chromium, driven by playwright-core (which downloads no
 * browser of its own), through the whole path against the test ZITADEL and the real limiter (deny-new, two
 * devices): sign in → devices listed → sign out one → that device's sessions are gone → the next login from a new
 * device is admitted. Run by `npm run test:browser` (scripts/test-browser.sh installs Chromium where it can).
 * SCREENSHOT=<file.png> saves the page as the docs show it.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The flags this machine kind needs: no sandbox as root, and no background connections to Google's hosts, which a
// closed network refuses many at a time.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let browser: Browser;
let world: DevicesWorld;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  world = await startDevicesWorld();
});
afterAll(async () => {
  await browser?.close();
  await world?.stop();
});

const liveFingerprints = () =>
  world.zitadel.liveSessionsOf(DEVICES_USER.userId).map((session) => session.fingerprintId);

describe('the devices page in Chromium', () => {
  it('sign in → devices listed → sign out one → its sessions are gone → a new device is admitted', async () => {
    // Another device of the user's: a phone, signed in through Login V2.
    expect((await world.signInElsewhere('fp-phone', PHONE_USER_AGENT, '198.51.100.23')).status).toBe(200);

    // A phone-sized window. The language is set by header only: Playwright's `locale` would override a later one.
    const context = await browser.newContext({
      viewport: { width: 420, height: 760 },
      extraHTTPHeaders: { 'Accept-Language': 'en-GB,en;q=0.9' },
    });
    const page = await context.newPage();
    // The page sends the browser to ZITADEL; its login page signs the user in (the limiter admits the second device).
    await page.goto(`${world.limiterUrl}/devices`);
    await page.getByLabel(/login name/i).fill(DEVICES_USER.loginName);
    await page.getByLabel(/password/i).fill(DEVICES_USER.password);
    await page.getByRole('button', { name: /sign in|log in|continue/i }).click();
    await page.waitForURL(`${world.limiterUrl}/devices`);

    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Your devices');
    const devices = page.getByRole('listitem');
    expect(await devices.count()).toBe(2);
    await expect.poll(() => page.getByText('This device').count()).toBeGreaterThan(0);
    const signOutPhone = page.getByRole('button', { name: /Sign out Safari .*iOS/ });
    expect(await signOutPhone.count()).toBe(1);
    // Keyboard users reach it: it takes focus.
    await signOutPhone.focus();
    expect(await page.locator(':focus').textContent()).toMatch(/Sign out Safari/);
    if (process.env.SCREENSHOT !== undefined) {
      mkdirSync(path.dirname(process.env.SCREENSHOT), { recursive: true });
      await signOutPhone.blur();
      await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
    }

    // At the limit now: a tablet is refused.
    expect((await world.signInElsewhere('fp-tablet', TABLET_USER_AGENT, '198.51.100.40')).status).toBe(403);

    await signOutPhone.click();
    await page.waitForURL(/\/devices\?done=signed_out$/);
    await expect.poll(() => page.getByRole('status').textContent()).toMatch(/signed out/i);
    expect(await page.getByRole('listitem').count()).toBe(1);
    expect(liveFingerprints()).not.toContain('fp-phone');

    // The place is free: the tablet's next login is admitted.
    expect((await world.signInElsewhere('fp-tablet', TABLET_USER_AGENT, '198.51.100.40')).status).toBe(200);
    expect(liveFingerprints()).toContain('fp-tablet');

    // The same page in German, for a browser that asks for it.
    await context.setExtraHTTPHeaders({ 'Accept-Language': 'de-DE,de;q=0.9,en;q=0.5' });
    await page.goto(`${world.limiterUrl}/devices`);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Ihre Geräte');
    await context.close();
  });
});
