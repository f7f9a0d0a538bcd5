/** A user's limit: a number of devices (or sessions, with COUNT_BY=session) of at least 1, or no limit at all. */
export type SessionLimit = number | 'unlimited';

/** The most a limit may be; anything larger is a typo, not a plan. */
export const MAX_LIMIT = 1_000_000;

/**
 * Reads a limit as written in ORG_LIMITS or in a user's metadata: a decimal integer from 1 to MAX_LIMIT, or
 * `unlimited` (any case), surrounding blanks ignored. Anything else is undefined: the caller decides what that means.
 */
export function parseSessionLimit(text: string): SessionLimit | undefined {
  const value = text.trim();
  if (value.toLowerCase() === 'unlimited') return 'unlimited';
  if (!/^[0-9]{1,7}$/.test(value)) return undefined;
  const limit = Number(value);
  return limit >= 1 && limit <= MAX_LIMIT ? limit : undefined;
}

/**
 * What reading the user's limit metadata gave. `off`: LIMIT_METADATA_KEY is unset. `absent`: the user has no
 * value under the key. `value`: the decoded text, not yet checked. `unreadable`: the read failed or was too slow.
 */
export type MetadataLimit =
  | { readonly kind: 'off' }
  | { readonly kind: 'absent' }
  | { readonly kind: 'value'; readonly text: string }
  | { readonly kind: 'unreadable' };

export interface LimitChoice {
  readonly limit: SessionLimit;
  readonly source: 'metadata' | 'organization' | 'default';
  /** Set when the metadata could not be used and the next rule applied: worth a warning and a metric. */
  readonly metadataProblem?: 'invalid' | 'unreadable' | undefined;
}

/**
 * The limit that applies to one user. Precedence: the user's metadata, then their organisation's entry in
 * ORG_LIMITS, then CONCURRENT_SESSIONS. A metadata value that is not a limit, or a read that failed, is skipped
 * (and reported), never fatal: the limiter is never the reason a login fails.
 */
export function chooseLimit(input: {
  readonly metadata: MetadataLimit;
  readonly organizationId: string | undefined;
  readonly orgLimits: ReadonlyMap<string, SessionLimit>;
  readonly defaultLimit: number;
}): LimitChoice {
  let metadataProblem: LimitChoice['metadataProblem'];
  if (input.metadata.kind === 'value') {
    const limit = parseSessionLimit(input.metadata.text);
    if (limit !== undefined) return { limit, source: 'metadata' };
    metadataProblem = 'invalid';
  } else if (input.metadata.kind === 'unreadable') {
    metadataProblem = 'unreadable';
  }
  const orgLimit = input.organizationId === undefined ? undefined : input.orgLimits.get(input.organizationId);
  if (orgLimit !== undefined) return { limit: orgLimit, source: 'organization', metadataProblem };
  return { limit: input.defaultLimit, source: 'default', metadataProblem };
}

/** The limit as the decision uses it: a number, with no limit as infinity. */
export const limitAsNumber = (limit: SessionLimit): number =>
  limit === 'unlimited' ? Number.POSITIVE_INFINITY : limit;
