import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { CompactEncrypt, CompactSign, exportJWK, type JWK } from 'jose';
import type { Express } from 'express';

/**
 * Keys and bodies for the JWT and JWE payload types, made the way ZITADEL makes them
 * (internal/execution/execution.go): a compact JWS of the exact JSON envelope, signed by the instance's web key
 * (`kid`, `typ` JWT), optionally encrypted to the target's public key (A256GCM; RSA-OAEP-256 or ECDH-ES+A256KW;
 * `kid` = the target key's id; `typ` and `cty` JWT). Every key is generated here, in the test.
 */

export interface InstanceWebKey {
  readonly kid: string;
  readonly alg: 'RS256' | 'ES256';
  readonly privateKey: KeyObject;
  readonly publicJwk: JWK;
}

export async function instanceWebKey(kid: string, alg: 'RS256' | 'ES256' = 'RS256'): Promise<InstanceWebKey> {
  const { privateKey, publicKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

export interface TargetKeyPair {
  readonly kind: 'rsa' | 'ec';
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** PKCS#8 PEM, as PAYLOAD_DECRYPTION_KEY takes it. */
  readonly privatePem: string;
  readonly publicPem: string;
}

export function targetKeyPair(kind: 'rsa' | 'ec'): TargetKeyPair {
  const { privateKey, publicKey } =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    kind,
    privateKey,
    publicKey,
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** `PAYLOAD_TYPE_JWT`: the JSON body, signed. */
export async function jwtPayload(json: string, key: InstanceWebKey): Promise<string> {
  return new CompactSign(new TextEncoder().encode(json))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .sign(key.privateKey);
}

/** `PAYLOAD_TYPE_JWE`: the JWS (or, to test refusals, any text), encrypted to the target key. */
export async function jwePayload(
  inner: string,
  target: TargetKeyPair,
  keyId = 'target-key-1',
): Promise<string> {
  return new CompactEncrypt(new TextEncoder().encode(inner))
    .setProtectedHeader({
      alg: target.kind === 'rsa' ? 'RSA-OAEP-256' : 'ECDH-ES+A256KW',
      enc: 'A256GCM',
      kid: keyId,
      typ: 'JWT',
      cty: 'JWT',
    })
    .encrypt(target.publicKey);
}

/**
 * Serves `/oauth/v2/keys` for FakeZitadel's `publicRoutes`. `keys` and `failing` may be changed during a test;
 * `fetches` counts every request.
 */
export class FakeJwks {
  keys: JWK[];
  /** Answer 503 instead of the key set. */
  failing = false;
  /** Answer 200 with something that is not a key set (an HTML error page of a proxy). */
  garbled = false;
  fetches = 0;

  constructor(keys: readonly InstanceWebKey[]) {
    this.keys = keys.map((key) => key.publicJwk);
  }

  readonly mount = (app: Express): void => {
    app.get('/oauth/v2/keys', (_req, res) => {
      this.fetches += 1;
      if (this.failing) {
        res.status(503).json({ code: 14, message: 'unavailable' });
        return;
      }
      if (this.garbled) {
        res.type('html').send('<html>Bad gateway</html>');
        return;
      }
      res.json({ keys: this.keys });
    });
  };
}

/**
 * What ZITADEL posts to a target (`payload()` in internal/execution/execution.go): the JSON as is, or signed with
 * the instance's web key, or signed and then encrypted to the target's active public key (its key id as `kid`).
 */
export async function bodyForTarget(
  json: string,
  target: {
    payloadType: string | undefined;
    publicKeys: readonly { keyId: string; publicKeyPem: string; active: boolean }[];
  },
  webKey: InstanceWebKey,
): Promise<string> {
  if (target.payloadType === 'PAYLOAD_TYPE_JWT') return jwtPayload(json, webKey);
  if (target.payloadType !== 'PAYLOAD_TYPE_JWE') return json;
  const active = target.publicKeys.find((key) => key.active);
  if (active === undefined) throw new Error('ZITADEL fails the call: Errors.Execution.MissingEncryptionKey');
  const publicKey = createPublicKey(active.publicKeyPem);
  const jws = await jwtPayload(json, webKey);
  return new CompactEncrypt(new TextEncoder().encode(jws))
    .setProtectedHeader({
      alg: publicKey.asymmetricKeyType === 'rsa' ? 'RSA-OAEP-256' : 'ECDH-ES+A256KW',
      enc: 'A256GCM',
      kid: active.keyId,
      typ: 'JWT',
      cty: 'JWT',
    })
    .encrypt(publicKey);
}
