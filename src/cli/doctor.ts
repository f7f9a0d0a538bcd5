import { devicesCheck } from './devicesCheck.js';
import { loadLimitSettings, loadPayloadSettings } from './environment.js';
import type { LimitSettings, PayloadSettings } from '../vocabulary.js';
import type { ActionExecution, ActionsApiVersion, ActionTarget, OidcApp } from './adminApi/adminApi.js';
import { deadlineIn, type Deadline } from '../zitadel/deadline.js';
import { isWeakerThan } from '../webhook/decodePayload.js';
import { ZitadelError } from '../zitadel/errors.js';
import { expectPositionals, parseCommandArgs } from './args.js';
import { connect, type ZitadelClient } from './connect.js';
import { deniedByDefault, denyListsFor, majorMinor, nameDenyLists } from './denyList.js';
import { EXIT, UsageError } from './errors.js';
import { emitJson, say, type CommandContext } from './io.js';
import { readLocalSigningKey, type LocalSigningKey } from './localSigningKey.js';
import { isExpired, publicKeysOfPrivate, spkiOfUploaded } from './payloadKeys.js';
import { probeEndpoint } from './probeEndpoint.js';
import {
  DENY_NEW_AVAILABILITY,
  eventConditionsOf,
  looksPrivate,
  parseEndpoint,
  payloadFormOf,
  SESSION_METHODS,
} from './setup.js';
import { CLI_COMMAND } from './commandName.js';

export const DOCTOR_HELP = `Usage: ${CLI_COMMAND} doctor --endpoint <url> [options]

Checks, changing nothing, whether the wiring works: the credential and each permission the configuration needs
(proven with the limiter's own calls; a DeleteSession of an id no session has proves session.delete), the
instance version, the
target that posts to <url> (type, timeout, interruptOnError, payload type), the executions on CreateSession and
SetSession (v2 and v2beta), and a signed probe to the endpoint. Also says what an eviction ends on this instance.
Run it with the limiter's environment. Reading targets and executions needs action.target.read and
action.execution.read (IAM_OWNER_VIEWER or IAM_OWNER); with the limiter's own credential those lines are warnings.

Options:
  --endpoint <url>   the limiter's webhook URL, as registered (completed with /session/manage like setup)
  --insecure         allow a plain http:// endpoint (local tests only)
  --no-probe         do not send the signed probe
  --json             print one JSON document

Exit codes: 0 no check failed (warnings allowed), 4 at least one check failed, 2 usage, 3 configuration.
`;

export type CheckStatus = 'ok' | 'fail' | 'warn' | 'info' | 'skip';

export interface Check {
  readonly id: string;
  readonly status: CheckStatus;
  readonly summary: string;
  readonly fix?: string | undefined;
}

const SYMBOL: Record<CheckStatus, string> = { ok: '✓', fail: '✗', warn: '!', info: 'i', skip: '-' };
// Read-only calls; a minute covers a slow instance with retries.
const DOCTOR_BUDGET_MS = 60_000;
// Apps are read per project; an instance with more projects is only sampled.
const MAX_PROJECTS = 50;

function isHttp(error: unknown, ...statuses: number[]): error is ZitadelError {
  return (
    error instanceof ZitadelError &&
    error.kind === 'http' &&
    error.status !== undefined &&
    statuses.includes(error.status)
  );
}

function atLeast(version: [number, number] | undefined, major: number, minor: number): boolean | undefined {
  if (version === undefined) return undefined;
  return version[0] > major || (version[0] === major && version[1] >= minor);
}

function timeoutSeconds(timeout: string | undefined): number | undefined {
  const match = /^([0-9]+(?:\.[0-9]+)?)s$/.exec(timeout ?? '');
  return match === null ? undefined : Number(match[1]);
}

/** An execution condition that covers a whole service, or everything: it would call us for our own calls too. */
function broadCondition(condition: Record<string, unknown>): string | undefined {
  for (const kind of ['request', 'response'] as const) {
    const value = condition[kind] as { service?: unknown; all?: unknown } | undefined;
    if (value === undefined) continue;
    if (value.all === true) return `${kind}: all`;
    if (typeof value.service === 'string') return `${kind}: service ${value.service}`;
  }
  return undefined;
}

function methodOf(condition: Record<string, unknown>, kind: 'request' | 'response'): string | undefined {
  const value = condition[kind] as { method?: unknown } | undefined;
  return typeof value?.method === 'string' ? value.method : undefined;
}

/** Turns a ZITADEL error into the operator's terms (runCli's explainZitadelError, passed in to avoid an import cycle). */
export type ExplainZitadelError = (error: ZitadelError, instanceUrl: string | undefined) => string;

interface DoctorInput {
  readonly explain: ExplainZitadelError;
  readonly zitadel: ZitadelClient;
  readonly instanceUrl: string;
  readonly credentialKind: string;
  readonly endpoint: string;
  readonly limits: LimitSettings;
  readonly payload: PayloadSettings;
  readonly localSigningKey: LocalSigningKey;
  readonly metadataKeySet: boolean;
  readonly metadataKey: string | undefined;
  readonly probe: boolean;
  readonly now: () => number;
  readonly deadline: Deadline;
}

