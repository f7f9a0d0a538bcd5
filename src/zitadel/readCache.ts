/**
 * A small time-bounded cache for reads from ZITADEL, keyed by id. Concurrent reads of one key share one call;
 * only successful reads are kept (a failure is retried by the next caller); the oldest entries go first once
 * `maxEntries` is reached, so the map cannot grow with every user ever seen.
 */
export class ReadCache<V> {
  readonly #entries = new Map<string, { readonly value: V; readonly until: number }>();
  readonly #inFlight = new Map<string, Promise<V>>();

  constructor(
    private readonly options: {
      readonly ttlMs: number;
      readonly maxEntries: number;
      readonly now: () => number;
    },
  ) {}

  get(key: string, load: () => Promise<V>): Promise<V> {
    const nowMs = this.options.now();
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.until > nowMs) return Promise.resolve(entry.value);
    const pending = this.#inFlight.get(key);
    if (pending !== undefined) return pending;
    const promise = load().then(
      (value) => {
        this.#inFlight.delete(key);
        if (this.options.ttlMs > 0) this.#store(key, value);
        return value;
      },
      (error: unknown) => {
        this.#inFlight.delete(key);
        throw error;
      },
    );
    this.#inFlight.set(key, promise);
    return promise;
  }

  /** How many values are held. */
  get size(): number {
    return this.#entries.size;
  }

  #store(key: string, value: V): void {
    const nowMs = this.options.now();
    this.#entries.delete(key);
    this.#entries.set(key, { value, until: nowMs + this.options.ttlMs });
    // Maps iterate in insertion order: the first entries are the oldest.
    for (const [oldKey, old] of this.#entries) {
      if (this.#entries.size <= this.options.maxEntries && old.until > nowMs) break;
      this.#entries.delete(oldKey);
    }
  }
}
