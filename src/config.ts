import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { parseSessionLimit } from './policy/sessionLimit.js';
import {
  ConfigError,
  type Config,
  type ConnectionConfig,
  type CountBy,
  type CountWhen,
  type DevicesConfig,
  type EvictionOrder,
  type LimitSettings,
  type PayloadForm,
  type PayloadSettings,
  type SessionLimit,
  type ZitadelCredential,
} from './vocabulary.js';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

function integer(min: number, max: number) {
  return z
    .string()
    .regex(/^[0-9]+$/, { error: `must be a whole number from ${min} to ${max}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, { error: `must be at least ${min}` })
        .max(max, { error: `must be at most ${max}` }),
    );
}

const instanceUrl = z
  .string({ error: 'is required (your ZITADEL base URL, e.g. https://my-instance.zitadel.cloud)' })
  .transform((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a URL such as https://my-instance.zitadel.cloud' });
      return z.NEVER;
    }
    const plainHttpAllowed = url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname);
    if (url.protocol !== 'https:' && !plainHttpAllowed) {
      ctx.addIssue({
        code: 'custom',
        message: 'must use https:// (plain http:// only for localhost or 127.0.0.1)',
      });
      return z.NEVER;
    }
    if (url.username || url.password || url.search || url.hash) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be a plain base URL without credentials, query or fragment',
      });
      return z.NEVER;
    }
    // The console's or the login's address is what a browser shows; the APIs live at the instance's root.
    if (/\/ui\/(console|login|v2\/login)(\/|$)/.test(url.pathname)) {
      ctx.addIssue({
        code: 'custom',
        message:
          "must be the instance's base URL (e.g. https://my-instance.zitadel.cloud), not the console or login URL",
      });
      return z.NEVER;
    }
    // ZITADEL serves every API at the root of the instance's domain (ExternalDomain) and cannot live under a path
    // prefix, so a path (`…/v2`, `…/management/v1`) would turn every call into a 404 that looks like a wrong role.
    if (url.pathname.replace(/\/+$/, '') !== '') {
      ctx.addIssue({
        code: 'custom',
        message:
          "must be the instance's base URL without a path (e.g. https://my-instance.zitadel.cloud): ZITADEL serves its APIs at the domain's root, so drop the path",
      });
      return z.NEVER;
    }
    return url.origin;
  });

// Secret-bearing fields: their messages must never echo the value, so they use fixed texts only.
const requiredSecret = (what: string) =>
  z
    .string({ error: `is required (${what})` })
    .trim()
    .min(1, { error: `is required (${what})` });

/**
 * How many signing keys may be configured at once. A rotation needs two (the new key and the old one until ZITADEL
 * switched); one more leaves room for a second target posting to the same URL. Each accepted key is one more HMAC
 * over the whole body for every forged request, so the cost of a forgery grows with this number.
 */
export const MAX_SIGNING_KEYS = 3;

/**
 * The body-size default. The largest session payloads we could build (test/support/largestPayloads.ts, measured in
 * test/hostile/bodyLimit.test.ts) are about 30 KB (CreateSession response with every check, challenge, metadata and
 * a full user agent), 27 KB (SetSession) and 18 KB (event): 64 KiB leaves twice the worst case. Every connection may
 * make us hold up to this much before its HMAC can be checked, so it also sets the flood bound (README).
 */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

const signingKeys = requiredSecret(
  "the target's signing key, which setup prints: npm run setup -- --endpoint https://<this service>/session/manage",
).transform((value, ctx) => {
  const keys = value.split(',').map((key) => key.trim());
  if (keys.some((key) => key.length === 0)) {
    ctx.addIssue({ code: 'custom', message: 'has an empty key between commas' });
    return z.NEVER;
  }
  if (keys.length > MAX_SIGNING_KEYS) {
    ctx.addIssue({
      code: 'custom',
      message: `has ${keys.length} keys; at most ${MAX_SIGNING_KEYS} are accepted (a rotation needs two, and every extra key is one more HMAC over the body for each forged request)`,
    });
    return z.NEVER;
  }
  return keys;
});

// A bearer token guarding /metrics. Short ones are guessable; the message never echoes the value.
const metricsToken = z
  .string()
  .trim()
  .min(16, { error: 'must be at least 16 characters (a random token, e.g. openssl rand -hex 32)' })
  .max(512, { error: 'must be at most 512 characters' })
  .regex(/^[\x21-\x7e]+$/, { error: 'must be printable ASCII without spaces (it is sent in a header)' })
  .optional();

const optionalSecret = z.string().trim().min(1).optional();

/** ORG_LIMITS: `orgId=limit,orgId=limit`, a limit being a whole number of at least 1 or `unlimited`. */
const orgLimits = z.string().transform((value, ctx) => {
  const limits = new Map<string, SessionLimit>();
  const entries = value.split(',').map((entry) => entry.trim());
  for (const [index, entry] of entries.entries()) {
    const position = `entry ${index + 1}`;
    const [orgId, limitText, ...rest] = entry.split('=').map((part) => part.trim());
    if (entry === '' || rest.length > 0 || orgId === undefined || orgId === '' || limitText === undefined) {
      ctx.addIssue({ code: 'custom', message: `${position} is not orgId=limit (e.g. 123456789=2)` });
      continue;
    }
    const limit = parseSessionLimit(limitText);
    if (limit === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `${position} has a limit that is not a whole number of at least 1 or "unlimited"`,
      });
      continue;
    }
    if (limits.has(orgId)) {
      ctx.addIssue({ code: 'custom', message: `${position} names an organisation a second time` });
      continue;
    }
    limits.set(orgId, limit);
  }
  return limits;
});

const DURATION_UNITS_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
// At most a year: a longer place TTL is a typo, not a plan (use `off`).
const MAX_PLACE_TTL_MS = 366 * DURATION_UNITS_MS.d;

/** A whole number with a unit (`90m`, `24h`, `7d`) in milliseconds; undefined when the text is not one. */
function durationMs(text: string): number | undefined {
  const match = /^([0-9]{1,6})(s|m|h|d)$/.exec(text.trim().toLowerCase());
  if (match === null) return undefined;
  return Number(match[1]) * DURATION_UNITS_MS[match[2] as keyof typeof DURATION_UNITS_MS];
}

/** DENY_NEW_PLACE_TTL: a whole number with a unit (`90m`, `24h`, `7d`), or `off` / `0` (null) for never. */
const placeTtl = z.string().transform((value, ctx): number | null => {
  const text = value.trim().toLowerCase();
  if (text === 'off' || /^0+[smhd]?$/.test(text)) return null;
  const ms = durationMs(text);
  if (ms === undefined || ms > MAX_PLACE_TTL_MS) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be a duration with a unit, up to 366d (e.g. 24h, 90m, 7d), or off',
    });
    return z.NEVER;
  }
  return ms;
});

/** A duration with a unit from `min` to `max` (both written as the message shows them, e.g. `1m`, `12h`). */
function boundedDuration(min: string, max: string, example: string) {
  const [minMs, maxMs] = [durationMs(min) ?? 0, durationMs(max) ?? 0];
  return z.string().transform((value, ctx) => {
    const ms = durationMs(value);
    if (ms === undefined || ms < minMs || ms > maxMs) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a duration with a unit from ${min} to ${max} (e.g. ${example})`,
      });
      return z.NEVER;
    }
    return ms;
  });
}

