import type { Express, RequestHandler } from 'express';
import type { Logger } from '../logging/logger.js';
import type { Deadline } from '../zitadel/deadline.js';
import { deadlineIn } from '../zitadel/deadline.js';
import { ZitadelError } from '../zitadel/errors.js';
import { zitadelErrorCode } from './errorHandler.js';

export type ReadinessVerdict = { readonly ready: true } | { readonly ready: false; readonly reason: string };

export interface ReadinessOptions {
  /** One cheap authenticated ZITADEL call; resolves when ZITADEL answered it with success. */
  readonly checkZitadel: (deadline: Deadline) => Promise<void>;
  /** When any ZITADEL call (a webhook's, say) last succeeded: evidence enough, and no extra call. */
  readonly lastZitadelSuccessAtMs: () => number | undefined;
  readonly now: () => number;
  /** The time budget of one check; a probe that waits longer than its platform's timeout counts as failed anyway. */
  readonly checkTimeoutMs: number;
  /** How long a success counts. Also the most often ZITADEL is asked while all is well. */
  readonly readyForMs?: number;
  /** How long a failure is repeated without asking again, so a probe storm cannot hammer ZITADEL. */
  readonly notReadyForMs?: number;
  readonly logger: Logger;
}

const READY: ReadinessVerdict = { ready: true };

function reasonOf(error: unknown): string {
  return error instanceof ZitadelError ? zitadelErrorCode(error) : 'zitadel_check_failed';
}

/**
 * "Can this instance do its job?": the config was valid (or the app would not exist) and ZITADEL answered an
 * authenticated call lately. Verdicts are cached, and concurrent checks share one ZITADEL call.
 */
export class Readiness {
  readonly #options: ReadinessOptions;
  readonly #readyForMs: number;
  readonly #notReadyForMs: number;
  #lastCheck: { readonly verdict: ReadinessVerdict; readonly atMs: number } | undefined;
  #inFlight: Promise<ReadinessVerdict> | undefined;

  constructor(options: ReadinessOptions) {
    this.#options = options;
    this.#readyForMs = options.readyForMs ?? 30_000;
    this.#notReadyForMs = options.notReadyForMs ?? 5_000;
  }

  async check(): Promise<ReadinessVerdict> {
    const nowMs = this.#options.now();
    const succeededAtMs = this.#options.lastZitadelSuccessAtMs();
    const last = this.#lastCheck;
    // A webhook's successful call is as good as our own check, unless a failed check came after it.
    if (
      succeededAtMs !== undefined &&
      nowMs - succeededAtMs < this.#readyForMs &&
      (last === undefined || succeededAtMs >= last.atMs)
    ) {
      return READY;
    }
    if (
      last !== undefined &&
      nowMs - last.atMs < (last.verdict.ready ? this.#readyForMs : this.#notReadyForMs)
    ) {
      return last.verdict;
    }
    this.#inFlight ??= this.#checkZitadel().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
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
      if (this.#lastCheck?.verdict.ready !== false)
        logger.warn('not ready: the ZITADEL check failed', { reason: verdict.reason, ...detail });
    }
    if (verdict.ready && this.#lastCheck?.verdict.ready === false)
      logger.info('ready again: ZITADEL answered the check');
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

/** The readiness an app built by createApp checks with (the server asks it once at start-up). */
export function readinessOf(app: Express): Readiness | undefined {
  const readiness: unknown = app.locals.readiness;
  return readiness instanceof Readiness ? readiness : undefined;
}
