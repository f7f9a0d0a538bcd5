import type { Logger } from '../logging/logger.js';
import { failureKindOf, zitadelFailureCode } from '../zitadel/failureKind.js';

/**
 * How the page and the API answer an error that is neither a refusal of theirs nor a sign-in failure: ZITADEL
 * failing us is 502 `zitadel_unavailable`; anything else is our own 500, logged by its name only (as the error
 * handler does: a message may carry what it was built from).
 */
export function unexpectedFailure(
  error: unknown,
  logger: Logger,
  where: string,
): { readonly status: 500 | 502; readonly code: 'internal_error' | 'zitadel_unavailable' } {
  if (zitadelFailureCode(failureKindOf(error)) !== undefined)
    return { status: 502, code: 'zitadel_unavailable' };
  logger.error(`${where} failed`, { errorName: error instanceof Error ? error.name : typeof error });
  return { status: 500, code: 'internal_error' };
}
