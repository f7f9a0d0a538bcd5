import type { AccessTokenSource } from './accessToken.js';
import type { ZitadelOperation } from './transport.js';
import { ZitadelError } from './errors.js';

const FETCH_TOKEN = 'fetch_token' satisfies ZitadelOperation;

/** What a token endpoint handed out: the bearer token and how long it lives from when we asked. */
export interface IssuedAccessToken {
  readonly accessToken: string;
  readonly expiresInSeconds: number;
}

/** One request to the token endpoint. It must give up when `signal` aborts and throw only ZitadelErrors. */
export type RequestAccessToken = (signal: AbortSignal) => Promise<IssuedAccessToken>;

// A cached token is handed out only while it will outlive the call it is used for: one attempt lasts at most
// ZITADEL_TIMEOUT_MS (60 s at most), so a minute is enough. A short-lived token keeps 90 % of its life instead.
const MAX_REFRESH_MARGIN_MS = 60_000;
const REFRESH_MARGIN_SHARE = 0.1;

/** How long before its expiry a token of this lifetime is replaced: a minute, or a tenth of a shorter life. */
export function refreshMarginMs(lifetimeMs: number): number {
  return Math.min(MAX_REFRESH_MARGIN_MS, lifetimeMs * REFRESH_MARGIN_SHARE);
}

interface TokenFlight {
  readonly result: Promise<string>;
  readonly controller: AbortController;
  waiters: number;
}

function abandoned(): ZitadelError {
  // The caller's own budget ran out (its attempt timeout or the webhook's deadline); another attempt may fit.
  return new ZitadelError({ operation: FETCH_TOKEN, kind: 'timeout', retryable: true });
}

/**
 * Turns a token endpoint into an AccessTokenSource: the token is cached until shortly before it expires, and
 * callers that need one at the same time share a single request. A caller whose signal aborts stops waiting at
 * once; the request itself is cancelled only when no caller is left waiting for it.
 */
export function cachingTokenSource(
  requestToken: RequestAccessToken,
  now: () => number = Date.now,
): AccessTokenSource {
  let cached: { readonly token: string; readonly refreshAtMs: number } | undefined;
  let flight: TokenFlight | undefined;

  function startFlight(): TokenFlight {
    const controller = new AbortController();
    // Lifetime counts from when we asked, not when the answer arrived: the token may be older than it looks.
    const requestedAtMs = now();
    const result = requestToken(controller.signal).then(
      (issued) => {
        const lifetimeMs = issued.expiresInSeconds * 1000;
        cached = {
          token: issued.accessToken,
          refreshAtMs: requestedAtMs + lifetimeMs - refreshMarginMs(lifetimeMs),
        };
        return issued.accessToken;
      },
      (error: unknown) => {
        throw controller.signal.aborted ? abandoned() : error;
      },
    );
    const started: TokenFlight = { result, controller, waiters: 0 };
    // Failures are not cached: the next caller asks again.
    void result
      .catch(() => undefined)
      .finally(() => {
        if (flight === started) flight = undefined;
      });
    return started;
  }

  function waitFor(current: TokenFlight, signal: AbortSignal): Promise<string> {
    current.waiters += 1;
    return new Promise<string>((resolve, reject) => {
      let waiting = true;
      const leave = () => {
        if (!waiting) return false;
        waiting = false;
        current.waiters -= 1;
        signal.removeEventListener('abort', onAbort);
        return true;
      };
      const onAbort = () => {
        if (!leave()) return;
        if (current.waiters === 0) {
          // Nobody wants this token any more: cancel the request, and let the next caller start afresh.
          if (flight === current) flight = undefined;
          current.controller.abort();
        }
        reject(abandoned());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      void current.result.then(
        (token) => {
          if (leave()) resolve(token);
        },
        // requestToken throws ZitadelErrors only (see RequestAccessToken).
        (error: Error) => {
          if (leave()) reject(error);
        },
      );
    });
  }

  return {
    getAccessToken(signal) {
      if (cached !== undefined && now() < cached.refreshAtMs) return Promise.resolve(cached.token);
      if (signal.aborted) return Promise.reject(abandoned());
      flight ??= startFlight();
      return waitFor(flight, signal);
    },
    invalidate(token) {
      // Only the refused token is dropped: a newer one fetched meanwhile by another caller is still good.
      if (cached?.token === token) cached = undefined;
      return true;
    },
  };
}
