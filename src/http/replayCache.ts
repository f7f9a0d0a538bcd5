import { LRUCache } from 'lru-cache';

/** The answer a webhook got, kept so that a replay of the very same delivery gets it again. */
export interface RememberedAnswer {
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>>;
  /** What the first delivery was decided as (`enforced`, `ignored`, …), for the replay's audit record. */
  readonly outcome: string;
  readonly sessionId: string | undefined;
}

export interface ReplayCacheOptions {
  /** Most answers kept; the least recently used goes first. */
  readonly maxEntries: number;
  /** How long an answer is kept: as long as its signature can pass the timestamp check, no longer. */
  readonly ttlMs: number;
  /** Answers whose JSON is larger are not kept (the webhook is then simply decided again). */
  readonly maxAnswerBytes: number;
  readonly now: () => number;
}

interface Entry {
  readonly expiresAtMs: number;
  /** Settles with the answer, or undefined when the first delivery failed (the replay is then decided afresh). */
  readonly answer: Promise<RememberedAnswer | undefined>;
}

/** Resolves the pending entry of one delivery: with its answer when it is worth keeping, else undefined. */
export type SettleReplay = (answer: RememberedAnswer | undefined) => void;

export type ReplayLookup =
  | { readonly kind: 'replay'; readonly answer: RememberedAnswer }
  | { readonly kind: 'first'; readonly settle: SettleReplay };

/**
 * A small in-process LRU of answers by verified `v1` signature: ZITADEL never sends a delivery twice, so a second
 * one inside the signature tolerance is a replay (a retrying proxy, or somebody who captured it), and it gets the
 * first answer back without calling ZITADEL again. An optimisation only: a replica without the entry decides the
 * replay afresh, which is correct too (deleting a session twice is harmless). Only verified signatures are keys, so
 * a forger can neither read an answer nor fill the cache.
 */
export class ReplayCache {
  readonly #options: ReplayCacheOptions;
  // lru-cache keeps the bound and the recency order; expiry is checked here against the injected clock (its own
  // TTL treats a start time of 0 as "never expires").
  readonly #entries: LRUCache<string, Entry>;

  constructor(options: ReplayCacheOptions) {
    this.#options = options;
    this.#entries = new LRUCache({ max: Math.max(1, Math.floor(options.maxEntries)) });
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * The remembered answer of this signature, waiting for it while the first delivery is still being decided; or, for
   * a first delivery (or one whose first attempt failed), a `settle` to call with its answer.
   */
  async lookup(signature: string): Promise<ReplayLookup> {
    const nowMs = this.#options.now();
    // `get` also makes the entry the most recently used.
    const entry = this.#entries.get(signature);
    if (entry !== undefined && entry.expiresAtMs > nowMs) {
      const answer = await entry.answer;
      if (answer !== undefined) return { kind: 'replay', answer };
      // The first delivery failed and removed its entry; this one is decided afresh.
      return this.lookup(signature);
    }
    return { kind: 'first', settle: this.#startEntry(signature, nowMs) };
  }

  #startEntry(signature: string, nowMs: number): SettleReplay {
    let resolve!: (answer: RememberedAnswer | undefined) => void;
    const answer = new Promise<RememberedAnswer | undefined>((done) => (resolve = done));
    const entry: Entry = { expiresAtMs: nowMs + this.#options.ttlMs, answer };
    // Replaces an expired entry of the same signature; beyond maxEntries the least recently used goes.
    this.#entries.set(signature, entry);
    return (remembered) => {
      const keep =
        remembered !== undefined &&
        Buffer.byteLength(JSON.stringify(remembered.body)) <= this.#options.maxAnswerBytes;
      if (!keep && this.#entries.peek(signature) === entry) this.#entries.delete(signature);
      resolve(keep ? remembered : undefined);
    };
  }
}