// ZITADEL Cloud answers 429 past about 50 requests a second per IP (FACTS.md 5): 40 leaves a fifth of that to
// whatever else shares the IP (the CLI, a second replica's first seconds) and, with a burst of a quarter second,
// keeps any one second of our own traffic within 50. Self-hosted ZITADEL has no such limit unless its operator
// sets one: "off" then lets the pool's concurrency alone bound the load.
export const DEFAULT_ZITADEL_MAX_RPS = 40;
const MAX_RPS_LIMIT = 100_000;
// `off` is null, not undefined: zod would put the default in place of an undefined result.
const maxRps = z.string().transform((value, ctx): number | null => {
  const text = value.trim().toLowerCase();
  if (text === 'off') return null;
  const rate = /^[0-9]{1,6}$/.test(text) ? Number(text) : NaN;
  if (!(rate >= 1 && rate <= MAX_RPS_LIMIT)) {
    ctx.addIssue({
      code: 'custom',
      message: `must be a whole number of requests per second from 1 to ${MAX_RPS_LIMIT}, or off`,
    });
    return z.NEVER;
  }
  return rate;
});

/**
 * How many DEVICES_KEYS may be configured at once. A rotation needs two (the new key signs, the old one still
 * verifies cookies and tickets signed before it); a few more leave room for a rotation that overlaps the next.
 */
