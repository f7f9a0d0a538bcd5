import { LRUCache } from 'lru-cache';

/** lru-cache cannot hold `undefined` ("no metadata set" is a value worth keeping), so every value sits in a box. */
interface Box<V> {
  readonly value: V;
  readonly until: number;
}

/**
 * A small time-bounded cache for reads from ZITADEL, keyed by id. Concurrent reads of one key share one call;
 * only successful reads are kept (a failure is retried by the next caller); the least recently used entries go
 * first once `maxEntries` is reached, so the cache cannot grow with every user ever seen.
 */
export class ReadCache<V> {
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #entries: LRUCache<string, Box<V>, () => Promise<V>>;

  constructor(options: { readonly ttlMs: number; readonly maxEntries: number; readonly now: () => number }) {
    this.#ttlMs = options.ttlMs;
    this.#now = options.now;
    this.#entries = new LRUCache({
      max: Math.max(1, Math.floor(options.maxEntries)),
      // lru-cache's fetch shares one pending load per key (the de-duplication) and drops the key when it fails.
      fetchMethod: async (_key, _stale, { context: load }) => ({
        value: await load(),
        until: this.#now() + this.#ttlMs,
      }),
      // A pending read pushed out by newer keys still answers its callers instead of failing their login.
      ignoreFetchAbort: true,
    });
  }

  async get(key: string, load: () => Promise<V>): Promise<V> {
    // Expiry is ours, not lru-cache's: its TTL treats a start time of 0 as "never expires" and keeps an entry
    // for one millisecond past its TTL, and the injected clock must decide alone.
    const held = this.#entries.peek(key);
    if (held !== undefined && held.until <= this.#now()) this.#entries.delete(key);
    const box = await this.#entries.forceFetch(key, { context: load });
    // A TTL of 0 keeps nothing; the load itself was still shared by the callers that overlapped it.
    if (this.#ttlMs <= 0 && this.#entries.peek(key) === box) this.#entries.delete(key);
    return box.value;
  }

  /** How many values are held. */
  get size(): number {
    return this.#entries.size;
  }
}
