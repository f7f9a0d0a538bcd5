import type { SessionLimit } from '../vocabulary.js';

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
  /**
   * `held_back`: the user's metadata could not be read, so no limit is applied this time (see chooseLimit).
   * `not_needed`: the user's metadata was not read because no limit it could set changes the decision (the user
   * holds at most one session); `limit` is then what the next rule says.
   */
  readonly source: 'metadata' | 'organization' | 'default' | 'held_back' | 'not_needed';
  /** Set when the metadata could not be used: worth a warning and a metric. */
  readonly metadataProblem?: 'invalid' | 'unreadable' | undefined;
}

/**
 * The limit that applies to one user. Precedence: the user's metadata, then their organisation's entry in
 * ORG_LIMITS, then CONCURRENT_SESSIONS. A metadata value that is not a limit is skipped (and reported), never
 * fatal. A metadata read that failed is different: the user may hold a bigger plan than the next rule, and
 * applying the smaller limit would sign a paying user out (or, in deny-new, refuse their login). So nothing is
 * enforced for that user until the read succeeds again; the next sign-in catches up.
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
    return { limit: 'unlimited', source: 'held_back', metadataProblem: 'unreadable' };
  }
  const orgLimit = input.organizationId === undefined ? undefined : input.orgLimits.get(input.organizationId);
  if (orgLimit !== undefined) return { limit: orgLimit, source: 'organization', metadataProblem };
  return { limit: input.defaultLimit, source: 'default', metadataProblem };
}

/** The limit as the decision uses it: a number, with no limit as infinity. */
export const limitAsNumber = (limit: SessionLimit): number =>
  limit === 'unlimited' ? Number.POSITIVE_INFINITY : limit;