export const MAX_DEVICES_KEYS = 5;
/** Shorter keys are guessable offline from one signed cookie or ticket: 32 characters of base64 are 192 bits. */
export const MIN_DEVICES_KEY_LENGTH = 32;
const DEVICES_KEY_HELP = 'generate one with: openssl rand -base64 32';

// Where users' browsers are sent back to, so held to the rules of INSTANCE_URL: https, plain http only on loopback.
const devicesPublicUrl = z.string().transform((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: 'must be the URL where browsers reach the limiter, such as https://limiter.example.com',
    });
    return z.NEVER;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname))) {
    ctx.addIssue({
      code: 'custom',
      message:
        'must use https:// (plain http:// only for localhost, 127.0.0.1 or [::1]): the page sets a Secure cookie and ZITADEL sends the sign-in code to it',
    });
    return z.NEVER;
  }
  if (url.username || url.password || url.search || url.hash) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be a plain URL without credentials, query or fragment',
    });
    return z.NEVER;
  }
  const path = url.pathname.replace(/\/+$/, '');
  // The limiter adds /devices itself: a URL ending in it would send browsers to /devices/devices.
  if (/\/devices(\/callback)?$/.test(path)) {
    ctx.addIssue({
      code: 'custom',
      message:
        'must be where browsers reach the limiter, without /devices (e.g. https://limiter.example.com): the limiter adds /devices itself',
    });
    return z.NEVER;
  }
  return `${url.origin}${path}`;
});

// Both are sent in an Authorization: Basic header: printable ASCII without spaces. Messages never echo a value.
const devicesClientId = z
  .string({ error: 'is required with DEVICES_PUBLIC_URL (the client id setup --devices-url prints)' })
  .trim()
  .min(1, { error: 'is required with DEVICES_PUBLIC_URL (the client id setup --devices-url prints)' })
  .max(200, { error: 'must be at most 200 characters (the client id ZITADEL shows)' })
  .regex(/^[\x21-\x7e]+$/, {
    error: 'must be the client id ZITADEL shows, printable characters without spaces',
  });
const devicesClientSecret = requiredSecret(
  'with DEVICES_PUBLIC_URL: the client secret setup --devices-url prints; ZITADEL shows it once, setup --devices-new-secret makes a new one',
)
  .max(512, { error: 'must be at most 512 characters' })
  .regex(/^[\x21-\x7e]+$/, { error: 'must be printable characters without spaces (it is sent in a header)' });

const devicesKeys = requiredSecret(
  `with DEVICES_PUBLIC_URL: comma-separated secrets of at least ${MIN_DEVICES_KEY_LENGTH} characters that sign the page's cookies and tickets (setup --devices-url prints one; or ${DEVICES_KEY_HELP})`,
).transform((value, ctx) => {
  const keys = value.split(',').map((key) => key.trim());
  if (keys.some((key) => key.length === 0)) {
    ctx.addIssue({ code: 'custom', message: 'has an empty key between commas' });
    return z.NEVER;
  }
  if (keys.length > MAX_DEVICES_KEYS) {
    ctx.addIssue({
      code: 'custom',
      message: `has ${keys.length} keys; at most ${MAX_DEVICES_KEYS} are accepted (a rotation needs two: the new key first, then the old one)`,
    });
    return z.NEVER;
  }
  for (const [index, key] of keys.entries()) {
    if (key.length < MIN_DEVICES_KEY_LENGTH)
      ctx.addIssue({
        code: 'custom',
        message: `key ${index + 1} is shorter than ${MIN_DEVICES_KEY_LENGTH} characters (${DEVICES_KEY_HELP})`,
      });
    const first = keys.indexOf(key);
    if (first < index) ctx.addIssue({ code: 'custom', message: `key ${index + 1} repeats key ${first + 1}` });
  }
  return keys;
});

// Parsed only when DEVICES_PUBLIC_URL is set: the page is off otherwise.
const devicesSchema = z.object({
  DEVICES_PUBLIC_URL: devicesPublicUrl,
  DEVICES_CLIENT_ID: devicesClientId,
  DEVICES_CLIENT_SECRET: devicesClientSecret,
  DEVICES_KEYS: devicesKeys,
  // Short: the cookie proves who signed in, and a device signed out elsewhere should not keep the page for long.
  DEVICES_SESSION_TTL: boundedDuration('1m', '12h', '15m, 1h').default(15 * DURATION_UNITS_MS.m),
  // Long enough to read the refusal, open the link and choose; a leaked link is worth little after that.
  DEVICES_TICKET_TTL: boundedDuration('1m', '1h', '10m, 30m').default(10 * DURATION_UNITS_MS.m),
});
const DEVICES_VARIABLES = Object.keys(devicesSchema.shape) as (keyof typeof devicesSchema.shape)[];

