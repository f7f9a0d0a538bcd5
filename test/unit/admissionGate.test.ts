import { describe, expect, it } from 'vitest';
import { AdmissionGate } from '../../src/enforcement/admissionGate.js';
import { deadlineIn } from '../../src/zitadel/deadline.js';

function clock(startMs = 1_000_000) {
  let nowMs = startMs;
  return { now: () => nowMs, advance: (ms: number) => (nowMs += ms) };
}

describe('AdmissionGate', () => {
  it('lets enforcements in up to its limit without waiting', async () => {
    const time = clock();
    const gate = new AdmissionGate({ maxInFlight: 2, now: time.now });
    const deadline = deadlineIn(8_000, time.now());
    expect(typeof (await gate.enter(deadline))).toBe('function');
    expect(typeof (await gate.enter(deadline))).toBe('function');
  });

  it('turns a webhook away at once when its wait would not end inside the deadline', async () => {
    const time = clock();
    const gate = new AdmissionGate({ maxInFlight: 1, now: time.now, initialEstimateMs: 3_000 });
    const running = await gate.enter(deadlineIn(8_000, time.now()));
    expect(typeof running).toBe('function');
    // One in line: it runs after the current one (about 3 s), then takes 3 s itself: fits in 8 s.
    const second = gate.enter(deadlineIn(8_000, time.now()));
    // Two in line: 3 + 3 + 3 s > 8 s, so the third is answered now rather than after a futile wait.
    expect(await gate.enter(deadlineIn(8_000, time.now()))).toBe('overloaded');
    (running as () => void)();
    expect(typeof (await second)).toBe('function');
  });

  it('learns from how long enforcements take', async () => {
    const time = clock();
    const gate = new AdmissionGate({ maxInFlight: 1, now: time.now, initialEstimateMs: 1_000 });
    for (let i = 0; i < 30; i++) {
      const release = (await gate.enter(deadlineIn(8_000, time.now()))) as () => void;
      time.advance(100);
      release();
    }
    expect(gate.estimateMs).toBeGreaterThan(95);
    expect(gate.estimateMs).toBeLessThan(110);
  });

  it('answers overloaded when the deadline passes while waiting in line', async () => {
    const gate = new AdmissionGate({ maxInFlight: 1, now: Date.now, initialEstimateMs: 1 });
    const running = await gate.enter(deadlineIn(8_000));
    expect(await gate.enter(deadlineIn(30))).toBe('overloaded');
    (running as () => void)();
  });
});

describe('AdmissionGate before any enforcement has finished', () => {
  it('learns from how long the running ones have already taken', async () => {
    const time = clock();
    const gate = new AdmissionGate({ maxInFlight: 1, now: time.now, initialEstimateMs: 100 });
    const running = await gate.enter(deadlineIn(8_000, time.now()));
    // Going by its first estimate (0.1 s) one more would fit easily; but the running one is 3 s old already.
    time.advance(3_000);
    expect(gate.estimateMs).toBe(3_000);
    const queued = gate.enter(deadlineIn(8_000, time.now()));
    expect(await gate.enter(deadlineIn(8_000, time.now()))).toBe('overloaded');
    (running as () => void)();
    (await (queued as Promise<() => void>))();
  });
});