async function credentialChecks(input: DoctorInput, checks: Check[]): Promise<boolean> {
  const { zitadel, deadline, instanceUrl } = input;
  let permissions: string[] | undefined;
  try {
    try {
      permissions = await zitadel.listMyPermissions(deadline);
    } catch (error) {
      // An instance without the v1 auth API: prove the credential with the readiness check instead.
      if (!isHttp(error, 404, 501)) throw error;
      await zitadel.checkAccess(deadline);
    }
  } catch (error) {
    checks.push({
      id: 'credential',
      status: 'fail',
      summary: `the ${input.credentialKind} credential does not work`,
      fix:
        error instanceof ZitadelError
          ? input.explain(error, instanceUrl)
          : 'Check INSTANCE_URL and the credential.',
    });
    return false;
  }
  checks.push({
    id: 'credential',
    status: 'ok',
    summary: `ZITADEL at ${instanceUrl} accepts the ${input.credentialKind} credential`,
  });
  const needed = neededPermissions(input);
  if (permissions === undefined) {
    checks.push({
      id: 'permissions',
      status: 'info',
      summary: `this instance does not list the credential's permissions; it needs ${needed.join(', ')} (the calls below prove them)`,
    });
  } else {
    const missing = needed.filter((permission) => !permissions.includes(permission));
    checks.push(
      missing.length === 0
        ? // A listing is not a proof (it covers the service account's own organisation): the calls below are.
          {
            id: 'permissions',
            status: 'info',
            summary: `ZITADEL lists ${needed.join(', ')} for the credential; the calls below prove them`,
          }
        : {
            id: 'permissions',
            status: 'fail',
            summary: `the credential lacks ${missing.join(', ')}`,
            fix: `${rolesFor(input)}.${missing.includes('user.read') && input.metadataKeySet ? ' user.read is needed because LIMIT_METADATA_KEY is set.' : ''} ZITADEL lists the permissions of the organisation the service account belongs to and of the instance.`,
          },
    );
  }
  await permissionProofs(input, permissions, checks);
  return true;
}

/** The permissions this configuration's calls need (see the README's Credentials). */
function neededPermissions(input: DoctorInput): string[] {
  const signedIn = input.limits.countWhen === 'signed-in';
  return [
    'session.read',
    'session.delete',
    ...(signedIn || input.metadataKeySet ? ['user.read'] : []),
    ...(signedIn ? ['policy.read'] : []),
  ];
}

/** The narrowest roles that hold what this configuration needs. */
function rolesFor(input: DoctorInput): string {
  return input.limits.countWhen === 'signed-in'
    ? 'Grant the service account IAM_USER_MANAGER + IAM_OWNER_VIEWER (instance), or ORG_USER_MANAGER in each organisation'
    : 'Grant the service account IAM_USER_MANAGER (instance), or ORG_USER_MANAGER in each organisation';
}

// Not a ZITADEL id (those are decimal numbers): no session or user can have it, so nothing is read or deleted.
const PROBE_ID = 'zitadel-session-limiter-doctor-probe';

/** What one proving call came to: ✓ when it proved the permission, ✗ with the role on a 403, else not proven. */
async function prove(
  checks: Check[],
  id: string,
  permission: string,
  call: () => Promise<unknown>,
  texts: {
    proven: string;
    denied: string;
    fix: string;
    unproven?: (error: ZitadelError) => string | undefined;
  },
): Promise<boolean> {
  try {
    await call();
    checks.push({ id, status: 'ok', summary: texts.proven });
    return true;
  } catch (error) {
    if (!(error instanceof ZitadelError)) throw error;
    if (isHttp(error, 403)) {
      checks.push({
        id,
        status: 'fail',
        summary: `${texts.denied}: the credential lacks ${permission}`,
        fix: texts.fix,
      });
      return false;
    }
    const unproven = texts.unproven?.(error);
    if (unproven === undefined) throw error;
    checks.push({ id, status: 'warn', summary: `${permission} not proven: ${unproven}`, fix: texts.fix });
    return false;
  }
}

/**
 * Proves each permission with the call the limiter itself makes, answering ✗ with the role to add for a 403. Only
 * what a call proved is ✓: ZITADEL hides sessions it may not show rather than refusing the search, so session.read
 * is proven by a GetSession of a visible session of another user, or stays "not proven".
 */