const connectionSchema = z.object({
  INSTANCE_URL: instanceUrl,
  ZITADEL_TIMEOUT_MS: integer(100, 60_000).default(3000),
  ZITADEL_MAX_CONCURRENCY: integer(1, 1024).default(64),
  ZITADEL_MAX_RPS: maxRps.default(DEFAULT_ZITADEL_MAX_RPS),
});

// Parsed on its own so that a bad INSTANCE_URL does not hide a missing credential: start-up lists every problem.
const credentialSchema = z.object({
  PAT: optionalSecret.refine((token) => token === undefined || !/^bearer\s/i.test(token), {
    // The value never appears in the message: a fixed text only.
    error:
      'must be the bare token, without the "Bearer " prefix: the limiter sends "Authorization: Bearer <PAT>" itself',
  }),
  ZITADEL_KEY_FILE: z.string().trim().min(1).optional(),
  ZITADEL_KEY_JSON: optionalSecret,
  ZITADEL_CLIENT_ID: z.string().trim().min(1).optional(),
  ZITADEL_CLIENT_SECRET: optionalSecret,
});

// The JSON ZITADEL offers for download when a key is added to a service account.
const serviceAccountKeySchema = z.object({
  type: z.literal('serviceaccount').optional(),
  keyId: z.string().min(1),
  key: z.string().includes('PRIVATE KEY'),
  userId: z.string().min(1),
});

const CREDENTIAL_HELP =
  'set exactly one credential: PAT, ZITADEL_KEY_FILE (or ZITADEL_KEY_JSON), or ZITADEL_CLIENT_ID with ZITADEL_CLIENT_SECRET';

function parseServiceAccountKey(
  variable: string,
  text: string,
  problems: string[],
): ZitadelCredential | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    problems.push(
      `${variable} is not valid JSON (expected the key file ZITADEL offers for a service account)`,
    );
    return undefined;
  }
  const key = serviceAccountKeySchema.safeParse(json);
  if (!key.success) {
    problems.push(`${variable} is not a service-account key file (needs keyId, key and userId)`);
    return undefined;
  }
  return Object.freeze({
    kind: 'jwt-profile',
    keyId: key.data.keyId,
    privateKeyPem: key.data.key,
    userId: key.data.userId,
  });
}

/** Picks the one configured credential, or explains which is missing or conflicting. Never echoes values. */
function credentialFrom(
  values: z.infer<typeof credentialSchema>,
  problems: string[],
): ZitadelCredential | undefined {
  const kinds: string[] = [];
  if (values.PAT !== undefined) kinds.push('PAT');
  if (values.ZITADEL_KEY_FILE !== undefined) kinds.push('ZITADEL_KEY_FILE');
  if (values.ZITADEL_KEY_JSON !== undefined) kinds.push('ZITADEL_KEY_JSON');
  if (values.ZITADEL_CLIENT_ID !== undefined || values.ZITADEL_CLIENT_SECRET !== undefined)
    kinds.push('ZITADEL_CLIENT_ID/ZITADEL_CLIENT_SECRET');
  if (kinds.length === 0) {
    problems.push(`credential missing: ${CREDENTIAL_HELP}`);
    return undefined;
  }
  if (kinds.length > 1) {
    problems.push(
      `conflicting credentials: ${kinds.join(' and ')} are ${kinds.length === 2 ? 'both' : 'all'} set; ${CREDENTIAL_HELP}`,
    );
    return undefined;
  }
  if (values.PAT !== undefined) return Object.freeze({ kind: 'pat', token: values.PAT });
  if (values.ZITADEL_KEY_JSON !== undefined)
    return parseServiceAccountKey('ZITADEL_KEY_JSON', values.ZITADEL_KEY_JSON, problems);
  if (values.ZITADEL_KEY_FILE !== undefined) {
    let text: string;
    try {
      text = readFileSync(values.ZITADEL_KEY_FILE, 'utf8');
    } catch {
      problems.push('ZITADEL_KEY_FILE cannot be read (check the path and its permissions)');
      return undefined;
    }
    return parseServiceAccountKey('ZITADEL_KEY_FILE', text, problems);
  }
  if (values.ZITADEL_CLIENT_ID === undefined)
    problems.push('ZITADEL_CLIENT_ID is required with ZITADEL_CLIENT_SECRET');
  if (values.ZITADEL_CLIENT_SECRET === undefined)
    problems.push('ZITADEL_CLIENT_SECRET is required with ZITADEL_CLIENT_ID');
  if (values.ZITADEL_CLIENT_ID === undefined || values.ZITADEL_CLIENT_SECRET === undefined) return undefined;
  return Object.freeze({
    kind: 'client-credentials',
    clientId: values.ZITADEL_CLIENT_ID,
    clientSecret: values.ZITADEL_CLIENT_SECRET,
  });
}

