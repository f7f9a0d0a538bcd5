import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { WebhookOutcome } from '../enforcement/outcome.js';
import type { ZitadelOperation } from '../zitadel/client.js';
import { failureKindOfCall, unreachableKind } from '../zitadel/failureKind.js';

const PREFIX = 'zitadel_session_limiter_';

// Label values must come from small fixed sets: our own codes, ZITADEL operations, HTTP statuses. Anything that
// does not look like one (it never should) is folded into "other" so no input can mint new time series.
const CODE = /^[a-z][a-z0-9_]{0,47}$/;
const HTTP_STATUS = /^[1-5][0-9]{2}$/;
const boundedCode = (value: string): string => (CODE.test(value) ? value : 'other');
const boundedStatus = (value: string): string =>
  HTTP_STATUS.test(value) || CODE.test(value) ? value : 'other';

// ZITADEL answers in milliseconds to a few seconds; a webhook is bounded by ENFORCEMENT_DEADLINE_MS (8 s default).
const ZITADEL_CALL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const ENFORCEMENT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The limiter's Prometheus metrics, in a registry of their own so that every app (and every test) counts alone.
 * Only bounded labels: outcomes, reasons, operations and statuses; never a user id, a session id or a secret.
 */
export interface LimiterMetrics {
  readonly registry: Registry;
  /** A verified webhook was decided: enforced, within the limit, denied or ignored. */
  webhookDecided(outcome: WebhookOutcome, durationMs: number): void;
  /** A replay of a delivery already decided was answered from the cache; `originalOutcome` is what it was. */
  webhookReplayed(originalOutcome: string): void;
  /** Enforcement was attempted but failed (ZITADEL unreachable, an unexpected error). */
  enforcementFailed(durationMs: number): void;
  /**
   * A webhook got an error answer: rejected (4xx, e.g. a bad signature) or failed (5xx). Takes the answer's shape
   * (the HTTP layer's ErrorAnswer) rather than its type, so metrics never import the HTTP layer above them.
   */
  webhookAnsweredWithError(answer: { readonly status: number; readonly code: string }): void;
  /** One HTTP attempt against ZITADEL ended: `outcome` is the status or timeout / network / deadline. */
  zitadelCallFinished(operation: ZitadelOperation, outcome: string, durationMs: number): void;
  zitadelRetrying(operation: ZitadelOperation, reason: string): void;
  /** ZITADEL answered 429 with Retry-After and every ZITADEL call of the process was paused. */
  zitadelRateLimitPaused(operation: ZitadelOperation): void;
  /** A ZITADEL call was refused before it was sent: the request budget had no turn for it before its deadline. */
  zitadelRateBudgetExhausted(operation: ZitadelOperation): void;
  /** What readiness (GET /readyz, the start-up check) last decided: the `ready` gauge alerts read. */
  readinessDecided(ready: boolean): void;
  /** Something a user did on the devices page or its API (src/devices/devicesAudit.ts), and how it ended. */
  devicesAction(action: string, via: string, outcome: string): void;
  /** When ZITADEL last answered one of our authenticated calls with success (2xx). */
  lastZitadelSuccessAtMs(): number | undefined;
  /** When a call last failed to reach ZITADEL or was refused by it, and how; undefined once a call succeeded since. */
  lastZitadelFailure(): ZitadelCallFailure | undefined;
}

export interface ZitadelCallFailure {
  readonly atMs: number;
  readonly reason: 'zitadel_unavailable' | 'zitadel_rejected';
}

// The reads behind COUNT_WHEN=signed-in and LIMIT_METADATA_KEY: a 403 there degrades one rule (the decision falls
// back and says so), it does not stop the limiter doing its job, so it must not turn /readyz 503.
const SIDE_READS: ReadonlySet<ZitadelOperation> = new Set([
  'list_user_metadata',
  'list_authentication_methods',
  'get_login_settings',
]);

/**
 * Whether one call's outcome says ZITADEL cannot be used: refused credentials (401, 403; a token endpoint's 400),
 * or no answer in time (timeout, network, deadline, 408, 429, 5xx). Other 4xx answers (a session already gone, 404)
 * are ZITADEL doing its job, and so is a 403 on a side read (a policy fallback). Undefined: not a failure.
 */
