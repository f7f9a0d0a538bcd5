import { abortableSleep } from './abortableSleep.js';

/**
 * The process's budget of ZITADEL requests per second, shared by every call (ZITADEL_MAX_RPS), and the pause a 429
 * imposes on all of them. ZITADEL Cloud answers 429 past about 50 requests a second per IP: a client that keeps
 * asking only makes its own pause longer, so the budget is kept below that and a 429 stops the whole process, not
 * the one call that happened to receive it.
 *
 * A token bucket in its "virtual scheduling" form (GCRA): each grant moves a theoretical arrival time one interval
 * on, and a call may go as soon as that time is within `burst` intervals of now. A call that could go only after its
 * deadline is refused at once instead of queued: the webhook it belongs to ends undecided while it still can.
 */
export interface RequestBudgetOptions {
  /** Requests per second; `undefined` is no budget (only 429 pauses apply). */
  readonly ratePerSecond: number | undefined;
  /** Requests that may go at once after a quiet spell (default: a quarter second's worth, at least 1). */
  readonly burst?: number;
  readonly now: () => number;
}

export type BudgetGrant = 'granted' | 'exhausted';

export class RequestBudget {
  readonly #intervalMs: number;
  readonly #burst: number;
  readonly #now: () => number;
  /** When the next request would go if they went one interval apart (GCRA's theoretical arrival time). */
  #nextAtMs = Number.NEGATIVE_INFINITY;
  #pausedUntilMs = Number.NEGATIVE_INFINITY;

  constructor(options: RequestBudgetOptions) {
    const rate = options.ratePerSecond;
    this.#intervalMs = rate === undefined ? 0 : 1000 / rate;
    // A quarter second: at 40/s, 10 at once plus 40 over the next second stays within ZITADEL Cloud's 50.
    this.#burst = Math.max(1, Math.floor(options.burst ?? (rate === undefined ? 1 : Math.ceil(rate / 4))));
    this.#now = options.now;
  }

  /** How far ahead of its theoretical time a request may go: the burst. */
  get #toleranceMs(): number {
    return (this.#burst - 1) * this.#intervalMs;
  }

  /** When a request asked for now could go, without taking it. */
  #grantTimeMs(nowMs: number): number {
    return Math.max(nowMs, this.#nextAtMs - this.#toleranceMs, this.#pausedUntilMs);
  }

  /**
   * Waits for the request's turn and takes it, or answers 'exhausted' at once when that turn would come at or after
   * `deadline.atMs` (nothing is taken then). Rejects when the deadline's signal aborts while it waits.
   */
  async take(deadline: { readonly atMs: number; readonly signal: AbortSignal }): Promise<BudgetGrant> {
    const nowMs = this.#now();
    const atMs = this.#grantTimeMs(nowMs);
    if (atMs >= deadline.atMs) return 'exhausted';
    this.#nextAtMs = Math.max(this.#nextAtMs, atMs) + this.#intervalMs;
    if (atMs > nowMs) await abortableSleep(atMs - nowMs, deadline.signal);
    return 'granted';
  }

  /**
   * ZITADEL said to wait (429 with Retry-After): no request of the process goes before `untilMs`, and after it they
   * resume at the steady rate, without a burst that would run straight into the next 429.
   */
  pauseUntil(untilMs: number): void {
    if (untilMs <= this.#pausedUntilMs) return;
    this.#pausedUntilMs = untilMs;
    this.#nextAtMs = Math.max(this.#nextAtMs, untilMs + this.#toleranceMs);
  }

  /** Until when the whole pool is paused by a 429, if it is. */
  pausedUntilMs(): number | undefined {
    return this.#pausedUntilMs > this.#now() ? this.#pausedUntilMs : undefined;
  }
}