async function permissionProofs(
  input: DoctorInput,
  listed: readonly string[] | undefined,
  checks: Check[],
): Promise<void> {
  const { zitadel, deadline } = input;
  const signedIn = input.limits.countWhen === 'signed-in';
  const roles = rolesFor(input);
  const sample = (await zitadel.listSessionsPage({ offset: 0, limit: 1 }, deadline)).sessions[0];
  const userId = sample?.factors?.user?.id;
  const organizationId = sample?.factors?.user?.organizationId;
  if (sample === undefined || userId === undefined) {
    checks.push({
      id: 'session_read',
      status: listed !== undefined && !listed.includes('session.read') ? 'fail' : 'warn',
      summary:
        'session.read not proven: the session search showed no session, and ZITADEL hides the sessions a credential may not read instead of refusing',
      fix: `Run doctor again once somebody is signed in. ${roles}.`,
    });
  } else {
    await prove(
      checks,
      'session_read',
      'session.read',
      () => zitadel.getSession({ sessionId: sample.id }, deadline),
      {
        proven: `the credential may read other users' sessions (search and GetSession of session ${sample.id})`,
        denied: `ZITADEL denied GetSession of session ${sample.id}`,
        fix: `${roles}.`,
      },
    );
  }
  // ZITADEL checks session.delete before it looks the session up (internal/command/session.go terminateSession),
  // and an id that does not exist is nothing to delete: the answer proves the permission and changes nothing.
  await prove(
    checks,
    'session_delete',
    'session.delete',
    () => zitadel.deleteSession({ sessionId: PROBE_ID }, deadline),
    {
      proven:
        'the credential may delete sessions (DeleteSession of an id no session has: allowed, nothing deleted)',
      denied: 'ZITADEL denied DeleteSession',
      fix:
        listed?.includes('session.delete') === true
          ? `ZITADEL lists session.delete, so it is likely held in one organisation only (ORG_USER_MANAGER), where it cannot be proven without deleting a live session; the first eviction will tell (502 zitadel_rejected, audit record). Otherwise: ${roles}.`
          : `${roles}.`,
      unproven: (error) =>
        isHttp(error, 404)
          ? 'this ZITADEL looks the session up before it checks the permission, and no live session is deleted to prove it'
          : undefined,
    },
  );
  if (signedIn || input.metadataKeySet)
    await prove(
      checks,
      'user_read',
      'user.read',
      () => zitadel.listAuthenticationMethodTypes({ userId: userId ?? PROBE_ID }, deadline),
      {
        // ZITADEL checks user.read before it reads a user's methods (query ListUserAuthMethodTypes).
        proven: `the credential may read users' authentication methods (GET /v2/users/${userId ?? '…'}/authentication_methods)`,
        denied: 'ZITADEL denied GET /v2/users/{userId}/authentication_methods',
        fix: `${roles}. Without user.read ${signedIn ? 'any verified factor counts (COUNT_WHEN=signed-in falls back)' : ''}${signedIn && input.metadataKeySet ? ' and ' : ''}${input.metadataKeySet ? 'the limit metadata is held back (nothing enforced)' : ''}.`,
      },
    );
  if (signedIn)
    await prove(
      checks,
      'policy_read',
      'policy.read',
      () => zitadel.getLoginPolicy({ organizationId: organizationId ?? '' }, deadline),
      {
        proven: 'the credential may read the login policy (GET /v2/settings/login)',
        denied: 'ZITADEL denied GET /v2/settings/login (403)',
        fix: 'Add IAM_OWNER_VIEWER to the service account (beside IAM_USER_MANAGER), or use ORG_USER_MANAGER in each organisation. Until then COUNT_WHEN=signed-in is degraded: users with a second factor still count only once they used it, but forced MFA for users without one is unknown.',
      },
    );
  if (input.metadataKeySet && input.metadataKey !== undefined) {
    const key = input.metadataKey;
    const userRead = checks.find((check) => check.id === 'user_read');
    try {
      await zitadel.getUserMetadataValue({ userId: userId ?? PROBE_ID, key }, deadline);
      // ZITADEL filters metadata it may not show instead of refusing: the answer alone proves nothing.
      checks.push(
        userRead?.status === 'ok'
          ? {
              id: 'limit_metadata',
              status: 'ok',
              summary: `the metadata search for ${key} answered; user.read is proven above`,
            }
          : {
              id: 'limit_metadata',
              status: 'warn',
              summary: `user.read not proven by the metadata search for ${key}: ZITADEL hides metadata it may not show instead of refusing`,
              fix: `${roles}.`,
            },
      );
    } catch (error) {
      if (!isHttp(error, 403)) throw error;
      checks.push({
        id: 'limit_metadata',
        status: 'fail',
        summary: `ZITADEL denied the metadata search for ${key}: the credential lacks user.read`,
        fix: `${roles}. Until then the limit of every user is held back (nothing enforced).`,
      });
    }
  }
}

async function versionCheck(input: DoctorInput, checks: Check[]): Promise<[number, number] | undefined> {
  try {
    const version = await input.zitadel.getInstanceVersion(input.deadline);
    if (version === undefined || majorMinor(version) === undefined) {
      checks.push({ id: 'version', status: 'info', summary: 'ZITADEL does not reveal its version here' });
      return undefined;
    }
    const parsed = majorMinor(version);
    const old = atLeast(parsed, 4, 0) === false;
    checks.push({
      id: 'version',
      status: old ? 'warn' : 'info',
      summary: `ZITADEL ${version}`,
      fix: old
        ? 'The limiter is built for ZITADEL v4 (Actions V2 and Session API v2); older releases lack parts of it.'
        : undefined,
    });
    return parsed;
  } catch (error) {
    if (!isHttp(error, 401, 403, 404, 501)) throw error;
    checks.push({
      id: 'version',
      status: 'info',
      summary: 'the version is not revealed to this credential (needs iam.read)',
    });
    return undefined;
  }
}

