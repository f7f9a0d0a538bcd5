/**
 * Runs tasks one after another per key (a user id) and in parallel across keys. Two logins of the same user that
 * arrive together would otherwise both list the same sessions and each delete a different "oldest".
 * In-process only: several replicas need ZITADEL's idempotent deletes and the newest-N rule to converge.
 */
export class KeyedSerializer {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    // Forget the key once its queue drains, so the map does not grow with every user ever seen.
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** How many keys have work queued or running. */
  get activeKeys(): number {
    return this.#tails.size;
  }
}
