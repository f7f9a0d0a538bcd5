/** An item `mapWithConcurrency` did not start because `shouldStart` said no. */
export interface NotStarted {
  readonly status: 'not_started';
}

/**
 * Runs `task` over `items` with at most `concurrency` in flight and settles every one: a failure does not stop the
 * others, and the results keep the items' order. Before each start it asks `shouldStart` (e.g. "is there time
 * left?"); once that says no, the remaining items are `not_started`.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<R>,
  shouldStart: () => boolean = () => true,
): Promise<(PromiseSettledResult<R> | NotStarted)[]> {
  const results: (PromiseSettledResult<R> | NotStarted)[] = items.map(() => ({ status: 'not_started' }));
  let next = 0;
  const worker = async () => {
    while (next < items.length && shouldStart()) {
      const index = next++;
      try {
        results[index] = { status: 'fulfilled', value: await task(items[index] as T) };
      } catch (reason) {
        results[index] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(Math.max(1, Math.floor(concurrency) || 1), items.length) }, worker),
  );
  return results;
}
