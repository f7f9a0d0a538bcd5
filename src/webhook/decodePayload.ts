import type { KeyObject } from 'node:crypto';
import {
  compactDecrypt,
  compactVerify,
  createRemoteJWKSet,
  errors,
  type CompactJWSHeaderParameters,
  type FlattenedJWSInput,
  type JWSHeaderParameters,
  type KeyInput,
} from 'jose';
import type { PayloadForm, PayloadSettings } from '../vocabulary.js';

/**
 * ZITADEL ≥ 4.8 can post the webhook body in three forms (target `payloadType`, see zitadel
 * `internal/execution/execution.go` payload/payloadJWT/payloadJWE):
 * - JSON: the envelope itself;
 * - JWT: a compact JWS of exactly that JSON, signed by the instance's active web key (`kid` set, `typ` JWT, no
 *   iss/aud/exp claims), verifiable against `<instance>/oauth/v2/keys`;
 * - JWE: that JWS encrypted (compact, `enc` A256GCM, `alg` RSA-OAEP-256 or ECDH-ES+A256KW, `cty` JWT, `kid` = the
 *   target public key's id) to a public key uploaded to the target.
 * The `ZITADEL-Signature` HMAC is checked over the body as sent before any of this runs.
 */

/** Why a payload was refused. Terse, stable codes (answers and metric labels); never any part of the body. */
export class PayloadRejectedError extends Error {
  constructor(
    readonly status: 400 | 401 | 502,
    readonly code:
      | 'payload_type_required'
      | 'payload_jws_invalid'
      | 'payload_signature_invalid'
      | 'payload_key_unknown'
      | 'payload_jwe_invalid'
      | 'payload_decryption_unconfigured'
      | 'payload_decryption_failed'
      | 'jwks_unavailable',
  ) {
    super(code);
    this.name = 'PayloadRejectedError';
  }
}

const STRENGTH: Record<PayloadForm, number> = { json: 0, jwt: 1, jwe: 2 };

/** `json` < `jwt` < `jwe`: whether a webhook in `form` is refused by REQUIRE_PAYLOAD_TYPE=`required`. */
export function isWeakerThan(form: PayloadForm, required: PayloadForm | undefined): boolean {
  return required !== undefined && STRENGTH[form] < STRENGTH[required];
}
// Base64url segments; a compact JWS has 3, a compact JWE 5 (RFC 7515 §7.1, RFC 7516 §7.1).
const COMPACT = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*){2}(?:(?:\.[A-Za-z0-9_-]*){2})?$/;
// ZITADEL web keys are RSA, ECDSA (P-256/384/521) or Ed25519; never a symmetric "HS" or "none".
const JWS_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];
const JWE_KEY_ALGORITHMS = ['RSA-OAEP-256', 'ECDH-ES+A256KW'];
const JWE_CONTENT_ALGORITHMS = ['A256GCM'];

/** The form of a raw body: compact JWS, compact JWE, or (anything else) JSON to be parsed as before. Pure. */
export function detectPayloadForm(rawBody: Uint8Array): PayloadForm {
  // A compact serialisation is a few KB of ASCII; only look further when the first byte could start one.
  const first = rawBody[0];
  if (first === undefined || first === 0x7b /* { */ || rawBody.length > 1024 * 1024) return 'json';
  const text = Buffer.from(rawBody).toString('latin1').trim();
  if (!COMPACT.test(text)) return 'json';
  return text.split('.').length === 5 ? 'jwe' : 'jwt';
}

/** Where JWS payloads are verified: the instance's published keys. Injected so tests can count fetches. */
export type JwsKeyResolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<KeyInput>;

export interface InstanceKeySetOptions {
  readonly instanceUrl: string;
  /** Upper bound for one fetch of the key set. */
  readonly timeoutMs: number;
  /** After a failed fetch, further webhooks are refused without asking again for this long. */
  readonly failureBackoffMs?: number;
  readonly now?: () => number;
}

/**
 * The instance's JWKS (`/oauth/v2/keys`) through jose's remote key set: fetched lazily, cached (10 min), refetched on
 * an unknown `kid` at most every 30 s, each fetch bounded by `timeoutMs`, concurrent callers sharing one fetch. jose
 * retries a failed fetch on the very next call; the failure backoff here keeps an unreachable ZITADEL from being
 * asked once per webhook.
 */