/** The Action Service this instance serves, with every target; undefined when this credential may not read it. */
async function readActions(
  input: DoctorInput,
  checks: Check[],
): Promise<{ api: ActionsApiVersion; targets: ActionTarget[]; executions: ActionExecution[] } | undefined> {
  for (const api of ['v2', 'v2beta'] as const) {
    try {
      const targets = await input.zitadel.listAllTargets({ api }, input.deadline);
      const executions = await input.zitadel.listAllExecutions({ api }, input.deadline);
      return { api, targets, executions };
    } catch (error) {
      if (isHttp(error, 404, 501)) continue;
      if (isHttp(error, 401, 403)) {
        checks.push({
          id: 'actions',
          status: 'warn',
          summary: 'this credential may not read targets and executions, so they were not checked',
          fix: 'Run doctor again with a credential allowed action.target.read and action.execution.read (IAM_OWNER_VIEWER, or the setup credential).',
        });
        return undefined;
      }
      throw error;
    }
  }
  checks.push({
    id: 'actions',
    status: 'fail',
    summary: 'this ZITADEL serves neither /v2/actions nor /v2beta/actions',
    fix: 'Actions V2 targets need ZITADEL v3 or newer.',
  });
  return undefined;
}

function sameEndpoint(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return false;
  }
}

function targetChecks(input: DoctorInput, target: ActionTarget, checks: Check[]): void {
  const { limits } = input;
  if (target.restCall !== undefined) {
    checks.push({
      id: 'target_type',
      status: 'fail',
      summary:
        'the target is restCall: ZITADEL replaces the login response with our answer and the login loses its session token',
      fix: 'Run setup (it registers restWebhook), or change the target to restWebhook or restAsync.',
    });
  } else {
    const type = target.restAsync !== undefined ? 'restAsync' : 'restWebhook';
    checks.push({ id: 'target_type', status: 'ok', summary: `the target is ${type}` });
  }
  const seconds = timeoutSeconds(target.timeout);
  if (seconds === undefined || seconds * 1000 <= limits.enforcementDeadlineMs) {
    checks.push({
      id: 'timeout',
      status: 'fail',
      summary: `the target's timeout (${target.timeout ?? 'unknown'}) is not above ENFORCEMENT_DEADLINE_MS (${limits.enforcementDeadlineMs} ms)`,
      fix: 'ZITADEL gives up before the limiter has finished: run setup --timeout with a larger value, or lower ENFORCEMENT_DEADLINE_MS.',
    });
  } else {
    checks.push({
      id: 'timeout',
      status: 'ok',
      summary: `timeout ${target.timeout} is above ENFORCEMENT_DEADLINE_MS (${limits.enforcementDeadlineMs} ms)`,
    });
  }
  const interrupt = target.restWebhook?.interruptOnError ?? target.restCall?.interruptOnError ?? false;
  if (limits.limitStrategy === 'deny-new' && (target.restWebhook === undefined || !interrupt)) {
    checks.push({
      id: 'interrupt_on_error',
      status: 'fail',
      summary:
        'LIMIT_STRATEGY=deny-new, but the target is not a restWebhook with interruptOnError: a refused login goes on',
      fix: 'Run setup with --interrupt-on-error (its default under deny-new).',
    });
  } else if (limits.limitStrategy === 'evict-oldest' && interrupt) {
    checks.push({
      id: 'interrupt_on_error',
      status: 'warn',
      summary: 'interruptOnError is on under evict-oldest: a limiter that is down or slow fails every login',
      fix: 'Run setup with --no-interrupt-on-error (fail open); the next login or a sweep catches up.',
    });
  } else {
    checks.push({
      id: 'interrupt_on_error',
      status: 'ok',
      summary: `interruptOnError=${interrupt} fits LIMIT_STRATEGY=${limits.limitStrategy}`,
    });
  }
  if (limits.limitStrategy === 'deny-new' && target.restWebhook !== undefined && interrupt) {
    checks.push({
      id: 'deny_new_availability',
      status: 'warn',
      summary: DENY_NEW_AVAILABILITY.summary,
      fix: DENY_NEW_AVAILABILITY.fix,
    });
  }
}

/**
 * A target on an address the release's default deny list covers is refused when created and, once registered,
 * skipped silently at call time: logins pass and the limiter is never called. Doctor cannot read ZITADEL's list,
 * only say which one applies and what its default denies.
 */
