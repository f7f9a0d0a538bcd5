/**
 * Waits `ms`, or rejects with the signal's own reason as soon as it aborts (the webhook's deadline): a backoff or a
 * wait for the request budget never outlives the webhook it belongs to. The signal's reason, not Node's
 * AbortError from `timers/promises`, so callers see the deadline error they already handle.
 */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
