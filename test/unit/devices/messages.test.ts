import { describe, expect, it } from 'vitest';
import { LANGUAGES, PROBLEM_CODES, messagesFor, pickLanguage } from '../../../src/devices/messages.js';

describe('pickLanguage', () => {
  it.each([
    [undefined, 'en'],
    ['', 'en'],
    ['de', 'de'],
    ['DE', 'de'],
    ['de-AT', 'de'],
    ['de-CH,de;q=0.9', 'de'],
    ['en-US,en;q=0.9,de;q=0.8', 'en'],
    ['fr-FR,fr;q=0.9,de;q=0.8,en;q=0.7', 'de'],
    ['en;q=0.5,de;q=0.9', 'de'],
    ['de;q=0.5,en;q=0.5', 'de'],
    ['de;q=0,en;q=0.1', 'en'],
    ['de;q=0', 'en'],
    ['fr, it', 'en'],
    ['*', 'en'],
    ['fr,*;q=0.5,de;q=0.6', 'de'],
    ['de;q=2', 'en'],
    ['de;q=abc,en;q=0.1', 'en'],
    ['deu', 'en'],
    [' de-at ; q=0.8 , en ; q=0.3', 'de'],
    [`${'x,'.repeat(5000)}de`, 'en'],
  ])('reads %j as %s', (header, language) => {
    expect(pickLanguage(header)).toBe(language);
  });
});

describe('messages', () => {
  it.each(LANGUAGES)('has a title and message for every problem code in %s', (language) => {
    const { problems } = messagesFor(language);
    expect(Object.keys(problems).sort()).toEqual([...PROBLEM_CODES].sort());
    for (const code of PROBLEM_CODES) {
      expect(problems[code].title.trim()).not.toBe('');
      expect(problems[code].message.trim()).not.toBe('');
    }
  });

  it('says every problem differently in German than in English', () => {
    for (const code of PROBLEM_CODES) {
      expect(messagesFor('de').problems[code].message).not.toBe(messagesFor('en').problems[code].message);
    }
  });

  it('names the device in the sign-out button', () => {
    const en = messagesFor('en');
    expect(en.signOutDevice(en.deviceName('Firefox 133', 'Windows'))).toBe('Sign out Firefox 133 on Windows');
    const de = messagesFor('de');
    expect(de.signOutDevice(de.deviceName('Firefox 133', 'Windows'))).toBe(
      'Firefox 133 unter Windows abmelden',
    );
  });

  it('names devices whose browser or system is unknown', () => {
    const en = messagesFor('en');
    expect(en.deviceName('Chrome 131', undefined)).toBe('Chrome 131');
    expect(en.deviceName(undefined, 'Linux')).toBe('Unknown browser on Linux');
    expect(en.deviceName(undefined, undefined)).toBe('Unknown device');
    expect(messagesFor('de').deviceName(undefined, undefined)).toBe('Unbekanntes Gerät');
  });

  it('counts sessions and signed-out devices with plural forms', () => {
    expect(messagesFor('en').sessionCount(1)).toBe('1 session');
    expect(messagesFor('en').sessionCount(3)).toBe('3 sessions');
    expect(messagesFor('de').sessionCount(1)).toBe('1 Sitzung');
    expect(messagesFor('de').sessionCount(3)).toBe('3 Sitzungen');
    expect(messagesFor('en').signedOutOthers(1)).toBe('Signed out 1 other device.');
    expect(messagesFor('en').signedOutOthers(2)).toBe('Signed out 2 other devices.');
    expect(messagesFor('de').signedOutOthers(2)).toBe('2 andere Geräte wurden abgemeldet.');
  });

  it('says the limit in the ticket banner when it is known', () => {
    expect(messagesFor('en').ticketBanner(3)).toBe(
      'You are at your limit of 3 devices: sign out one to sign in here.',
    );
    expect(messagesFor('en').ticketBanner(1)).toContain('limit of 1 device:');
    expect(messagesFor('en').ticketBanner(undefined)).toBe(
      'You are at your limit of devices: sign out one to sign in here.',
    );
    expect(messagesFor('de').ticketBanner(3)).toContain('3 Geräten');
  });

  it('formats times in UTC and says so', () => {
    const at = Date.parse('2026-12-02T22:30:00Z');
    expect(messagesFor('en').formatTime(at)).toBe('2 Dec 2026, 22:30 UTC');
    expect(messagesFor('de').formatTime(at)).toBe('02.12.2026, 22:30 UTC');
    expect(messagesFor('en').formatTime(Number.NaN)).toBe('');
  });
});