function denyListCheck(endpoint: string, version: [number, number] | undefined, checks: Check[]): void {
  const host = new URL(endpoint).hostname;
  const lists = denyListsFor(version);
  const denying = lists.filter((list) => deniedByDefault(host, list));
  const release = version === undefined ? 'ZITADEL (version unknown here)' : `ZITADEL v${version.join('.')}`;
  if (denying.length > 0) {
    checks.push({
      id: 'deny_list',
      status: 'warn',
      summary: `the endpoint's host ${host} is in the default deny list of ${release}, ${nameDenyLists(denying)}: unless that was changed on the ZITADEL server, ZITADEL skips the target silently and logins pass unchecked`,
      fix: `Give the limiter an address the deny list allows (a public https:// URL is best), or set ${denying.map((list) => list.variable).join(' or ')} on ZITADEL to its default minus ${host}'s entry (the value replaces the whole list).`,
    });
  } else if (looksPrivate(host)) {
    checks.push({
      id: 'deny_list',
      status: 'info',
      summary: `the endpoint's host ${host} is private; ${release} does not deny it by default (${nameDenyLists(lists)}), but a deny list that covers it makes ZITADEL skip the target silently`,
    });
  }
}

async function jwksCheck(input: DoctorInput, checks: Check[]): Promise<void> {
  const url = `${input.instanceUrl}/oauth/v2/keys`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    const body = (await response.json()) as { keys?: unknown };
    const count = Array.isArray(body.keys) ? body.keys.length : 0;
    if (response.ok && count > 0) {
      checks.push({
        id: 'jwks',
        status: 'ok',
        summary: `the instance publishes ${count} signing key(s) at /oauth/v2/keys`,
      });
      return;
    }
  } catch {
    // reported below
  }
  checks.push({
    id: 'jwks',
    status: 'fail',
    summary: `${url} did not answer with signing keys from here`,
    fix: 'The limiter verifies JWT payloads against this key set: it must reach INSTANCE_URL/oauth/v2/keys.',
  });
}

async function payloadChecks(
  input: DoctorInput,
  api: ActionsApiVersion,
  target: ActionTarget,
  checks: Check[],
): Promise<void> {
  const form = payloadFormOf(target);
  const required = input.payload.requiredForm;
  if (required !== undefined && isWeakerThan(form, required)) {
    checks.push({
      id: 'payload_type',
      status: 'fail',
      summary: `the target sends ${form.toUpperCase()} payloads, but REQUIRE_PAYLOAD_TYPE=${required}: the limiter refuses every webhook`,
      fix: `Run setup --payload-type ${required}, or lower REQUIRE_PAYLOAD_TYPE.`,
    });
  } else if (form === 'json') {
    checks.push({
      id: 'payload_type',
      status: 'info',
      summary: 'the target sends JSON payloads, authenticated by the HMAC alone',
      fix: 'Anyone allowed to read targets can read the signing key and forge webhooks; JWT payloads (ZITADEL 4.8+) are signed by the instance key: setup --payload-type jwt, then REQUIRE_PAYLOAD_TYPE=jwt.',
    });
  } else if (required === undefined) {
    checks.push({
      id: 'payload_type',
      status: 'warn',
      summary: `the target sends ${form.toUpperCase()} payloads, but the limiter still accepts HMAC-only JSON`,
      fix: `Set REQUIRE_PAYLOAD_TYPE=${form} so that a forged JSON webhook is refused.`,
    });
  } else {
    checks.push({
      id: 'payload_type',
      status: 'ok',
      summary: `the target sends ${form.toUpperCase()} payloads; REQUIRE_PAYLOAD_TYPE=${required}`,
    });
  }
  if (form === 'jwe') await encryptionKeyCheck(input, api, target, checks);
  if (form !== 'json') await jwksCheck(input, checks);
}

async function encryptionKeyCheck(
  input: DoctorInput,
  api: ActionsApiVersion,
  target: ActionTarget,
  checks: Check[],
): Promise<void> {
  if (input.payload.decryptionKeys.length === 0) {
    checks.push({
      id: 'decryption_key',
      status: 'fail',
      summary:
        'the target sends JWE payloads, but PAYLOAD_DECRYPTION_KEY(_FILE) is not set: the limiter cannot read them',
      fix: 'Set PAYLOAD_DECRYPTION_KEY_FILE to the private key setup wrote (or its contents in PAYLOAD_DECRYPTION_KEY).',
    });
    return;
  }
  const keys = await input.zitadel.listPublicKeys({ api, targetId: target.id }, input.deadline);
  const active = keys.find((key) => key.active && !isExpired(key, input.now()));
  if (active === undefined) {
    checks.push({
      id: 'decryption_key',
      status: 'fail',
      summary:
        'the target sends JWE payloads but has no active, unexpired public key: ZITADEL fails every call',
      fix: 'Run setup --payload-type jwe (with --public-key for the key the limiter holds).',
    });
    return;
  }
  const ours = publicKeysOfPrivate(input.payload.decryptionKeys);
  const spki = spkiOfUploaded(active);
  if (spki === undefined) {
    checks.push({
      id: 'decryption_key',
      status: 'info',
      summary: `public key ${active.keyId} is active; ZITADEL did not return it to compare`,
    });
  } else if (ours.has(spki)) {
    checks.push({
      id: 'decryption_key',
      status: 'ok',
      summary: `active public key ${active.keyId} matches a configured decryption key`,
    });
  } else {
    checks.push({
      id: 'decryption_key',
      status: 'fail',
      summary: `active public key ${active.keyId} matches none of the configured decryption keys: the limiter cannot decrypt`,
      fix: 'Add the matching private key to PAYLOAD_DECRYPTION_KEY(_FILE), or run setup --payload-type jwe --public-key <the public half of yours>.',
    });
  }
}

