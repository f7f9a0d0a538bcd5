import { afterEach, describe, expect, it } from 'vitest';
import { FakeBrowser } from '../support/fakeBrowser.js';
import {
  DEVICES_USER,
  PHONE_USER_AGENT,
  startDevicesWorld,
  TABLET_USER_AGENT,
  type DevicesWorld,
} from '../support/devicesWorld.js';
import { TEST_PAT } from '../support/harness.js';

/**
 * The whole path over HTTP, with openid-client against the test ZITADEL's OIDC endpoints and its Login V2 stand-in
 * (the same world the Chromium test drives, test/browser/devicesPage.browser.ts): sign in to the page, see the
 * devices, sign one out, and the next login from a new device is admitted.
 */

const LAPTOP_USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';

let world: DevicesWorld | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

const liveFingerprints = (w: DevicesWorld) =>
  w.zitadel.liveSessionsOf(DEVICES_USER.userId).map((session) => session.fingerprintId);

/** Follows the callback and the page's own redirect; returns the page. */
async function enterPage(browser: FakeBrowser, callback: Response, w: DevicesWorld) {
  expect(callback.status).toBe(302);
  const location = callback.headers.get('location') ?? '';
  expect(location.startsWith(`${w.limiterUrl}/devices/callback?code=`)).toBe(true);
  const entered = await browser.go(location);
  expect(entered.status).toBe(303);
  const page = await browser.go(`${w.limiterUrl}/devices`);
  expect(page.status).toBe(200);
  const html = await page.text();
  return {
    html,
    csrf: /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '',
    refs: [...html.matchAll(/name="device" value="([^"]+)"/g)].map((match) => match[1] ?? ''),
  };
}

const postForm = (browser: FakeBrowser, w: DevicesWorld, path: string, fields: Record<string, string>) =>
  browser.go(`${w.limiterUrl}${path}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Origin: w.limiterUrl,
      'Sec-Fetch-Site': 'same-origin',
    },
    body: new URLSearchParams(fields).toString(),
  });

describe('the devices page, end to end over HTTP (deny-new, two devices)', () => {
  it('sign in → devices listed → sign out one → its sessions are gone → a new device is admitted', async () => {
    const w = (world = await startDevicesWorld());
    expect((await w.signInElsewhere('fp-phone', PHONE_USER_AGENT, '198.51.100.23')).status).toBe(200);

    const laptop = new FakeBrowser(LAPTOP_USER_AGENT);
    const { html, csrf, refs } = await enterPage(laptop, await w.signInThroughLoginPage(laptop), w);
    expect(html).toContain('iOS');
    expect(html).toContain('This device');
    expect(refs).toHaveLength(1);

    // At the limit: a third device is refused, and the refusal carries the ticket link.
    const refused = await w.signInElsewhere('fp-tablet', TABLET_USER_AGENT, '198.51.100.40');
    expect(refused.status).toBe(403);
    expect(refused.message).toMatch(
      new RegExp(`^You are signed in on two devices already\\. ${w.limiterUrl}/devices/ticket\\?t=`),
    );

    const signedOut = await postForm(laptop, w, '/devices/sign-out', { device: refs[0] ?? '', csrf });
    expect(signedOut.status).toBe(303);
    expect(liveFingerprints(w)).not.toContain('fp-phone');
    const after = await laptop.go(`${w.limiterUrl}/devices`);
    expect(await after.text()).not.toContain('iOS');

    expect((await w.signInElsewhere('fp-tablet', TABLET_USER_AGENT, '198.51.100.40')).status).toBe(200);
    expect(liveFingerprints(w)).toContain('fp-tablet');
  });

  it("a refused device opens the page from its refusal's link and frees one place", async () => {
    const w = (world = await startDevicesWorld());
    await w.signInElsewhere('fp-phone', PHONE_USER_AGENT, '198.51.100.23');
    await w.signInElsewhere('fp-laptop', LAPTOP_USER_AGENT, '198.51.100.24');
    const refused = await w.signInElsewhere('fp-tablet', TABLET_USER_AGENT, '198.51.100.40');
    const link = /http:\/\/localhost:\d+\/devices\/ticket\?t=\S+/.exec(refused.message ?? '')?.[0] ?? '';

    const tablet = new FakeBrowser(TABLET_USER_AGENT);
    expect((await tablet.go(link)).status).toBe(303);
    const page = await tablet.go(`${w.limiterUrl}/devices`);
    const html = await page.text();
    expect(html).not.toContain('sign-out-others');
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const refs = [...html.matchAll(/name="device" value="([^"]+)"/g)].map((match) => match[1] ?? '');
    expect(refs).toHaveLength(2);
    // The least recently signed-in device is the last one listed: the phone.
    expect((await postForm(tablet, w, '/devices/sign-out', { device: refs[1] ?? '', csrf })).status).toBe(
      303,
    );
    expect(liveFingerprints(w)).toEqual(['fp-laptop']);
    // Under the limit now: the same ticket cannot end the laptop too.
    expect((await postForm(tablet, w, '/devices/sign-out', { device: refs[0] ?? '', csrf })).status).toBe(
      403,
    );
    expect((await w.signInElsewhere('fp-tablet', TABLET_USER_AGENT, '198.51.100.40')).status).toBe(200);
    expect(w.logLines.join('\n')).not.toContain(new URL(link).searchParams.get('t') ?? 'no ticket');
  });

  it('the API: a ZITADEL access token of the user lists the devices, and ZITADEL introspects it', async () => {
    const w = (world = await startDevicesWorld());
    await w.signInElsewhere('fp-phone', PHONE_USER_AGENT, '198.51.100.23');
    // A token as ZITADEL issues it to the devices app after the user signs in (an app would send its own).
    const accessToken = await w.accessToken(new FakeBrowser(LAPTOP_USER_AGENT));
    const list = await fetch(`${w.limiterUrl}/api/devices`, {
      headers: { Authorization: `Bearer ${accessToken}` },
    });
    expect(list.status).toBe(200);
    const body = (await list.json()) as { devices: { system: string | null }[] };
    expect(body.devices.map((device) => device.system).sort()).toEqual(['Linux', 'iOS 18']);
    // Once its session is signed out, ZITADEL no longer accepts the token.
    for (const session of w.zitadel.liveSessionsOf(DEVICES_USER.userId))
      await fetch(`${w.zitadel.url}/v2/sessions/${session.id}`, {
        method: 'DELETE',
        headers: { Authorization: `Bearer ${TEST_PAT}` },
      });
    const gone = await fetch(`${w.limiterUrl}/api/devices`, {
      headers: { Authorization: `Bearer ${accessToken}` },
    });
    expect(gone.status).toBe(401);
  });
});
