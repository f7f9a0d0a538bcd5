import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { ActionsApiVersion, TargetPublicKey } from './adminApi/adminApi.js';
import type { ZitadelClient } from './connect.js';
import type { Deadline } from '../zitadel/deadline.js';
import { CommandFailure, UsageError } from './errors.js';

/** What `setup` did about the target's JWE encryption key. Never holds private key material. */
export interface EncryptionKeyResult {
  readonly keyId: string;
  /** kept: the active key stays; added: uploaded and activated; activated: an uploaded key was activated. */
  readonly status: 'kept' | 'added' | 'activated';
  /** Where a freshly generated private key was written (absolute path); undefined when none was generated. */
  readonly privateKeyFile: string | undefined;
}

/** RSA (2048 bits or more) or EC P-256: what ZITADEL encrypts to, and what PAYLOAD_DECRYPTION_KEY accepts. */
function usable(key: KeyObject): boolean {
  const details = key.asymmetricKeyDetails;
  return (
    (key.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= 2048) ||
    (key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1')
  );
}

/** The key's SubjectPublicKeyInfo, to compare keys whatever their PEM layout. */
function spkiOf(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'der' }).toString('base64');
}

function publicKeyOf(pem: string): KeyObject | undefined {
  try {
    return createPublicKey({ key: pem, format: 'pem' });
  } catch {
    return undefined;
  }
}

/** Reads `--public-key`: a PEM public key ZITADEL can encrypt to. A private key is refused (it must stay here). */
export function readPublicKeyFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError('--public-key cannot be read (check the path and its permissions)', 'setup');
  }
  if (text.includes('PRIVATE KEY'))
    throw new UsageError(
      '--public-key holds a private key: pass the public half (openssl pkey -pubout) and keep the private key with the limiter',
      'setup',
    );
  const key = publicKeyOf(text);
  if (key === undefined) throw new UsageError('--public-key is not a PEM public key', 'setup');
  if (!usable(key)) throw new UsageError('--public-key must be RSA (2048 bits or more) or EC P-256', 'setup');
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

/** The SPKI of every usable private key, to find which uploaded key the limiter can open. */
export function publicKeysOfPrivate(keys: readonly KeyObject[]): Set<string> {
  return new Set(keys.map((key) => spkiOf(createPublicKey(key))));
}

/** The uploaded key's SPKI, when ZITADEL returned its PEM. */
export function spkiOfUploaded(key: TargetPublicKey): string | undefined {
  const parsed = key.publicKeyPem === undefined ? undefined : publicKeyOf(key.publicKeyPem);
  return parsed === undefined ? undefined : spkiOf(parsed);
}

export function isExpired(key: TargetPublicKey, nowMs: number): boolean {
  return key.expirationDate !== undefined && Date.parse(key.expirationDate) <= nowMs;
}

/**
 * Generates an EC P-256 pair (short PEM, fits an environment variable) and writes the private key to `file` with
 * mode 0600, refusing to overwrite anything. Answers the public key's PEM.
 */
function generateKeyFile(file: string): string {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  try {
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    const exists = (error as NodeJS.ErrnoException).code === 'EEXIST';
    throw new CommandFailure(
      exists
        ? `${file} already exists and is not overwritten: pass --private-key-out <new file>, or --public-key with the public half of that key.`
        : `the private key cannot be written to ${file} (check the directory and its permissions).`,
      2,
    );
  }
  // Sanity check: what was written is what we upload the public half of.
  createPrivateKey({ key: readFileSync(file, 'utf8'), format: 'pem' });
  return publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

/**
 * Makes sure the target has an active public key for JWE payloads:
 * - with `publicKeyPem` (`--public-key`): that key, uploaded unless already there, and activated;
 * - without: the active, unexpired key stays (no rotation behind the operator's back); when there is none, a pair
 *   is generated, the private key written to `privateKeyFile`, the public key uploaded and activated.
 */
export async function ensureEncryptionKey(
  zitadel: ZitadelClient,
  args: {
    api: ActionsApiVersion;
    targetId: string;
    publicKeyPem: string | undefined;
    privateKeyFile: string;
    nowMs?: number;
  },
  deadline: Deadline,
): Promise<EncryptionKeyResult> {
  const { api, targetId } = args;
  const nowMs = args.nowMs ?? Date.now();
  const keys = await zitadel.listPublicKeys({ api, targetId }, deadline);
  if (args.publicKeyPem !== undefined) {
    const wanted = spkiOf(createPublicKey(args.publicKeyPem));
    const uploaded = keys.find((key) => spkiOfUploaded(key) === wanted && !isExpired(key, nowMs));
    if (uploaded?.active === true)
      return { keyId: uploaded.keyId, status: 'kept', privateKeyFile: undefined };
    const keyId =
      uploaded?.keyId ??
      (await zitadel.addPublicKey({ api, targetId, publicKeyPem: args.publicKeyPem }, deadline));
    await zitadel.activatePublicKey({ api, targetId, keyId }, deadline);
    return { keyId, status: uploaded === undefined ? 'added' : 'activated', privateKeyFile: undefined };
  }
  const active = keys.find((key) => key.active && !isExpired(key, nowMs));
  if (active !== undefined) return { keyId: active.keyId, status: 'kept', privateKeyFile: undefined };
  const publicKeyPem = generateKeyFile(args.privateKeyFile);
  const keyId = await zitadel.addPublicKey({ api, targetId, publicKeyPem }, deadline);
  await zitadel.activatePublicKey({ api, targetId, keyId }, deadline);
  return { keyId, status: 'added', privateKeyFile: args.privateKeyFile };
}
