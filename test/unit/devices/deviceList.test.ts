import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { devicesToSignOutOthers, listDevices, type ShownDevice } from '../../../src/devices/deviceList.js';
import {
  listSessionsResponseSchema,
  sessionRowSchema,
  type SessionRow,
} from '../../../src/zitadel/sessionSchema.js';

const CAROL = '402132183143156774';
const MALLORY = '402132183143159999';
const NOW = Date.parse('2026-12-02T12:00:00Z');
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const CHROME_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

// Rows shaped like ../shared/zitadel/captures/session-rows-getsession-and-search.json.
function row(
  id: string,
  options: {
    userId?: string;
    created: string;
    signedIn?: string;
    expires?: string;
    fingerprintId?: string;
    ip?: string;
    userAgent?: string;
    description?: string;
  },
): SessionRow {
  return sessionRowSchema.parse({
    id,
    creationDate: options.created,
    expirationDate: options.expires ?? '2026-12-03T00:00:00Z',
    factors: {
      user: {
        id: options.userId ?? CAROL,
        loginName: 'carol',
        verifiedAt: options.created,
        organizationId: '1',
      },
      ...(options.signedIn === undefined ? {} : { password: { verifiedAt: options.signedIn } }),
    },
    userAgent: {
      ...(options.fingerprintId === undefined ? {} : { fingerprintId: options.fingerprintId }),
      ...(options.ip === undefined ? {} : { ip: options.ip }),
      ...(options.description === undefined ? {} : { description: options.description }),
      // Login V2 stores the header split at its commas.
      ...(options.userAgent === undefined
        ? {}
        : { header: { 'user-agent': { values: options.userAgent.split(',') } } }),
    },
  });
}

const refOf = (key: string) => `ref(${key})`;
const list = (rows: SessionRow[], extra: Partial<Parameters<typeof listDevices>[0]> = {}) =>
  listDevices({ rows, userId: CAROL, countBy: 'device', nowMs: NOW, refOf, ...extra });

