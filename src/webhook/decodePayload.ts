import type { KeyObject } from 'node:crypto';
import {
  compactDecrypt,
  compactVerify,
  createLocalJWKSet,
  errors,
  type CompactJWSHeaderParameters,
  type FlattenedJWSInput,
  type JSONWebKeySet,
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
 * An unknown `kid` refetches the key set, but not more often than this: a key the instance published just after
 * our last fetch is accepted within this long of its publication, and a flood of unknown kids costs ZITADEL at most
 * one fetch per interval.
 */
export const UNKNOWN_KID_REFETCH_INTERVAL_MS = 1000;
/** A key set older than this is fetched again before use, so a key the instance withdrew stops being accepted. */
export const KEY_SET_MAX_AGE_MS = 600_000;
// ZITADEL's key set is a few KB; a proxy's answer of any size must not be held in memory.
const MAX_KEY_SET_BYTES = 1024 * 1024;

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

/** The key set at `url`, or a typed refusal: timeouts, network errors, non-200 answers, a body that is no key set. */
async function fetchKeySet(url: string, timeoutMs: number): Promise<LocalKeySet> {
  try {
    const response = await fetch(url, {
      headers: { Accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.status !== 200) throw new Error('not a key set');
    const text = await response.text();
    if (text.length > MAX_KEY_SET_BYTES) throw new Error('not a key set');
    return createLocalJWKSet(JSON.parse(text) as JSONWebKeySet);
  } catch {
    throw new PayloadRejectedError(502, 'jwks_unavailable');
  }
}

/**
 * The instance's JWKS (`/oauth/v2/keys`): fetched lazily, cached for KEY_SET_MAX_AGE_MS, refetched on an unknown
 * `kid` at most once per UNKNOWN_KID_REFETCH_INTERVAL_MS (ZITADEL publishes a web key before it signs with it, and
 * a webhook refused for a key we had not fetched yet fails the login under interruptOnError), each fetch bounded by
 * `timeoutMs`, concurrent callers sharing one fetch. After a failed fetch, webhooks are refused for
 * `failureBackoffMs` without asking again, so an unreachable ZITADEL is not asked once per webhook. Every time is
 * read from `now`, so the intervals are testable without waiting.
 */
export function instanceKeySet(options: InstanceKeySetOptions): JwsKeyResolver {
  const now = options.now ?? Date.now;
  const backoffMs = options.failureBackoffMs ?? 5000;
  const url = `${options.instanceUrl}/oauth/v2/keys`;
  let current: { readonly keys: LocalKeySet; readonly fetchedAtMs: number } | undefined;
  let inFlight: Promise<LocalKeySet> | undefined;
  let failedAtMs: number | undefined;

  function refetch(): Promise<LocalKeySet> {
    if (inFlight !== undefined) return inFlight;
    if (failedAtMs !== undefined && now() - failedAtMs < backoffMs)
      return Promise.reject(new PayloadRejectedError(502, 'jwks_unavailable'));
    const startedAtMs = now();
    inFlight = fetchKeySet(url, options.timeoutMs).then(
      (keys) => {
        current = { keys, fetchedAtMs: startedAtMs };
        failedAtMs = undefined;
        return keys;
      },
      (error: unknown) => {
        failedAtMs = now();
        throw error;
      },
    );
    return inFlight.finally(() => {
      inFlight = undefined;
    });
  }

  async function keyFrom(keys: LocalKeySet, header: JWSHeaderParameters, token: FlattenedJWSInput) {
    try {
      return await keys(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
        throw new PayloadRejectedError(401, 'payload_key_unknown');
      // The matching key has an algorithm or type jose cannot use: the JWS is refused as invalid.
      throw error;
    }
  }

  return async (header, token) => {
    const cached = current;
    if (cached === undefined || now() - cached.fetchedAtMs >= KEY_SET_MAX_AGE_MS)
      return keyFrom(await refetch(), header, token);
    try {
      return await keyFrom(cached.keys, header, token);
    } catch (error) {
      const unknownKid = error instanceof PayloadRejectedError && error.code === 'payload_key_unknown';
      const mayRefetch =
        inFlight !== undefined || now() - cached.fetchedAtMs >= UNKNOWN_KID_REFETCH_INTERVAL_MS;
      if (!unknownKid || !mayRefetch) throw error;
      return keyFrom(await refetch(), header, token);
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
