import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, loadPayloadSettings } from '../../src/config.js';
import { ConfigError } from '../../src/vocabulary.js';
import { detectPayloadForm } from '../../src/webhook/decodePayload.js';
import { targetKeyPair, type TargetKeyPair } from '../support/payloadKeys.js';

const BASE = { INSTANCE_URL: 'https://my-instance.zitadel.cloud', PAT: 'pat-x', SIGNING_KEY: 'sk-x' };

function problemsFor(env: Record<string, string>): string {
  try {
    loadConfig({ ...BASE, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('loadConfig accepted an invalid environment');
}

let rsa: TargetKeyPair;
let ec: TargetKeyPair;
let directory: string;

beforeAll(() => {
  rsa = targetKeyPair('rsa');
  ec = targetKeyPair('ec');
  directory = mkdtempSync(path.join(tmpdir(), 'limiter-payload-keys-'));
});

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

describe('payload settings', () => {
  it('accepts every payload form and has no decryption key by default', () => {
    expect(loadConfig(BASE).payload).toEqual({ requiredForm: undefined, decryptionKeys: [] });
  });

  it('reads REQUIRE_PAYLOAD_TYPE in any case, and refuses other values by name', () => {
    expect(loadConfig({ ...BASE, REQUIRE_PAYLOAD_TYPE: 'JWT' }).payload.requiredForm).toBe('jwt');
    expect(problemsFor({ REQUIRE_PAYLOAD_TYPE: 'signed' })).toContain(
      'REQUIRE_PAYLOAD_TYPE must be json, jwt or jwe',
    );
  });

  it('reads several PEM keys from PAYLOAD_DECRYPTION_KEY, and one from PAYLOAD_DECRYPTION_KEY_FILE', () => {
    const both = loadConfig({ ...BASE, PAYLOAD_DECRYPTION_KEY: `${rsa.privatePem}\n${ec.privatePem}` });
    expect(both.payload.decryptionKeys.map((key) => key.asymmetricKeyType)).toEqual(['rsa', 'ec']);

    const file = path.join(directory, 'payload.pem');
    writeFileSync(file, ec.privatePem);
    expect(loadPayloadSettings({ PAYLOAD_DECRYPTION_KEY_FILE: file }).decryptionKeys).toHaveLength(1);
  });

  it('refuses a value that is no PEM private key without echoing it', () => {
    const message = problemsFor({ PAYLOAD_DECRYPTION_KEY: 'sekrit-not-a-key' });
    expect(message).toContain('PAYLOAD_DECRYPTION_KEY must hold one or more PEM private keys');
    expect(message).not.toContain('sekrit');
    const broken = problemsFor({
      PAYLOAD_DECRYPTION_KEY: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----',
    });
    expect(broken).toContain('PAYLOAD_DECRYPTION_KEY: key 1 cannot be read');
  });

  it('refuses keys ZITADEL cannot encrypt to (RSA under 2048 bits, other curves), naming the key', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    const message = problemsFor({
      PAYLOAD_DECRYPTION_KEY: `${rsa.privatePem}${String(small)}${String(p384)}`,
    });
    expect(message).toContain('key 2 must be RSA (2048 bits or more) or EC P-256');
    expect(message).toContain('key 3 must be RSA (2048 bits or more) or EC P-256');
    expect(message).not.toContain('key 1');
  });

  it('refuses both variables at once, an unreadable file, and REQUIRE_PAYLOAD_TYPE=jwe without a key', () => {
    expect(
      problemsFor({ PAYLOAD_DECRYPTION_KEY: rsa.privatePem, PAYLOAD_DECRYPTION_KEY_FILE: '/nonexistent' }),
    ).toContain('are both set');
    expect(problemsFor({ PAYLOAD_DECRYPTION_KEY_FILE: path.join(directory, 'missing.pem') })).toContain(
      'PAYLOAD_DECRYPTION_KEY_FILE cannot be read',
    );
    expect(problemsFor({ REQUIRE_PAYLOAD_TYPE: 'jwe' })).toContain(
      'REQUIRE_PAYLOAD_TYPE=jwe needs PAYLOAD_DECRYPTION_KEY or PAYLOAD_DECRYPTION_KEY_FILE',
    );
  });
});

describe('detectPayloadForm', () => {
  const bytes = (text: string) => Buffer.from(text, 'utf8');

  it.each([
    ['{"fullMethod":"x"}', 'json'],
    ['  {"a":1}', 'json'],
    ['', 'json'],
    ['not json at all', 'json'],
    ['eyJhbGciOiJSUzI1NiJ9.eyJhIjoxfQ.c2ln', 'jwt'],
    ['eyJhbGciOiJSUzI1NiJ9.eyJhIjoxfQ.c2ln\n', 'jwt'],
    ['eyJhbGciOiJub25lIn0.eyJhIjoxfQ.', 'jwt'],
    ['eyJhbGciOiJSU0EtT0FFUC0yNTYifQ.a2V5.aXY.Y2lwaGVy.dGFn', 'jwe'],
    ['a.b', 'json'],
    ['a.b.c.d', 'json'],
    ['a.b.c.d.e.f', 'json'],
    ['a.b.c=', 'json'],
  ])('%j is %s', (body, form) => {
    expect(detectPayloadForm(bytes(body))).toBe(form);
  });
});