/**
 * HOST: where the server listens. Unset, every interface (Node's own default, `::` or `0.0.0.0`): ZITADEL must reach
 * the limiter, and every platform we deploy to (Render, containers, a VM behind a load balancer) routes to an
 * address that is not loopback — a loopback default would leave a bare `npm start` unreachable, and the logins
 * silently unlimited. HOST=127.0.0.1 keeps it to this machine (a proxy in front on the same host). Only addresses: a
 * host name (tcsh exports HOST as the machine's name) would bind wherever it happens to resolve.
 */
const listenHost = z
  .string()
  .trim()
  .transform((value) => value.replace(/^\[(.*)\]$/, '$1'))
  .refine((value) => value === 'localhost' || isIP(value) !== 0, {
    error:
      'must be an IP address to listen on: 127.0.0.1 (this machine only), 0.0.0.0 (every IPv4 interface) or :: (every interface, IPv6 too); leave it unset for every interface; a host name is not accepted',
  });

const environmentSchema = z.object({
  HOST: listenHost.optional(),
  PORT: integer(0, 65535).default(3000),
  SIGNING_KEY: signingKeys,
  CONCURRENT_SESSIONS: integer(1, 10_000).default(2),
  LIMIT_STRATEGY: z
    .enum(['evict-oldest', 'deny-new'], { error: 'must be evict-oldest or deny-new' })
    .default('evict-oldest'),
  DRY_RUN: booleanFlag.default(false),
  SIGNATURE_TOLERANCE_SECONDS: integer(1, 86_400).default(300),
  ENFORCE_ON_REQUEST: booleanFlag.default(false),
  DENY_MESSAGE: z
    .string()
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(500, { error: 'must be at most 500 characters' })
    .default('You are signed in on too many devices. Sign out on another device and try again.'),
  LOG_LEVEL: z
    .enum(['debug', 'info', 'warn', 'error', 'silent'], {
      error: 'must be debug, info, warn, error or silent',
    })
    .default('info'),
  ENFORCEMENT_DEADLINE_MS: integer(500, 260_000).default(8000),
  DELETE_CONCURRENCY: integer(1, 100).default(20),
  MAX_BODY_BYTES: integer(1024, 10 * 1024 * 1024).default(DEFAULT_MAX_BODY_BYTES),
  // Well below the usual open-file limit of 1,024, so outgoing calls to ZITADEL always find a socket.
  MAX_CONNECTIONS: integer(1, 1_000_000).default(512),
  METRICS_TOKEN: metricsToken,
  COUNT_BY: z.enum(['device', 'session'], { error: 'must be device or session' }).default('device'),
  EVICTION_ORDER: z
    .enum(['last-authenticated', 'created'], { error: 'must be last-authenticated or created' })
    .default('last-authenticated'),
  COUNT_WHEN: z
    .enum(['signed-in', 'any-factor'], { error: 'must be signed-in or any-factor' })
    .default('signed-in'),
  LIMIT_METADATA_KEY: z
    .string()
    .trim()
    .max(200, { error: 'must be at most 200 characters (a ZITADEL metadata key)' })
    .optional(),
  LIMIT_METADATA_TTL_SECONDS: integer(0, 86_400).default(60),
  ORG_LIMITS: orgLimits.optional(),
  // Login V2's default session lifetime: a session it created that long ago has expired anyway.
  DENY_NEW_PLACE_TTL: placeTtl.default(24 * DURATION_UNITS_MS.h),
  ZITADEL_INSTANCE_ID: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{1,200}$/, { error: 'must be an instance id as ZITADEL shows it (digits)' })
    .optional(),
  ON_FAILURE: z.enum(['allow', 'refuse'], { error: 'must be allow or refuse' }).default('allow'),
  MAX_CONCURRENT_ENFORCEMENTS: integer(1, 1024).default(32),
});