describe('listDevices', () => {
  const laptop1 = row('100', {
    created: '2026-12-02T08:00:00Z',
    signedIn: '2026-12-02T08:01:00Z',
    fingerprintId: 'fp-laptop',
    ip: '203.0.113.1',
    userAgent: FIREFOX,
  });
  const laptop2 = row('101', {
    created: '2026-12-02T10:00:00Z',
    signedIn: '2026-12-02T10:01:00Z',
    fingerprintId: 'fp-laptop',
    ip: '203.0.113.2',
    userAgent: FIREFOX,
  });
  const desktop = row('102', {
    created: '2026-12-02T09:00:00Z',
    signedIn: '2026-12-02T09:30:00Z',
    fingerprintId: 'fp-desktop',
    ip: '198.51.100.9',
    userAgent: CHROME_WINDOWS,
  });

  it('groups sessions by fingerprint, newest sign-in first, named from the most recent session', () => {
    const devices = list([laptop1, desktop, laptop2]);
    expect(devices).toEqual<ShownDevice[]>([
      {
        ref: 'ref(fingerprint:fp-laptop)',
        browser: 'Firefox 133',
        system: 'Linux',
        ip: '203.0.113.2',
        firstSignInMs: Date.parse('2026-12-02T08:00:00Z'),
        lastSignInMs: Date.parse('2026-12-02T10:01:00Z'),
        sessionCount: 2,
        current: false,
        sessionIds: ['101', '100'],
      },
      {
        ref: 'ref(fingerprint:fp-desktop)',
        browser: 'Chrome 131',
        system: 'Windows 10',
        ip: '198.51.100.9',
        firstSignInMs: Date.parse('2026-12-02T09:00:00Z'),
        lastSignInMs: Date.parse('2026-12-02T09:30:00Z'),
        sessionCount: 1,
        current: false,
        sessionIds: ['102'],
      },
    ]);
  });

  it('shows every session as a device with COUNT_BY=session', () => {
    const devices = list([laptop1, desktop, laptop2], { countBy: 'session' });
    expect(devices.map((device) => device.ref)).toEqual([
      'ref(session:101)',
      'ref(session:102)',
      'ref(session:100)',
    ]);
  });

  it("drops other users' rows, even on the same fingerprint", () => {
    const mallorys = row('200', {
      userId: MALLORY,
      created: '2026-12-02T11:00:00Z',
      signedIn: '2026-12-02T11:00:00Z',
      fingerprintId: 'fp-laptop',
    });
    const devices = list([laptop1, mallorys]);
    expect(devices.flatMap((device) => device.sessionIds)).toEqual(['100']);
    const noUser = sessionRowSchema.parse({
      id: '201',
      factors: { password: { verifiedAt: '2026-12-02T11:00:00Z' } },
    });
    expect(list([noUser])).toEqual([]);
  });

  it('ignores expired sessions', () => {
    const expired = row('103', {
      created: '2026-12-02T11:00:00Z',
      signedIn: '2026-12-02T11:00:00Z',
      fingerprintId: 'fp-laptop',
      expires: '2026-12-02T12:00:00Z',
    });
    const devices = list([laptop1, expired]);
    expect(devices[0]?.sessionIds).toEqual(['100']);
    expect(list([expired])).toEqual([]);
  });

  it('shows no device for username-only sessions, but a shown device takes them along', () => {
    const typedOnly = row('104', { created: '2026-12-02T11:00:00Z', fingerprintId: 'fp-tablet' });
    expect(list([typedOnly])).toEqual([]);
    const typedOnLaptop = row('105', { created: '2026-12-02T11:30:00Z', fingerprintId: 'fp-laptop' });
    const [device, ...others] = list([laptop1, typedOnLaptop, typedOnly]);
    expect(others).toEqual([]);
    expect(device?.sessionIds).toEqual(['105', '100']);
    expect(device?.sessionCount).toBe(2);
    // The typed username is not a sign-in: the dates and the name come from the signed-in session.
    expect(device?.lastSignInMs).toBe(Date.parse('2026-12-02T08:01:00Z'));
    expect(device?.ip).toBe('203.0.113.1');
  });

  it('breaks ties in the last sign-in by ref', () => {
    const a = row('300', {
      created: '2026-12-02T08:00:00Z',
      signedIn: '2026-12-02T09:00:00Z',
      fingerprintId: 'b',
    });
    const b = row('301', {
      created: '2026-12-02T08:00:00Z',
      signedIn: '2026-12-02T09:00:00Z',
      fingerprintId: 'a',
    });
    expect(list([a, b]).map((device) => device.ref)).toEqual(['ref(fingerprint:a)', 'ref(fingerprint:b)']);
    expect(list([b, a]).map((device) => device.ref)).toEqual(['ref(fingerprint:a)', 'ref(fingerprint:b)']);
  });

  it('puts a device without readable dates last', () => {
    const undated = sessionRowSchema.parse({
      id: '400',
      factors: { user: { id: CAROL }, password: { verifiedAt: 'not a date' } },
    });
    const devices = list([undated, desktop]);
    expect(devices.map((device) => device.sessionIds)).toEqual([['102'], ['400']]);
    expect(devices[1]).toMatchObject({
      firstSignInMs: undefined,
      lastSignInMs: undefined,
      browser: undefined,
      ip: undefined,
    });
  });

  it('counts a row listed twice once', () => {
    expect(list([laptop1, laptop1])[0]?.sessionIds).toEqual(['100']);
  });

  it('marks the device holding the current session', () => {
    const devices = list([laptop1, desktop, laptop2], { currentSessionId: '100' });
    expect(devices.map((device) => device.current)).toEqual([true, false]);
  });

  it('marks the device with the current fingerprint when no session id matches', () => {
    const devices = list([laptop1, desktop, laptop2], {
      currentSessionId: 'gone',
      currentFingerprintId: 'fp-desktop',
    });
    expect(devices.map((device) => device.current)).toEqual([false, true]);
    expect(list([laptop1, desktop]).some((device) => device.current)).toBe(false);
  });

  it('with COUNT_BY=session marks only the current session, not every session of its browser', () => {
    const devices = list([laptop1, laptop2], {
      countBy: 'session',
      currentSessionId: '100',
      currentFingerprintId: 'fp-laptop',
    });
    expect(devices.map((device) => [device.sessionIds, device.current])).toEqual([
      [['101'], false],
      [['100'], true],
    ]);
  });

  it('never puts the fingerprint into a shown device', () => {
    const devices = list([laptop1], { currentFingerprintId: 'fp-laptop' });
    expect(JSON.stringify(devices)).not.toContain('fp-laptop"');
    expect(Object.keys(devices[0] ?? {})).not.toContain('fingerprintId');
  });

  it('reads the captured search answer: one device (password + TOTP), the username-only session with no fingerprint is none', () => {
    const capture = JSON.parse(
      readFileSync(
        new URL('../../fixtures/captures/session-rows-getsession-and-search.json', import.meta.url),
        'utf8',
      ),
    ) as { search: { body: unknown } };
    const rows = listSessionsResponseSchema.parse(capture.search.body).sessions ?? [];
    const devices = list(rows, { nowMs: Date.parse('2026-12-02T05:00:00Z') });
    expect(devices).toEqual([
      {
        ref: 'ref(fingerprint:fp-row-1)',
        browser: 'Chrome 126',
        system: 'Linux',
        ip: '203.0.113.7',
        firstSignInMs: Date.parse('2026-12-02T04:31:35.510689Z'),
        lastSignInMs: Date.parse('2026-12-02T04:31:35.660274Z'),
        sessionCount: 1,
        current: false,
        sessionIds: ['402132912515845158'],
      },
    ]);
  });
});

describe('devicesToSignOutOthers', () => {
  it('is every device but the current one', () => {
    const device = (ref: string, current: boolean): ShownDevice => ({
      ref,
      browser: undefined,
      system: undefined,
      ip: undefined,
      firstSignInMs: undefined,
      lastSignInMs: undefined,
      sessionCount: 1,
      current,
      sessionIds: [ref],
    });
    expect(
      devicesToSignOutOthers([device('a', false), device('b', true), device('c', false)]).map((d) => d.ref),
    ).toEqual(['a', 'c']);
  });
});
