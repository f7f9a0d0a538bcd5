import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from './logger.js';

// The ZITADEL client's observer is built once per process and is told only the operation, never which webhook it
// serves. This scope lets its log lines carry the request id of the webhook that made the call anyway.
const scope = new AsyncLocalStorage<Logger>();

/** Runs `work` (and everything it awaits) with `logger` as the logger of the current unit of work. */
export function withRequestLogger<T>(logger: Logger, work: () => T): T {
  return scope.run(logger, work);
}

/** The logger of the unit of work in progress (it carries the request id), or `fallback` outside of one. */
export function currentLogger(fallback: Logger): Logger {
  return scope.getStore() ?? fallback;
}