function executionChecks(
  target: ActionTarget,
  executions: readonly ActionExecution[],
  checks: Check[],
): void {
  const form = payloadFormOf(target);
  const events = eventConditionsOf(executions, target.id);
  if (form !== 'json' && events.length > 0) {
    checks.push({
      id: 'event_executions',
      status: 'warn',
      summary: `the target sends ${form.toUpperCase()} payloads and runs on event executions (${events.join(', ')}): ZITADEL v4.13.1 never delivers events to a JWT or JWE target (Errors.WebKey.NoActive, not retried)`,
      fix: 'Remove the target from those executions (SetExecution with the remaining targets): the response executions on CreateSession and SetSession, which setup wires, already cover every login. Events need a JSON target of their own.',
    });
  }
  const missingV2: string[] = [];
  const missingV2beta: string[] = [];
  for (const method of SESSION_METHODS) {
    const wired = executions.some(
      (execution) =>
        methodOf(execution.condition, 'response') === method && execution.targets.includes(target.id),
    );
    if (!wired) (method.includes('.v2beta.') ? missingV2beta : missingV2).push(method);
  }
  if (missingV2.length > 0) {
    checks.push({
      id: 'executions',
      status: 'fail',
      summary: `no response execution calls the target on ${missingV2.join(', ')}`,
      fix: 'Run setup: it adds the target to the response executions and keeps other targets there.',
    });
  } else {
    checks.push({
      id: 'executions',
      status: 'ok',
      summary: 'response executions on v2 CreateSession and SetSession call the target',
    });
  }
  checks.push(
    missingV2beta.length > 0
      ? {
          id: 'executions_v2beta',
          status: 'warn',
          summary: `no response execution calls the target on ${missingV2beta.join(', ')}: logins through custom UIs on Session API v2beta bypass the limit`,
          fix: 'Run setup (it wires v2beta where the instance serves it).',
        }
      : {
          id: 'executions_v2beta',
          status: 'ok',
          summary: 'response executions on v2beta CreateSession and SetSession call the target',
        },
  );
  const broad = executions
    .filter((execution) => execution.targets.includes(target.id))
    .map((execution) => broadCondition(execution.condition))
    .filter((condition): condition is string => condition !== undefined);
  checks.push(
    broad.length > 0
      ? {
          id: 'broad_executions',
          status: 'fail',
          summary: `the target also runs on ${broad.join('; ')}: the limiter's own session calls would call it back`,
          fix: 'Remove those executions (SetExecution with an empty target list); register per method only.',
        }
      : {
          id: 'broad_executions',
          status: 'ok',
          summary: 'no execution runs the target on a whole service or on all calls',
        },
  );
  const onRequest = executions.filter((execution) => {
    const method = methodOf(execution.condition, 'request');
    return (
      method !== undefined &&
      (SESSION_METHODS as readonly string[]).includes(method) &&
      execution.targets.includes(target.id)
    );
  });
  if (onRequest.length > 0)
    checks.push({
      id: 'request_executions',
      status: 'warn',
      summary: 'the target also runs on request conditions, which fire before ZITADEL checks anything',
      fix: 'Remove the request executions: the limiter ignores them unless ENFORCE_ON_REQUEST=true.',
    });
}

