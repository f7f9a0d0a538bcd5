import { z } from 'zod';

/** The limiter's whole configuration, parsed once from the environment at start-up and frozen. */
export interface Config {
  readonly port: number;
  readonly instanceUrl: string;
  readonly credential: ZitadelCredential;
  readonly signingKeys: readonly string[];
  readonly concurrentSessions: number;
  readonly limitStrategy: LimitStrategy;
  readonly dryRun: boolean;
  readonly signatureToleranceSeconds: number;
  readonly enforceOnRequest: boolean;
  readonly denyMessage: string;
  readonly logLevel: LogLevel;
  readonly zitadelTimeoutMs: number;
  readonly enforcementDeadlineMs: number;
  readonly deleteConcurrency: number;
  readonly maxBodyBytes: number;
}

export type LimitStrategy = 'evict-oldest' | 'deny-new';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** How we authenticate to ZITADEL. The secret lives only here and in the token provider built from it. */
export type ZitadelCredential = { readonly kind: 'pat'; readonly token: string };

/** A start-up failure: names the variables at fault and why, never their values. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

function integer(min: number, max: number) {
  return z
    .string()
    .regex(/^[0-9]+$/, { error: `must be a whole number from ${min} to ${max}` })
    .transform(Number)
    .pipe(z.number().int().min(min, { error: `must be at least ${min}` }).max(max, { error: `must be at most ${max}` }));
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
      ctx.addIssue({ code: 'custom', message: 'must use https:// (plain http:// only for localhost or 127.0.0.1)' });
      return z.NEVER;
    }
    if (url.username || url.password || url.search || url.hash) {
      ctx.addIssue({ code: 'custom', message: 'must be a plain base URL without credentials, query or fragment' });
      return z.NEVER;
    }
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  });

// Secret-bearing fields: their messages must never echo the value, so they use fixed texts only.
const requiredSecret = (what: string) =>
  z.string({ error: `is required (${what})` }).trim().min(1, { error: `is required (${what})` });

const signingKeys = requiredSecret("the target's signing key from ZITADEL").transform((value, ctx) => {
  const keys = value.split(',').map((key) => key.trim());
  if (keys.some((key) => key.length === 0)) {
    ctx.addIssue({ code: 'custom', message: 'has an empty key between commas' });
    return z.NEVER;
  }
  return keys;
});

const environmentSchema = z.object({
  PORT: integer(0, 65535).default(3000),
  INSTANCE_URL: instanceUrl,
  PAT: requiredSecret('a personal access token of a service account with session.read and session.delete'),
  SIGNING_KEY: signingKeys,
  CONCURRENT_SESSIONS: integer(1, 10_000).default(2),
  LIMIT_STRATEGY: z.enum(['evict-oldest', 'deny-new'], { error: 'must be evict-oldest or deny-new' }).default('evict-oldest'),
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
    .enum(['debug', 'info', 'warn', 'error', 'silent'], { error: 'must be debug, info, warn, error or silent' })
    .default('info'),
  ZITADEL_TIMEOUT_MS: integer(100, 60_000).default(3000),
  ENFORCEMENT_DEADLINE_MS: integer(500, 260_000).default(8000),
  DELETE_CONCURRENCY: integer(1, 100).default(20),
  MAX_BODY_BYTES: integer(1024, 10 * 1024 * 1024).default(256 * 1024),
});

/** Blank variables (`FOO=` in a .env file) mean "not set", so defaults apply instead of a confusing error. */
function withoutBlanks(env: NodeJS.ProcessEnv): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') result[name] = value;
  }
  return result;
}

/**
 * Reads the configuration from an environment (normally `process.env`). Throws a ConfigError listing every bad
 * variable by name; values are never included, since several of them are secrets.
 */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const parsed = environmentSchema.safeParse(withoutBlanks(env));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'} ${issue.message}`);
    throw new ConfigError(problems);
  }
  const values = parsed.data;
  if (values.ENFORCEMENT_DEADLINE_MS < values.ZITADEL_TIMEOUT_MS) {
    throw new ConfigError(['ENFORCEMENT_DEADLINE_MS must be at least ZITADEL_TIMEOUT_MS']);
  }
  return Object.freeze({
    port: values.PORT,
    instanceUrl: values.INSTANCE_URL,
    credential: Object.freeze({ kind: 'pat', token: values.PAT }),
    signingKeys: Object.freeze(values.SIGNING_KEY),
    concurrentSessions: values.CONCURRENT_SESSIONS,
    limitStrategy: values.LIMIT_STRATEGY,
    dryRun: values.DRY_RUN,
    signatureToleranceSeconds: values.SIGNATURE_TOLERANCE_SECONDS,
    enforceOnRequest: values.ENFORCE_ON_REQUEST,
    denyMessage: values.DENY_MESSAGE,
    logLevel: values.LOG_LEVEL,
    zitadelTimeoutMs: values.ZITADEL_TIMEOUT_MS,
    enforcementDeadlineMs: values.ENFORCEMENT_DEADLINE_MS,
    deleteConcurrency: values.DELETE_CONCURRENCY,
    maxBodyBytes: values.MAX_BODY_BYTES,
  } satisfies Config);
}
