/** The time budget of one unit of work (a webhook, a CLI command): every ZITADEL call made for it shares it. */
export interface Deadline {
  readonly signal: AbortSignal;
  readonly atMs: number;
}

export function deadlineIn(ms: number, nowMs: number = Date.now()): Deadline {
  return { signal: AbortSignal.timeout(ms), atMs: nowMs + ms };
}