async function evictionChecks(
  input: DoctorInput,
  version: [number, number] | undefined,
  checks: Check[],
): Promise<void> {
  const ga = atLeast(version, 4, 11);
  if (ga === true) {
    checks.push({
      id: 'back_channel_logout',
      status: 'ok',
      summary:
        'back-channel logout is generally available (v4.11+): an eviction notifies apps with a backChannelLogoutUri',
      fix: 'Register a backChannelLogoutUri on each OIDC app and end the app session when the logout token arrives.',
    });
  } else {
    let enabled: boolean | undefined;
    try {
      enabled = await input.zitadel.getBackChannelLogoutFeature(input.deadline);
    } catch (error) {
      if (!isHttp(error, 401, 403, 404, 501)) throw error;
    }
    checks.push(
      enabled === true
        ? {
            id: 'back_channel_logout',
            status: 'ok',
            summary:
              'the EnableBackChannelLogout feature is on: an eviction notifies apps with a backChannelLogoutUri',
          }
        : {
            id: 'back_channel_logout',
            status: enabled === false ? 'warn' : 'info',
            summary:
              enabled === false
                ? 'the EnableBackChannelLogout feature is off: apps are not told when the limiter deletes a session'
                : 'whether back-channel logout is on cannot be seen with this credential (GA since v4.11; before that the EnableBackChannelLogout feature)',
            fix: 'Enable the feature (v2.65–v4.10) or upgrade to v4.11+, and register a backChannelLogoutUri on each OIDC app.',
          },
    );
  }
  let apps: { apps: OidcApp[]; truncated: boolean } | undefined;
  try {
    apps = await input.zitadel.listOidcApps({ maxProjects: MAX_PROJECTS }, input.deadline);
  } catch (error) {
    if (!isHttp(error, 401, 403, 404, 501)) throw error;
  }
  if (apps === undefined || apps.apps.length === 0) {
    const why =
      apps === undefined
        ? 'this credential cannot list the OIDC apps to say which'
        : "no OIDC app is visible in the credential's organisation";
    checks.push({
      id: 'refresh_tokens',
      status: 'info',
      summary: `an eviction does not revoke refresh tokens issued for the session (zitadel#12637): apps holding one can get new tokens (${why})`,
      fix: 'Handle back-channel logout in the app (drop its refresh token), and keep refresh token lifetimes short.',
    });
    checks.push({
      id: 'jwt_access_tokens',
      status: 'info',
      summary: `opaque access tokens of an evicted session fail introspection at once; JWT access tokens validated locally stay valid until they expire (${why})`,
      fix: 'Use opaque tokens where the app can introspect, or keep JWT access token lifetimes short (default 12 h).',
    });
    return;
  }
  const scope = `of ${apps.apps.length} OIDC app(s) in the credential's organisation${apps.truncated ? ` (first ${MAX_PROJECTS} projects)` : ''}`;
  const names = (list: OidcApp[]) =>
    list
      .slice(0, 5)
      .map((app) => `${app.projectName}/${app.name}`)
      .join(', ') + (list.length > 5 ? `, … (${list.length - 5} more)` : '');
  const withoutLogout = apps.apps.filter((app) => !app.backChannelLogout);
  checks.push(
    withoutLogout.length > 0
      ? {
          id: 'back_channel_apps',
          status: 'warn',
          summary: `${withoutLogout.length} ${scope} have no backChannelLogoutUri, so they are not told of an eviction: ${names(withoutLogout)}`,
          fix: 'Register a backChannelLogoutUri on each app and end its session when the logout token arrives.',
        }
      : { id: 'back_channel_apps', status: 'ok', summary: `every one ${scope} has a backChannelLogoutUri` },
  );
  const refreshing = apps.apps.filter((app) => app.refreshTokens);
  checks.push(
    refreshing.length > 0
      ? {
          id: 'refresh_tokens',
          status: 'warn',
          summary: `${refreshing.length} ${scope} use refresh tokens, which an eviction does not revoke (zitadel#12637): ${names(refreshing)}`,
          fix: 'Handle back-channel logout in those apps (drop the refresh token), and keep refresh token lifetimes short.',
        }
      : { id: 'refresh_tokens', status: 'ok', summary: `none ${scope} uses refresh tokens` },
  );
  const jwt = apps.apps.filter((app) => app.jwtAccessTokens);
  checks.push(
    jwt.length > 0
      ? {
          id: 'jwt_access_tokens',
          status: 'warn',
          summary: `${jwt.length} ${scope} get JWT access tokens, which stay valid after an eviction until they expire: ${names(jwt)}`,
          fix: 'Switch them to opaque (bearer) tokens where the app can introspect, or keep access token lifetimes short.',
        }
      : {
          id: 'jwt_access_tokens',
          status: 'ok',
          summary: `none ${scope} gets JWT access tokens (opaque tokens fail introspection as soon as the session is deleted)`,
        },
  );
}

async function probeCheck(
  input: DoctorInput,
  api: ActionsApiVersion | undefined,
  target: ActionTarget | undefined,
  checks: Check[],
): Promise<void> {
  let key: string | undefined;
  let source = "this environment's SIGNING_KEY";
  if (api !== undefined && target !== undefined) {
    key =
      target.signingKey ??
      (await input.zitadel.getTarget({ api, id: target.id }, input.deadline))?.signingKey;
    if (key !== undefined) source = "the target's signing key";
  }
  // The first key: during a rotation SIGNING_KEY lists the new one first, and the limiter accepts any of them.
  if (key === undefined && input.localSigningKey.state === 'valid') key = input.localSigningKey.keys[0];
  if (key === undefined) {
    const local = input.localSigningKey.state === 'unset' ? 'is not set' : 'is not valid';
    checks.push({
      id: 'probe',
      status: 'skip',
      summary: `no signing key to sign a probe with (the target is not readable and SIGNING_KEY ${local})`,
    });
    return;
  }
  const result = await probeEndpoint({ endpoint: input.endpoint, signingKey: key, now: input.now });
  if (
    result.verdict === 'ok' &&
    result.requiresSignedPayload === true &&
    target !== undefined &&
    payloadFormOf(target) === 'json'
  ) {
    checks.push({
      id: 'probe',
      status: 'fail',
      summary: `${result.summary}, but the target sends JSON payloads: every webhook is refused`,
      fix: 'Run setup --payload-type jwt (or jwe), or unset REQUIRE_PAYLOAD_TYPE on the limiter.',
    });
    return;
  }
  checks.push({
    id: 'probe',
    status: result.verdict === 'ok' ? 'ok' : 'fail',
    summary: `${result.summary} (signed with ${source})`,
    fix: result.fix,
  });
}