/** The variables that shape the decision itself, shared by the service and the operator CLI. */
function decisionSettings(values: {
  COUNT_BY: CountBy;
  EVICTION_ORDER: EvictionOrder;
  COUNT_WHEN: CountWhen;
  LIMIT_METADATA_KEY?: string | undefined;
  LIMIT_METADATA_TTL_SECONDS: number;
  ORG_LIMITS?: Map<string, SessionLimit> | undefined;
  DENY_NEW_PLACE_TTL: number | null;
}) {
  return {
    countBy: values.COUNT_BY,
    evictionOrder: values.EVICTION_ORDER,
    countWhen: values.COUNT_WHEN,
    limitMetadataKey: values.LIMIT_METADATA_KEY,
    limitMetadataTtlMs: values.LIMIT_METADATA_TTL_SECONDS * 1000,
    orgLimits: values.ORG_LIMITS ?? new Map<string, SessionLimit>(),
    denyNewPlaceTtlMs: values.DENY_NEW_PLACE_TTL ?? undefined,
  };
}

const PAYLOAD_FORMS = ['json', 'jwt', 'jwe'] as const;
const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g;

/** RSA (2048 bits or more) or EC P-256 keys: what ZITADEL encrypts to (RSA-OAEP-256, ECDH-ES+A256KW). */
function decryptionKeysFrom(variable: string, text: string, problems: string[]): KeyObject[] {
  const blocks = text.replace(/\\n/g, '\n').match(PEM_PRIVATE_KEY) ?? [];
  if (blocks.length === 0) {
    problems.push(`${variable} must hold one or more PEM private keys (-----BEGIN PRIVATE KEY-----, PKCS#8)`);
    return [];
  }
  const keys: KeyObject[] = [];
  for (const [index, block] of blocks.entries()) {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: block, format: 'pem' });
    } catch {
      problems.push(`${variable}: key ${index + 1} cannot be read as a PEM private key`);
      continue;
    }
    const details = key.asymmetricKeyDetails;
    const usable =
      (key.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= 2048) ||
      (key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1');
    if (!usable) problems.push(`${variable}: key ${index + 1} must be RSA (2048 bits or more) or EC P-256`);
    else keys.push(key);
  }
  return keys;
}

function parsePayloadSettings(env: Record<string, string>, problems: string[]): PayloadSettings {
  const required = env.REQUIRE_PAYLOAD_TYPE?.trim().toLowerCase();
  let requiredForm: PayloadForm | undefined;
  if (required !== undefined) {
    requiredForm = PAYLOAD_FORMS.find((form) => form === required);
    if (requiredForm === undefined) problems.push('REQUIRE_PAYLOAD_TYPE must be json, jwt or jwe');
  }
  const inline = env.PAYLOAD_DECRYPTION_KEY;
  const file = env.PAYLOAD_DECRYPTION_KEY_FILE?.trim();
  let decryptionKeys: KeyObject[] = [];
  if (inline !== undefined && file !== undefined) {
    problems.push('PAYLOAD_DECRYPTION_KEY and PAYLOAD_DECRYPTION_KEY_FILE are both set; set one of them');
  } else if (inline !== undefined) {
    decryptionKeys = decryptionKeysFrom('PAYLOAD_DECRYPTION_KEY', inline, problems);
  } else if (file !== undefined) {
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      problems.push('PAYLOAD_DECRYPTION_KEY_FILE cannot be read (check the path and its permissions)');
    }
    if (text !== undefined)
      decryptionKeys = decryptionKeysFrom('PAYLOAD_DECRYPTION_KEY_FILE', text, problems);
  }
  if (requiredForm === 'jwe' && inline === undefined && file === undefined) {
    problems.push('REQUIRE_PAYLOAD_TYPE=jwe needs PAYLOAD_DECRYPTION_KEY or PAYLOAD_DECRYPTION_KEY_FILE');
  }
  return Object.freeze({ requiredForm, decryptionKeys: Object.freeze(decryptionKeys) });
}

/**
 * Reads REQUIRE_PAYLOAD_TYPE and PAYLOAD_DECRYPTION_KEY(_FILE) alone, for the operator CLI (`setup`, `doctor`).
 * Throws a ConfigError naming the variables, never their values.
 */
export function loadPayloadSettings(env: NodeJS.ProcessEnv): PayloadSettings {
  const problems: string[] = [];
  const settings = parsePayloadSettings(withoutBlanks(env), problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return settings;
}

/** Blank variables (`FOO=` in a .env file) mean "not set", so defaults apply instead of a confusing error. */
function withoutBlanks(env: NodeJS.ProcessEnv): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') result[name] = value;
  }
  return result;
}

