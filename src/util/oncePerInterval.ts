/**
 * Lets one event per key through per interval and counts the ones held back, so that a condition that holds for
 * every webhook (a missing permission, say) is one log line per interval instead of one per login.
 */
export class OncePerInterval {
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #last = new Map<string, { atMs: number; heldBack: number }>();

  constructor(intervalMs: number, now: () => number) {
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /**
   * Whether this occurrence of `key` is the one to report, and how many were held back since the last one
   * reported. Keys come from a small fixed set (the callers' own names), so the map stays small.
   */
  take(key: string): { readonly report: boolean; readonly heldBack: number } {
    const nowMs = this.#now();
    const last = this.#last.get(key);
    if (last === undefined || nowMs - last.atMs >= this.#intervalMs) {
      this.#last.set(key, { atMs: nowMs, heldBack: 0 });
      return { report: true, heldBack: last?.heldBack ?? 0 };
    }
    last.heldBack += 1;
    return { report: false, heldBack: last.heldBack };
  }
}