/** `doctor`: read-only checks of the whole wiring, each with its fix. */
export async function runDoctor(
  context: CommandContext,
  args: readonly string[],
  explain: ExplainZitadelError,
): Promise<number> {
  const { values, positionals } = parseCommandArgs('doctor', args, {
    endpoint: { type: 'string' },
    insecure: { type: 'boolean' },
    probe: { type: 'boolean' },
  });
  expectPositionals('doctor', positionals, []);
  if (values.endpoint === undefined) throw new UsageError('missing --endpoint <url>', 'doctor');
  const { endpoint } = parseEndpoint(values.endpoint, values.insecure === true, 'doctor');
  const env = context.io.env;
  const limits = loadLimitSettings(env);
  const payload = loadPayloadSettings(env);
  const { zitadel, config } = connect(env);
  // Read the way the CLI reads its settings, tolerant of the variable not (yet) being in the config schema.
  const metadataKeySet = (env.LIMIT_METADATA_KEY ?? '').trim() !== '';
  const localSigningKey = readLocalSigningKey(env);
  const input: DoctorInput = {
    explain,
    zitadel,
    instanceUrl: config.instanceUrl,
    credentialKind: { pat: 'PAT', 'jwt-profile': 'key file', 'client-credentials': 'client credentials' }[
      config.credential.kind
    ],
    endpoint,
    limits,
    payload,
    localSigningKey,
    metadataKeySet,
    metadataKey: metadataKeySet ? (env.LIMIT_METADATA_KEY ?? '').trim() : undefined,
    probe: values.probe !== false,
    now: context.io.now,
    deadline: deadlineIn(DOCTOR_BUDGET_MS, context.io.now()),
  };

  const checks: Check[] = [];
  let api: ActionsApiVersion | undefined;
  let target: ActionTarget | undefined;
  try {
    if (await credentialChecks(input, checks)) {
      const version = await versionCheck(input, checks);
      const actions = await readActions(input, checks);
      if (actions !== undefined) {
        api = actions.api;
        const matching = actions.targets.filter((candidate) => sameEndpoint(candidate.endpoint, endpoint));
        target = matching[0];
        if (target === undefined) {
          checks.push({
            id: 'target',
            status: 'fail',
            summary: `no target posts to ${endpoint}`,
            fix: 'Run setup --endpoint with this URL (or pass the URL the target was registered with).',
          });
        } else {
          checks.push({
            id: 'target',
            status: matching.length > 1 ? 'warn' : 'ok',
            summary:
              matching.length > 1
                ? `${matching.length} targets post to ${endpoint}; checking "${target.name ?? target.id}" (${target.id})`
                : `target "${target.name ?? target.id}" (${target.id}) posts to ${endpoint}`,
            fix:
              matching.length > 1
                ? 'Delete the duplicates: each one would make the limiter run twice per login.'
                : undefined,
          });
          denyListCheck(endpoint, version, checks);
          targetChecks(input, target, checks);
          await payloadChecks(input, api, target, checks);
          executionChecks(target, actions.executions, checks);
        }
      }
      await evictionChecks(input, version, checks);
    }
  } catch (error) {
    checks.push({
      id: 'zitadel',
      status: 'fail',
      summary: 'a ZITADEL call failed, so the remaining checks did not run',
      fix: error instanceof ZitadelError ? explain(error, config.instanceUrl) : 'unexpected error',
    });
  }
  if (localSigningKey.state === 'invalid') {
    checks.push({
      id: 'signing_key',
      status: 'fail',
      summary: `the limiter would refuse to start with this SIGNING_KEY: ${localSigningKey.problems.join('; ')}`,
      fix: "Set SIGNING_KEY to the target's signing key (during a rotation the new and the old, comma-separated).",
    });
  }
  checks.push(
    await devicesCheck(env, { instanceUrl: config.instanceUrl, timeoutMs: config.zitadelTimeoutMs }),
  );
  if (input.probe) await probeCheck(input, api, target, checks);
  else checks.push({ id: 'probe', status: 'skip', summary: 'probe not sent (--no-probe)' });

  const failed = checks.some((check) => check.status === 'fail');
  if (context.json) {
    emitJson(context, { ok: !failed, command: 'doctor', endpoint, checks });
  } else {
    for (const check of checks) {
      say(context, `${SYMBOL[check.status]} ${check.summary}`);
      if (check.fix !== undefined && check.status !== 'ok') say(context, `    ${check.fix}`);
    }
    say(context);
    say(context, failed ? 'Some checks failed (✗): see the fixes above.' : 'No check failed.');
  }
  return failed ? EXIT.zitadel : EXIT.ok;
}
