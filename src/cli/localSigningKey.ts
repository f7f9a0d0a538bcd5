import { ConfigError } from '../vocabulary.js';
import { loadSigningKeys } from './environment.js';

/** What the CLI may do with this environment's SIGNING_KEY, judged by the service's own parser. */
export type LocalSigningKey =
  | { readonly state: 'unset' }
  | { readonly state: 'valid'; readonly keys: readonly string[] }
  /** The service would refuse to start with it; the problems name the variable, never its value. */
  | { readonly state: 'invalid'; readonly problems: readonly string[] };

/**
 * Reads SIGNING_KEY through the service's loader rather than by hand, so that `doctor` never signs a probe with a
 * key the limiter itself would refuse (an empty key between commas, too many keys) and never calls such a key fine.
 */
export function readLocalSigningKey(env: NodeJS.ProcessEnv): LocalSigningKey {
  try {
    const keys = loadSigningKeys(env);
    return keys === undefined ? { state: 'unset' } : { state: 'valid', keys };
  } catch (error) {
    if (error instanceof ConfigError) return { state: 'invalid', problems: error.problems };
    throw error;
  }
}
