import { CallPool } from '../zitadel/callPool.js';
import type { Deadline } from '../zitadel/deadline.js';

export interface AdmissionGateOptions {
  /** Enforcements running at once. */
  readonly maxInFlight: number;
  readonly now: () => number;
  /** What one enforcement is assumed to take until some have been measured. */
  readonly initialEstimateMs?: number;
}

// How much each finished enforcement moves the estimate: recent ones count most, one outlier does not dominate.
const SMOOTHING = 0.2;

/**
 * Admission control for enforcements: a bounded number run at once, the next ones wait in line, and a webhook whose
 * wait would not end inside its deadline is turned away at once instead of joining a line it cannot leave in time.
 * The expected wait comes from how long recent enforcements took (an exponentially weighted average), so the gate
 * follows ZITADEL's speed: with ZITADEL at 20 ms a long line is fine; with ZITADEL at 2.5 s almost none is.
 */
export class AdmissionGate {
  readonly #places: CallPool;
  readonly #maxInFlight: number;
  readonly #now: () => number;
  #estimateMs: number;
  /** When each running enforcement started: a first burst has no finished one to learn from, but these age. */
  readonly #running = new Set<{ readonly startedMs: number }>();

  constructor(options: AdmissionGateOptions) {
    this.#maxInFlight = Math.max(1, Math.floor(options.maxInFlight));
    this.#places = new CallPool(this.#maxInFlight);
    this.#now = options.now;
    this.#estimateMs = options.initialEstimateMs ?? 1000;
  }

  /**
   * A release function once the enforcement may run (call it when it ends), or 'overloaded' when it would not get to
   * run and finish within the deadline — at once when that is foreseeable, else when the deadline passes in line.
   */
  async enter(deadline: Deadline): Promise<(() => void) | 'overloaded'> {
    const { busy, waiting } = this.#places.usage;
    if (busy >= this.#maxInFlight) {
      const rounds = Math.ceil((waiting + 1) / this.#maxInFlight);
      if (this.#now() + (rounds + 1) * this.estimateMs > deadline.atMs) return 'overloaded';
    }
    let release: () => void;
    try {
      release = await this.#places.acquire(deadline.signal);
    } catch {
      return 'overloaded';
    }
    const running = { startedMs: this.#now() };
    this.#running.add(running);
    return () => {
      this.#running.delete(running);
      this.#estimateMs += SMOOTHING * (this.#now() - running.startedMs - this.#estimateMs);
      release();
    };
  }

  /**
   * The current estimate of one enforcement's duration, in ms: the average of recent ones, or longer when one still
   * running has already taken longer than that (ZITADEL just slowed down, or nothing has finished yet).
   */
  get estimateMs(): number {
    let oldestStartMs = Number.POSITIVE_INFINITY;
    for (const { startedMs } of this.#running) oldestStartMs = Math.min(oldestStartMs, startedMs);
    return Math.max(this.#estimateMs, this.#now() - oldestStartMs);
  }
}