export function zitadelCallFailure(
  operation: ZitadelOperation,
  outcome: string,
): ZitadelCallFailure['reason'] | undefined {
  const kind = failureKindOfCall(operation, outcome);
  if (kind === undefined) return undefined;
  switch (kind) {
    case 'timeout':
    case 'deadline':
    case 'unreachable':
    case 'rate_limited':
    case 'server_error':
    case 'server_unsupported':
      return 'zitadel_unavailable';
    case 'permission_denied':
      return SIDE_READS.has(operation) ? undefined : 'zitadel_rejected';
    case 'unauthenticated':
      return 'zitadel_rejected';
    // ZITADEL doing its job; and a call's outcome is its status alone, so the last three never come from one.
    case 'not_found':
    case 'refused':
    case 'budget_exhausted': // never sent: counted by rate_limit_budget_exhausted_total instead
    case 'instance_not_found':
    case 'bad_answer':
    case 'internal':
      return undefined;
    default:
      return unreachableKind(kind);
  }
}

export interface LimiterMetricsOptions {
  /** Node's default process metrics (CPU, memory, event loop, GC). On unless turned off. */
  readonly processMetrics?: boolean;
  /** Static settings exported as an info metric, so dashboards can tell a dry run from real evictions. */
  readonly settings?: { readonly limit: number; readonly strategy: string; readonly dryRun: boolean };
  readonly now?: () => number;
}

