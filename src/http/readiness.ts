import type { Express, RequestHandler } from 'express';
import type { RuleReport } from '../enforcement/ruleCheck.js';
import type { Logger } from '../logging/logger.js';
import type { Deadline } from '../zitadel/deadline.js';
import { deadlineIn } from '../zitadel/deadline.js';
import { ZitadelError } from '../zitadel/errors.js';
import { failureKindOf, zitadelFailureCode } from '../zitadel/failureKind.js';

export type ReadinessVerdict = { readonly ready: true } | { readonly ready: false; readonly reason: string };

export interface ReadinessOptions {
  /** One cheap authenticated ZITADEL call; resolves when ZITADEL answered it with success. */
  readonly checkZitadel: (deadline: Deadline) => Promise<void>;
  /** When any ZITADEL call (a webhook's, say) last succeeded: evidence enough, and no extra call. */
  readonly lastZitadelSuccessAtMs: () => number | undefined;
  /** When a call (a webhook's, say) last failed to reach ZITADEL, and why: evidence of the opposite. */
  readonly lastZitadelFailure?: () => { readonly atMs: number; readonly reason: string } | undefined;
  readonly now: () => number;
  /** The time budget of one check; a probe that waits longer than its platform's timeout counts as failed anyway. */
  readonly checkTimeoutMs: number;
  /** How long a success counts. Also the most often ZITADEL is asked while all is well. */
  readonly readyForMs?: number;
  /** How long a failure is repeated without asking again, so a probe storm cannot hammer ZITADEL. */
  readonly notReadyForMs?: number;
  /** Told every verdict `check` reaches (a probe's, the start-up check's), so a metric can show what /readyz said. */
  readonly onVerdict?: (verdict: ReadinessVerdict) => void;
  readonly logger: Logger;
}

const READY: ReadinessVerdict = { ready: true };

interface Evidence {
  readonly verdict: ReadinessVerdict;
  readonly atMs: number;
}

/** The terse reason /readyz gives for a failed check. */
function reasonOf(error: unknown): string {
  return zitadelFailureCode(failureKindOf(error)) ?? 'zitadel_check_failed';
}

/**
 * "Can this instance do its job?": the config was valid (or the app would not exist) and ZITADEL answered an
 * authenticated call lately. Verdicts are cached, and concurrent checks share one ZITADEL call.
 */
export class Readiness {
  readonly #options: ReadinessOptions;
  readonly #readyForMs: number;
  readonly #notReadyForMs: number;
  #lastCheck: Evidence | undefined;
  #inFlight: Promise<ReadinessVerdict> | undefined;
  #reportedReady: boolean | undefined;

  constructor(options: ReadinessOptions) {
    this.#options = options;
    this.#readyForMs = options.readyForMs ?? 30_000;
    this.#notReadyForMs = options.notReadyForMs ?? 5_000;
  }

  /**
   * The newest evidence decides: a successful call (any webhook's, or our own check) makes us ready for 30 s, a
   * failed one (a webhook's call that timed out or was refused, or our own check) not ready for 5 s. Only when the
   * newest evidence has run out is ZITADEL asked, so a webhook whose calls fail turns /readyz 503 at once, and the
   * next call that succeeds (a webhook's, or the check a probe makes 5 s later) turns it back.
   */
  async check(): Promise<ReadinessVerdict> {
    const verdict = await this.#decide();
    this.#options.onVerdict?.(verdict);
    return verdict;
  }

  async #decide(): Promise<ReadinessVerdict> {
    const nowMs = this.#options.now();
    const newest = this.#newestEvidence();
    if (newest !== undefined) {
      const validForMs = newest.verdict.ready ? this.#readyForMs : this.#notReadyForMs;
      if (nowMs - newest.atMs < validForMs) {
        if (newest.fromCalls) this.#report(newest.verdict);
        return newest.verdict;
      }
    }
    this.#inFlight ??= this.#checkZitadel().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  #newestEvidence(): (Evidence & { readonly fromCalls: boolean }) | undefined {
    const candidates: (Evidence & { readonly fromCalls: boolean })[] = [];
    const succeededAtMs = this.#options.lastZitadelSuccessAtMs();
    if (succeededAtMs !== undefined)
      candidates.push({ verdict: READY, atMs: succeededAtMs, fromCalls: true });
    const failure = this.#options.lastZitadelFailure?.();
    if (failure !== undefined)
      candidates.push({
        verdict: { ready: false, reason: failure.reason },
        atMs: failure.atMs,
        fromCalls: true,
      });
    // Our own check last: on a tie it wins, since it is what a probe asked for.
    if (this.#lastCheck !== undefined) candidates.push({ ...this.#lastCheck, fromCalls: false });
    let newest: (Evidence & { readonly fromCalls: boolean }) | undefined;
    for (const candidate of candidates)
      if (newest === undefined || candidate.atMs >= newest.atMs) newest = candidate;
    return newest;
  }

  /** One log line when webhooks' calls turn readiness, not one per probe. */
  #report(verdict: ReadinessVerdict): void {
    if (verdict.ready === this.#reportedReady) return;
    if (!verdict.ready)
      this.#options.logger.warn('not ready: calls to ZITADEL are failing', { reason: verdict.reason });
    else if (this.#reportedReady === false)
      this.#options.logger.info('ready again: a call to ZITADEL succeeded');
    this.#reportedReady = verdict.ready;
  }

  async #checkZitadel(): Promise<ReadinessVerdict> {
    const { checkZitadel, now, checkTimeoutMs, logger } = this.#options;
    let verdict: ReadinessVerdict;
    try {
      await checkZitadel(deadlineIn(checkTimeoutMs, now()));
      verdict = READY;
    } catch (error) {
      verdict = { ready: false, reason: reasonOf(error) };
      const detail =
        error instanceof ZitadelError
          ? { failure: error.kind, code: error.networkCode, status: error.status, grpcCode: error.grpcCode }
          : {};
      if (this.#reportedReady !== false)
        logger.warn('not ready: the ZITADEL check failed', { reason: verdict.reason, ...detail });
    }
    if (verdict.ready && this.#reportedReady === false)
      logger.info('ready again: ZITADEL answered the check');
    this.#reportedReady = verdict.ready;
    this.#lastCheck = { verdict, atMs: now() };
    return verdict;
  }
}

/** `GET /readyz`: 200 when ready; 503 with a terse reason otherwise (never an error message). */
export function readinessRoute(readiness: Readiness): RequestHandler {
  return async (_req, res) => {
    const verdict = await readiness.check();
    res.setHeader('Cache-Control', 'no-store');
    if (verdict.ready) res.status(200).json({ status: 'ready' });
    else res.status(503).json({ status: 'not_ready', reason: verdict.reason });
  };
}

/** The rule check an app built by createApp offers for the start-up line (see enforcement/ruleCheck.ts). */
export function ruleCheckOf(app: Express): (() => Promise<RuleReport>) | undefined {
  const check: unknown = app.locals.checkRules;
  return typeof check === 'function' ? (check as () => Promise<RuleReport>) : undefined;
}

/** The readiness an app built by createApp checks with (the server asks it once at start-up). */
export function readinessOf(app: Express): Readiness | undefined {
  const readiness: unknown = app.locals.readiness;
  return readiness instanceof Readiness ? readiness : undefined;
}
