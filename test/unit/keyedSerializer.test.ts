import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { KeyedSerializer } from '../../src/enforcement/keyedSerializer.js';

interface Gate {
  readonly promise: Promise<void>;
  open(): void;
}

/** A promise the test resolves by hand, to hold a task at a known point. */
function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await nextMacrotask();
}

describe('KeyedSerializer', () => {
  it('runs tasks for the same key one after another, in arrival order', async () => {
    const serializer = new KeyedSerializer();
    const log: string[] = [];
    const gates = [gate(), gate(), gate()];
    const runs = gates.map((g, index) =>
      serializer.run('user-1', async () => {
        log.push(`start ${index}`);
        await g.promise;
        log.push(`end ${index}`);
        return index;
      }),
    );

    await settle();
    expect(log).toEqual(['start 0']);
    // Open the later gates first: they must still wait for the task ahead of them.
    gates[2]!.open();
    gates[1]!.open();
    await settle();
    expect(log).toEqual(['start 0']);
    gates[0]!.open();

    await expect(Promise.all(runs)).resolves.toEqual([0, 1, 2]);
    expect(log).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('runs tasks for different keys in parallel', async () => {
    const serializer = new KeyedSerializer();
    const started: string[] = [];
    const first = gate();
    const second = gate();
    const runs = [
      serializer.run('user-1', async () => {
        started.push('user-1');
        await first.promise;
      }),
      serializer.run('user-2', async () => {
        started.push('user-2');
        await second.promise;
      }),
    ];

    await settle();
    expect(started).toEqual(['user-1', 'user-2']);
    expect(serializer.activeKeys).toBe(2);
    second.open();
    first.open();
    await Promise.all(runs);
  });

  it('continues with the next task after one is rejected, and hands the rejection to its caller', async () => {
    const serializer = new KeyedSerializer();
    const failure = new Error('ZITADEL unavailable');
    const failing = serializer.run('user-1', () => Promise.reject(failure));
    const next = serializer.run('user-1', () => Promise.resolve('second ran'));

    await expect(failing).rejects.toBe(failure);
    await expect(next).resolves.toBe('second ran');
  });

  it('continues after a task that throws synchronously', async () => {
    const serializer = new KeyedSerializer();
    const failure = new Error('bug');
    const failing = serializer.run('user-1', () => {
      throw failure;
    });
    const next = serializer.run('user-1', () => Promise.resolve(2));
    await expect(failing).rejects.toBe(failure);
    await expect(next).resolves.toBe(2);
  });

  it('forgets a key once its queue drains, including after a failure', async () => {
    const serializer = new KeyedSerializer();
    expect(serializer.activeKeys).toBe(0);
    const g = gate();
    const runs = [
      serializer.run('user-1', () => g.promise),
      serializer.run('user-1', () => Promise.reject(new Error('x'))),
      serializer.run('user-2', () => g.promise),
    ];
    expect(serializer.activeKeys).toBe(2);
    g.open();
    await Promise.allSettled(runs);
    await settle();
    expect(serializer.activeKeys).toBe(0);
  });

  it('accepts new work for a key after it was forgotten', async () => {
    const serializer = new KeyedSerializer();
    await serializer.run('user-1', () => Promise.resolve());
    await settle();
    expect(serializer.activeKeys).toBe(0);
    await expect(serializer.run('user-1', () => Promise.resolve('again'))).resolves.toBe('again');
  });
});