export function createLimiterMetrics(options: LimiterMetricsOptions = {}): LimiterMetrics {
  const now = options.now ?? Date.now;
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });

  const webhooks = new Counter({
    name: `${PREFIX}webhooks_total`,
    help: "Webhooks by outcome: enforced, within_limit, denied, ignored (reason says why), undecided (could not decide in time; reason says why), replayed (reason: the first delivery's outcome), rejected (4xx) or failed (5xx), with the answer code as reason.",
    labelNames: ['outcome', 'reason'] as const,
    registers,
  });
  const enforcementDuration = new Histogram({
    name: `${PREFIX}enforcement_duration_seconds`,
    help: 'Time from receiving a webhook to the end of enforcement (all ZITADEL calls included), by outcome.',
    labelNames: ['outcome'] as const,
    buckets: ENFORCEMENT_BUCKETS,
    registers,
  });
  const devicesActions = new Counter({
    name: `${PREFIX}devices_actions_total`,
    help: 'What users did on the "your devices" page and API: action (login, ticket_opened, view, sign_out, sign_out_others), via (oidc, ticket, api) and outcome (ok, partly_failed, or the refusal code).',
    labelNames: ['action', 'via', 'outcome'] as const,
    registers,
  });
  const sessionsDeleted = new Counter({
    name: `${PREFIX}sessions_deleted_total`,
    help: 'Sessions deleted to enforce the limit (evict-oldest deletes old ones, deny-new the newcomer).',
    labelNames: ['strategy'] as const,
    registers,
  });
  const devicesRemoved = new Counter({
    name: `${PREFIX}devices_removed_total`,
    help: 'Devices that lost all their sessions to the limit (deny-new: refused logins), or would have in a dry run.',
    labelNames: ['strategy'] as const,
    registers,
  });
  const limitSources = new Counter({
    name: `${PREFIX}limit_source_total`,
    help: "Enforced decisions by where the user's limit came from: metadata, organization, default, held_back (metadata unreadable), or not_needed (at most one session: the metadata was not read).",
    labelNames: ['source'] as const,
    registers,
  });
  const policyFallbacks = new Counter({
    name: `${PREFIX}policy_fallbacks_total`,
    help: 'Decisions made without something, by reason: limit_metadata_invalid, or a side read (limit_metadata, authentication_methods, login_settings) that was _unreadable (failed or late) or _permission_denied (ZITADEL answered 403: the credential lacks user.read or policy.read).',
    labelNames: ['reason'] as const,
    registers,
  });
  const deleteFailures = new Counter({
    name: `${PREFIX}session_delete_failures_total`,
    help: 'Deletions that did not go through before the deadline.',
    registers,
  });
  const dryRunEvictions = new Counter({
    name: `${PREFIX}dry_run_evictions_total`,
    help: 'Sessions a dry run would have deleted.',
    registers,
  });
  const zitadelCalls = new Histogram({
    name: `${PREFIX}zitadel_request_duration_seconds`,
    help: 'Duration of each HTTP attempt against ZITADEL, by operation and HTTP status (or timeout, network, deadline).',
    labelNames: ['operation', 'status'] as const,
    buckets: ZITADEL_CALL_BUCKETS,
    registers,
  });
  const zitadelRetries = new Counter({
    name: `${PREFIX}zitadel_retries_total`,
    help: 'Retried ZITADEL calls, by operation and the reason of the failed attempt.',
    labelNames: ['operation', 'reason'] as const,
    registers,
  });
  const rateLimitPauses = new Counter({
    name: `${PREFIX}rate_limit_pauses_total`,
    help: 'Rate-limit pauses: ZITADEL answered 429 with Retry-After and every ZITADEL call of the process waited until then. By the operation that got the 429.',
    labelNames: ['operation'] as const,
    registers,
  });
  const rateBudgetExhausted = new Counter({
    name: `${PREFIX}rate_limit_budget_exhausted_total`,
    help: 'ZITADEL calls not sent because the request budget (ZITADEL_MAX_RPS, or a rate-limit pause) had no turn for them before their deadline; the webhook ends undecided (reason rate_limited). By operation.',
    labelNames: ['operation'] as const,
    registers,
  });
  const lastSuccess = new Gauge({
    name: `${PREFIX}zitadel_last_success_timestamp_seconds`,
    help: 'Unix time of the last successful (2xx) authenticated answer from ZITADEL.',
    registers,
  });
  // 0 until a first verdict: a check that has not run yet is not reported as passed.
  const ready = new Gauge({
    name: `${PREFIX}ready`,
    help: '1 when the last readiness verdict (GET /readyz, the start-up check) was ready; 0 when it was not, or before the first.',
    registers,
  });
  if (options.settings !== undefined) {
    new Gauge({
      name: `${PREFIX}config_info`,
      help: 'The configured limit, strategy and dry-run flag (value is always 1).',
      labelNames: ['limit', 'strategy', 'dry_run'] as const,
      registers,
    }).set(
      {
        limit: options.settings.limit,
        strategy: options.settings.strategy,
        dry_run: String(options.settings.dryRun),
      },
      1,
    );
  }

  let lastSuccessAtMs: number | undefined;
  let lastFailure: ZitadelCallFailure | undefined;

  return {
    registry,

    webhookDecided(outcome, durationMs) {
      if (outcome.outcome === 'ignored' || outcome.outcome === 'undecided')
        webhooks.inc({ outcome: outcome.outcome, reason: outcome.reason });
      else webhooks.inc({ outcome: outcome.outcome });
      enforcementDuration.observe({ outcome: outcome.outcome }, durationMs / 1000);
      if (outcome.outcome === 'ignored' || outcome.outcome === 'undecided') return;
      limitSources.inc({ source: boundedCode(outcome.limitSource) });
      for (const reason of outcome.fallbacks) policyFallbacks.inc({ reason: boundedCode(reason) });
      devicesRemoved.inc({ strategy: outcome.strategy }, outcome.removedDevices);
      if (outcome.dryRun) dryRunEvictions.inc(outcome.deleted.length);
      else sessionsDeleted.inc({ strategy: outcome.strategy }, outcome.deleted.length);
      deleteFailures.inc(outcome.failed.length);
    },

    webhookReplayed(originalOutcome) {
      webhooks.inc({ outcome: 'replayed', reason: boundedCode(originalOutcome) });
    },

    enforcementFailed(durationMs) {
      enforcementDuration.observe({ outcome: 'failed' }, durationMs / 1000);
    },

    webhookAnsweredWithError({ status, code }) {
      webhooks.inc({ outcome: status < 500 ? 'rejected' : 'failed', reason: boundedCode(code) });
    },

    zitadelCallFinished(operation, outcome, durationMs) {
      zitadelCalls.observe({ operation, status: boundedStatus(outcome) }, durationMs / 1000);
      if (HTTP_STATUS.test(outcome) && outcome.startsWith('2')) {
        lastSuccessAtMs = now();
        lastSuccess.set(lastSuccessAtMs / 1000);
        // A success supersedes every failure before it: what remains is only ever newer than the last success.
        lastFailure = undefined;
        return;
      }
      const reason = zitadelCallFailure(operation, outcome);
      if (reason !== undefined) lastFailure = { atMs: now(), reason };
    },

    zitadelRetrying(operation, reason) {
      zitadelRetries.inc({ operation, reason: boundedStatus(reason) });
    },

    zitadelRateLimitPaused(operation) {
      rateLimitPauses.inc({ operation });
    },

    zitadelRateBudgetExhausted(operation) {
      rateBudgetExhausted.inc({ operation });
    },

    readinessDecided(isReady) {
      ready.set(isReady ? 1 : 0);
    },

    devicesAction(action, via, outcome) {
      devicesActions.inc({
        action: boundedCode(action),
        via: boundedCode(via),
        outcome: boundedCode(outcome),
      });
    },

    lastZitadelSuccessAtMs: () => lastSuccessAtMs,
    lastZitadelFailure: () => lastFailure,
  };
}
