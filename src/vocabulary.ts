import type { KeyObject } from 'node:crypto';

// The project's vocabulary: the words every module speaks (strategies, levels, payload forms, the settings shapes
// lower modules take) and nothing else. It imports nothing of ours, so any module may import it without reaching
// up; config.ts only parses the environment into these shapes.

/** The path ZITADEL posts to: the service mounts its webhook here and `setup` completes endpoints with it. */
export const WEBHOOK_PATH = '/session/manage';

/** How the limit counts: browsers (Login V2's fingerprint) or raw sessions. */
export type CountBy = 'device' | 'session';
/** What "most recent" means: the last sign-in (latest verified factor) or the creation date. */
export type EvictionOrder = 'last-authenticated' | 'created';

/** A user's limit: a number of devices (or sessions, with COUNT_BY=session) of at least 1, or no limit at all. */
export type SessionLimit = number | 'unlimited';

/** The factors that prove who is behind a session. A user factor alone is only a typed username. */
export const AUTHENTICATION_FACTORS = [
  'password',
  'webAuthN',
  'intent',
  'totp',
  'otpSms',
  'otpEmail',
  'recoveryCode',
] as const;

/** An authentication factor a session can hold (the user factor, a typed username, is not one). */
export type FactorName = (typeof AUTHENTICATION_FACTORS)[number];

/** The limiter's whole configuration, parsed once from the environment at start-up and frozen. */
export interface Config extends ConnectionConfig {
  /** The address the server listens on (HOST); undefined: every interface, as Node (and the blog sample) listen. */
  readonly host: string | undefined;
  readonly port: number;
  readonly signingKeys: readonly string[];
  readonly concurrentSessions: number;
  readonly limitStrategy: LimitStrategy;
  readonly dryRun: boolean;
  readonly signatureToleranceSeconds: number;
  readonly enforceOnRequest: boolean;
  readonly denyMessage: string;
  readonly logLevel: LogLevel;
  readonly enforcementDeadlineMs: number;
  readonly deleteConcurrency: number;
  readonly maxBodyBytes: number;
  readonly countBy: CountBy;
  readonly evictionOrder: EvictionOrder;
  readonly countWhen: CountWhen;
  /** The user metadata key holding a per-user limit; undefined when per-user limits are off. */
  readonly limitMetadataKey: string | undefined;
  readonly limitMetadataTtlMs: number;
  /** Limits per organisation id, from ORG_LIMITS. */
  readonly orgLimits: ReadonlyMap<string, SessionLimit>;
  /** DENY_NEW_PLACE_TTL: deny-new places not signed in to for this long yield to a newcomer; undefined: never. */
  readonly denyNewPlaceTtlMs: number | undefined;
  /** Concurrent HTTP connections the server holds at most (Node's `server.maxConnections`); more are closed at once. */
  readonly maxConnections: number;
  /** When set, `GET /metrics` demands `Authorization: Bearer <token>`; on Vercel it is only served when set. */
  readonly metricsToken: string | undefined;
  /** When set, webhooks whose `instanceID` differs are refused (403) before any ZITADEL call. */
  readonly instanceId: string | undefined;
  /** `allow`: a webhook the limiter cannot decide in time passes (200 "undecided"); `refuse`: it gets a 5xx. */
  readonly onFailure: OnFailure;
  /** Enforcements running at once; more wait in line, or are answered at once when the line is too long. */
  readonly maxConcurrentEnforcements: number;
  /** Which payload forms a webhook may take; see PayloadSettings. */
  readonly payload: PayloadSettings;
  /** The "your devices" page and API; undefined (off) unless DEVICES_PUBLIC_URL is set. */
  readonly devices: DevicesConfig | undefined;
}

/** The DEVICES_* variables: where browsers reach the page, its OIDC client and its own signing keys. */
export interface DevicesConfig {
  /** Origin and optional path prefix, without a trailing slash: the page is `${publicUrl}/devices`. */
  readonly publicUrl: string;
  /** The OIDC application `setup --devices-url` registers in ZITADEL. */
  readonly clientId: string;
  /** Its client secret (client_secret_basic, and for ZITADEL's introspection endpoint). Never printed. */
  readonly clientSecret: string;
  /** Secrets of at least 32 characters: the first signs cookies and tickets, all of them verify (rotation). */
  readonly keys: readonly string[];
  /** Lifetime of the page's own cookie. */
  readonly sessionTtlMs: number;
  /** Lifetime of a refusal ticket (the link a deny-new refusal carries). */
  readonly ticketTtlMs: number;
}

/** The body forms ZITADEL can post (target `payloadType`): plain JSON, a signed JWT, or that JWT encrypted (JWE). */
export type PayloadForm = 'json' | 'jwt' | 'jwe';

/** REQUIRE_PAYLOAD_TYPE and PAYLOAD_DECRYPTION_KEY(_FILE). */
export interface PayloadSettings {
  /** The weakest form accepted; undefined accepts all three. */
  readonly requiredForm: PayloadForm | undefined;
  /** Private keys a JWE payload may be encrypted to (several during a rotation). Opaque KeyObjects: never printed. */
  readonly decryptionKeys: readonly KeyObject[];
}

/** Which sessions count: fully signed-in ones (every factor the login demands) or any with a verified factor. */
export type CountWhen = 'signed-in' | 'any-factor';

export type OnFailure = 'allow' | 'refuse';

export type LimitStrategy = 'evict-oldest' | 'deny-new';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** How we authenticate to ZITADEL. The secret lives only here and in the token source built from it. */
export type ZitadelCredential =
  | { readonly kind: 'pat'; readonly token: string }
  /** A service-account key file (JWT profile): we sign an assertion and exchange it for an access token. */
  | {
      readonly kind: 'jwt-profile';
      readonly keyId: string;
      readonly privateKeyPem: string;
      readonly userId: string;
    }
  | { readonly kind: 'client-credentials'; readonly clientId: string; readonly clientSecret: string };

/** What every ZITADEL caller needs (the service and the operator CLI): where it is and who we are. */
export interface ConnectionConfig {
  readonly instanceUrl: string;
  readonly credential: ZitadelCredential;
  readonly zitadelTimeoutMs: number;
  /** ZITADEL calls in flight at once (one pool for all of them); waiting for a place counts against the deadline. */
  readonly zitadelMaxConcurrency: number;
  /**
   * ZITADEL requests per second for the whole process (ZITADEL_MAX_RPS, a token bucket shared by every call);
   * undefined when off. A 429 with Retry-After pauses every call either way.
   */
  readonly zitadelMaxRps: number | undefined;
}

/** A start-up failure: names the variables at fault and why, never their values. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** How the limit is applied, without the webhook's own settings: what the operator CLI needs besides the connection. */
export type LimitSettings = Pick<
  Config,
  | 'concurrentSessions'
  | 'limitStrategy'
  | 'dryRun'
  | 'deleteConcurrency'
  | 'enforcementDeadlineMs'
  | 'countBy'
  | 'evictionOrder'
  | 'countWhen'
  | 'limitMetadataKey'
  | 'limitMetadataTtlMs'
  | 'orgLimits'
  | 'denyNewPlaceTtlMs'
>;
