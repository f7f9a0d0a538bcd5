/**
 * A fixed number of places for ZITADEL calls, taken in arrival order. Waiting for a place honours the caller's
 * signal (the webhook's deadline), so time spent queueing counts against the deadline rather than silently eating
 * into one call's timeout, as queueing inside an HTTP agent's socket pool would.
 */
export class CallPool {
  readonly #size: number;
  #busy = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#size = Math.max(1, Math.floor(size));
  }

  /** Resolves with a release function once a place is free; rejects with the signal's reason if it aborts first. */
  acquire(signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    if (this.#busy < this.#size) {
      this.#busy += 1;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener('abort', onAbort);
        this.#busy += 1;
        resolve(this.#releaser());
      };
      const onAbort = () => {
        const index = this.#waiting.indexOf(grant);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(signal.reason as Error);
      };
      this.#waiting.push(grant);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Calls in flight and calls waiting for a place: for metrics and tests. */
  get usage(): { readonly busy: number; readonly waiting: number } {
    return { busy: this.#busy, waiting: this.#waiting.length };
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#busy -= 1;
      this.#waiting.shift()?.();
    };
  }
}
