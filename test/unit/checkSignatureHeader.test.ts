import { describe, expect, it } from 'vitest';
import { checkSignatureHeader, verifyZitadelSignature } from '../../src/signature/verifyZitadelSignature.js';

const NOW = 1_760_000_000;
const HEX = 'ab'.repeat(32);
const check = (header: string | undefined, nowSeconds = NOW) =>
  checkSignatureHeader({ header, nowSeconds, toleranceSeconds: 300, futureSkewSeconds: 60 });

describe('checkSignatureHeader (in process, before the body is read)', () => {
  it('passes a well-formed header inside the window', () => {
    expect(check(`t=${NOW},v1=${HEX}`)).toEqual({ ok: true });
    expect(check(`t=${NOW - 300},v1=${HEX}`)).toEqual({ ok: true });
    expect(check(`t=${NOW + 60},v1=${HEX}`)).toEqual({ ok: true });
  });

  it('calls an absent or empty header missing', () => {
    expect(check(undefined)).toEqual({ ok: false, reason: 'signature_missing' });
    expect(check('')).toEqual({ ok: false, reason: 'signature_missing' });
  });

  it('calls a header it cannot parse malformed', () => {
    expect(check('garbage')).toEqual({ ok: false, reason: 'signature_malformed' });
    expect(check(`t=${NOW}`)).toEqual({ ok: false, reason: 'signature_malformed' });
  });

  it('refuses a timestamp outside the window', () => {
    expect(check(`t=${NOW - 301},v1=${HEX}`)).toEqual({ ok: false, reason: 'signature_expired' });
    expect(check(`t=${NOW + 61},v1=${HEX}`)).toEqual({ ok: false, reason: 'signature_from_future' });
  });

  it('accepts a header of exactly the maximum length and refuses one byte more', () => {
    const base = `t=${NOW},v1=${HEX},x=`;
    const atMax = base + 'y'.repeat(1024 - base.length);
    expect(atMax).toHaveLength(1024);
    expect(check(atMax)).toEqual({ ok: true });
    expect(check(`${atMax}y`)).toEqual({ ok: false, reason: 'signature_malformed' });
    const body = new Uint8Array();
    const verified = verifyZitadelSignature({
      header: `${atMax}y`,
      rawBody: body,
      keys: ['k'],
      nowSeconds: NOW,
      toleranceSeconds: 300,
      futureSkewSeconds: 60,
    });
    expect(verified).toEqual({ ok: false, reason: 'signature_malformed' });
  });
});