function issuesToProblems(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || 'environment'} ${issue.message}`);
}

function parseConnection(env: Record<string, string>, problems: string[]): ConnectionConfig | undefined {
  const parsed = connectionSchema.safeParse(env);
  if (!parsed.success) problems.push(...issuesToProblems(parsed.error));
  const credentials = credentialSchema.safeParse(env);
  if (!credentials.success) problems.push(...issuesToProblems(credentials.error));
  const credential = credentials.success ? credentialFrom(credentials.data, problems) : undefined;
  if (!parsed.success || credential === undefined) return undefined;
  return {
    instanceUrl: parsed.data.INSTANCE_URL,
    credential,
    zitadelTimeoutMs: parsed.data.ZITADEL_TIMEOUT_MS,
    zitadelMaxConcurrency: parsed.data.ZITADEL_MAX_CONCURRENCY,
    zitadelMaxRps: parsed.data.ZITADEL_MAX_RPS ?? undefined,
  };
}

/**
 * DEVICES_PUBLIC_URL's rules for `setup --devices-url`, so setup registers exactly what the service accepts: the
 * normalised URL, or why it is refused (never echoing the value).
 */
export function parseDevicesPublicUrl(value: string): { url: string } | { problem: string } {
  const parsed = devicesPublicUrl.safeParse(value);
  if (parsed.success) return { url: parsed.data };
  return { problem: parsed.error.issues[0]?.message ?? 'is not a valid URL' };
}

/**
 * The DEVICES_* variables: undefined (the page is off) unless DEVICES_PUBLIC_URL is set; then every required one
 * must be valid. Another DEVICES_* variable without DEVICES_PUBLIC_URL is refused too: it says the operator meant to
 * turn the page on, and a page silently off would leave deny-new refusals without their link.
 */
function parseDevices(
  env: Record<string, string>,
  signingKeys: readonly string[] | undefined,
  problems: string[],
): DevicesConfig | undefined {
  if (env.DEVICES_PUBLIC_URL === undefined) {
    const stray = DEVICES_VARIABLES.filter((name) => env[name] !== undefined);
    if (stray.length > 0)
      problems.push(
        `${stray.join(', ')} ${stray.length === 1 ? 'is' : 'are'} set but DEVICES_PUBLIC_URL is not: set DEVICES_PUBLIC_URL to turn the devices page on, or unset ${stray.length === 1 ? 'it' : 'them'}`,
      );
    return undefined;
  }
  const parsed = devicesSchema.safeParse(env);
  if (!parsed.success) {
    problems.push(...issuesToProblems(parsed.error));
    return undefined;
  }
  const values = parsed.data;
  // One key, one job: a webhook signing key that also signs cookies would let either leak forge both.
  if (signingKeys !== undefined && values.DEVICES_KEYS.some((key) => signingKeys.includes(key))) {
    problems.push(
      `DEVICES_KEYS must not reuse a SIGNING_KEY: give the devices page keys of its own (${DEVICES_KEY_HELP})`,
    );
    return undefined;
  }
  return Object.freeze({
    publicUrl: values.DEVICES_PUBLIC_URL,
    clientId: values.DEVICES_CLIENT_ID,
    clientSecret: values.DEVICES_CLIENT_SECRET,
    keys: Object.freeze(values.DEVICES_KEYS),
    sessionTtlMs: values.DEVICES_SESSION_TTL,
    ticketTtlMs: values.DEVICES_TICKET_TTL,
  });
}

/**
 * Reads only what is needed to call ZITADEL: the instance URL and one credential. The operator CLI uses this
 * (its `setup` runs before any signing key exists); the service uses loadConfig, which includes it.
 */
export function loadConnectionConfig(env: NodeJS.ProcessEnv): ConnectionConfig {
  const problems: string[] = [];
  const connection = parseConnection(withoutBlanks(env), problems);
  if (connection === undefined) throw new ConfigError(problems);
  return Object.freeze(connection);
}

/**
 * Reads the configuration from an environment (normally `process.env`). Throws a ConfigError listing every bad
 * variable by name; values are never included, since several of them are secrets.
 */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const problems: string[] = [];
  const plain = withoutBlanks(env);
  const connection = parseConnection(plain, problems);
  const parsed = environmentSchema.safeParse(plain);
  if (!parsed.success) problems.push(...issuesToProblems(parsed.error));
  const payload = parsePayloadSettings(plain, problems);
  const devices = parseDevices(plain, parsed.success ? parsed.data.SIGNING_KEY : undefined, problems);
  if (connection === undefined || !parsed.success || problems.length > 0) throw new ConfigError(problems);
  const values = parsed.data;
  if (values.ENFORCEMENT_DEADLINE_MS < connection.zitadelTimeoutMs) {
    throw new ConfigError(['ENFORCEMENT_DEADLINE_MS must be at least ZITADEL_TIMEOUT_MS']);
  }
  return Object.freeze({
    ...connection,
    host: values.HOST,
    port: values.PORT,
    signingKeys: Object.freeze(values.SIGNING_KEY),
    concurrentSessions: values.CONCURRENT_SESSIONS,
    limitStrategy: values.LIMIT_STRATEGY,
    dryRun: values.DRY_RUN,
    signatureToleranceSeconds: values.SIGNATURE_TOLERANCE_SECONDS,
    enforceOnRequest: values.ENFORCE_ON_REQUEST,
    denyMessage: values.DENY_MESSAGE,
    logLevel: values.LOG_LEVEL,
    enforcementDeadlineMs: values.ENFORCEMENT_DEADLINE_MS,
    deleteConcurrency: values.DELETE_CONCURRENCY,
    maxBodyBytes: values.MAX_BODY_BYTES,
    ...decisionSettings(values),
    maxConnections: values.MAX_CONNECTIONS,
    metricsToken: values.METRICS_TOKEN,
    instanceId: values.ZITADEL_INSTANCE_ID,
    onFailure: values.ON_FAILURE,
    maxConcurrentEnforcements: values.MAX_CONCURRENT_ENFORCEMENTS,
    payload,
    devices,
  } satisfies Config);
}

/**
 * Reads SIGNING_KEY with the service's own rules (the same schema loadConfig applies), for the CLI's `doctor`, which
 * may run without it: undefined when it is unset or blank, the keys when the service would accept them. Throws a
 * ConfigError when the service would refuse to start with it, so the two can never disagree on a valid key.
 */
export function loadSigningKeys(env: NodeJS.ProcessEnv): readonly string[] | undefined {
  const plain = withoutBlanks(env);
  if (plain.SIGNING_KEY === undefined) return undefined;
  const parsed = environmentSchema.pick({ SIGNING_KEY: true }).safeParse(plain);
  if (!parsed.success) throw new ConfigError(issuesToProblems(parsed.error));
  return Object.freeze(parsed.data.SIGNING_KEY);
}

/**
 * Reads CONCURRENT_SESSIONS, LIMIT_STRATEGY, DRY_RUN, DELETE_CONCURRENCY, ENFORCEMENT_DEADLINE_MS and the
 * decision's variables (COUNT_BY, EVICTION_ORDER, COUNT_WHEN, LIMIT_METADATA_KEY, ORG_LIMITS,
 * DENY_NEW_PLACE_TTL, …) with the service's own rules and defaults, so the CLI (`sessions`, `enforce`, `sweep`)
 * decides exactly as the webhook does without needing SIGNING_KEY or PORT. Throws a ConfigError naming the bad variables.
 */
export function loadLimitSettings(env: NodeJS.ProcessEnv): LimitSettings {
  const parsed = environmentSchema
    .pick({
      CONCURRENT_SESSIONS: true,
      LIMIT_STRATEGY: true,
      DRY_RUN: true,
      DELETE_CONCURRENCY: true,
      ENFORCEMENT_DEADLINE_MS: true,
      COUNT_BY: true,
      EVICTION_ORDER: true,
      COUNT_WHEN: true,
      LIMIT_METADATA_KEY: true,
      LIMIT_METADATA_TTL_SECONDS: true,
      ORG_LIMITS: true,
      DENY_NEW_PLACE_TTL: true,
    })
    .safeParse(withoutBlanks(env));
  if (!parsed.success) throw new ConfigError(issuesToProblems(parsed.error));
  return Object.freeze({
    concurrentSessions: parsed.data.CONCURRENT_SESSIONS,
    limitStrategy: parsed.data.LIMIT_STRATEGY,
    dryRun: parsed.data.DRY_RUN,
    deleteConcurrency: parsed.data.DELETE_CONCURRENCY,
    enforcementDeadlineMs: parsed.data.ENFORCEMENT_DEADLINE_MS,
    ...decisionSettings(parsed.data),
  } satisfies LimitSettings);
}