export function instanceKeySet(options: InstanceKeySetOptions): JwsKeyResolver {
  const now = options.now ?? Date.now;
  const backoffMs = options.failureBackoffMs ?? 5000;
  const remote = createRemoteJWKSet(new URL(`${options.instanceUrl}/oauth/v2/keys`), {
    timeoutDuration: options.timeoutMs,
    cooldownDuration: 30_000,
    cacheMaxAge: 600_000,
  });
  let failedAtMs: number | undefined;
  return async (header, token) => {
    if (failedAtMs !== undefined && now() - failedAtMs < backoffMs)
      throw new PayloadRejectedError(502, 'jwks_unavailable');
    try {
      const key = await remote(header, token);
      failedAtMs = undefined;
      return key;
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
        throw new PayloadRejectedError(401, 'payload_key_unknown');
      // The matching key has an algorithm or type jose cannot use: the JWS is refused as invalid.
      if (error instanceof errors.JOSENotSupported) throw error;
      // Timeouts, network errors, non-200 answers, a body that is not a key set.
      failedAtMs = now();
      throw new PayloadRejectedError(502, 'jwks_unavailable');
    }
  };
}

export interface PayloadDecoderDeps {
  readonly settings: PayloadSettings;
  readonly jwsKeys: JwsKeyResolver;
}

/** Turns a verified body (HMAC already checked) into the JSON envelope's bytes. */
export type PayloadDecoder = (rawBody: Uint8Array) => Promise<{ form: PayloadForm; json: Uint8Array }>;

function keyAlgorithmFits(key: KeyObject, alg: string | undefined): boolean {
  if (alg === 'RSA-OAEP-256') return key.asymmetricKeyType === 'rsa';
  if (alg === 'ECDH-ES+A256KW') return key.asymmetricKeyType === 'ec';
  return false;
}

function protectedHeaderOf(compact: string): Record<string, unknown> | undefined {
  try {
    const header = JSON.parse(
      Buffer.from(compact.split('.')[0] ?? '', 'base64url').toString('utf8'),
    ) as unknown;
    return typeof header === 'object' && header !== null ? (header as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function createPayloadDecoder(deps: PayloadDecoderDeps): PayloadDecoder {
  const { settings, jwsKeys } = deps;
  // Which configured key opened a JWE with this kid last time: tried first next time.
  const keyIndexByKid = new Map<string, number>();

  async function verifyJws(compact: string): Promise<Uint8Array> {
    try {
      const { payload } = await compactVerify(
        compact,
        (header: CompactJWSHeaderParameters, token) => jwsKeys(header, token),
        { algorithms: JWS_ALGORITHMS },
      );
      return payload;
    } catch (error) {
      if (error instanceof PayloadRejectedError) throw error;
      if (error instanceof errors.JWSSignatureVerificationFailed)
        throw new PayloadRejectedError(401, 'payload_signature_invalid');
      throw new PayloadRejectedError(400, 'payload_jws_invalid');
    }
  }

  async function decryptJwe(compact: string): Promise<string> {
    const keys = settings.decryptionKeys;
    if (keys.length === 0) throw new PayloadRejectedError(400, 'payload_decryption_unconfigured');
    const header = protectedHeaderOf(compact);
    if (header === undefined) throw new PayloadRejectedError(400, 'payload_jwe_invalid');
    const alg = typeof header.alg === 'string' ? header.alg : undefined;
    const kid = typeof header.kid === 'string' ? header.kid.slice(0, 200) : undefined;
    const remembered = kid === undefined ? undefined : keyIndexByKid.get(kid);
    const order = keys
      .map((key, index) => ({ key, index }))
      .filter(({ key }) => keyAlgorithmFits(key, alg))
      .sort((a, b) => Number(b.index === remembered) - Number(a.index === remembered));
    if (order.length === 0) throw new PayloadRejectedError(400, 'payload_decryption_failed');
    for (const { key, index } of order) {
      try {
        const { plaintext } = await compactDecrypt(compact, key, {
          keyManagementAlgorithms: JWE_KEY_ALGORITHMS,
          contentEncryptionAlgorithms: JWE_CONTENT_ALGORITHMS,
        });
        if (kid !== undefined && keyIndexByKid.size < 100) keyIndexByKid.set(kid, index);
        return Buffer.from(plaintext).toString('latin1').trim();
      } catch (error) {
        if (error instanceof errors.JWEInvalid || error instanceof errors.JOSEAlgNotAllowed)
          throw new PayloadRejectedError(400, 'payload_jwe_invalid');
        // Decryption failed with this key: try the next one.
      }
    }
    throw new PayloadRejectedError(400, 'payload_decryption_failed');
  }

  return async (rawBody) => {
    const form = detectPayloadForm(rawBody);
    if (isWeakerThan(form, settings.requiredForm))
      throw new PayloadRejectedError(400, 'payload_type_required');
    if (form === 'json') return { form, json: rawBody };
    const text = Buffer.from(rawBody).toString('latin1').trim();
    // A JWE carries the JWS (cty JWT): decrypting alone would trust whoever holds our public key.
    const jws = form === 'jwe' ? await decryptJwe(text) : text;
    if (form === 'jwe' && (!COMPACT.test(jws) || jws.split('.').length !== 3))
      throw new PayloadRejectedError(400, 'payload_jws_invalid');
    return { form, json: await verifyJws(jws) };
  };
}
