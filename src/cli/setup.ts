import { isIP } from 'node:net';
import path from 'node:path';
import { loadLimitSettings, loadPayloadSettings } from './environment.js';
import { WEBHOOK_PATH, type PayloadForm } from '../vocabulary.js';
import { isWeakerThan } from '../webhook/decodePayload.js';
import { ZitadelError } from '../zitadel/errors.js';
import type {
  ActionExecution,
  ActionsApiVersion,
  ActionTarget,
  ActionTargetSpec,
  PayloadTypeName,
} from './adminApi/adminApi.js';
import { deadlineIn, type Deadline } from '../zitadel/deadline.js';
import { expectPositionals, parseCommandArgs, parseTimeoutSeconds } from './args.js';
import { connect, type ZitadelClient } from './connect.js';
import { deniedByDefault, denyListsFor, majorMinor, nameDenyLists } from './denyList.js';
import { CommandFailure, UsageError } from './errors.js';
import { emitJson, note, say, sleepOf, type CommandContext } from './io.js';
import { ensureEncryptionKey, readPublicKeyFile, type EncryptionKeyResult } from './payloadKeys.js';
import { probeEndpoint, type ProbeResult } from './probeEndpoint.js';
import { CLI_COMMAND } from './commandName.js';
import {
  DEVICES_APP_NAME,
  DEVICES_PROJECT_NAME,
  ensureDevicesApp,
  parseDevicesUrl,
  type DevicesAppResult,
} from './devicesApp.js';

export const SETUP_HELP = `Usage: ${CLI_COMMAND} setup --endpoint <url> [options]

Registers the limiter in ZITADEL, or brings an existing registration up to date: one target (found by name, so
re-running never creates a second one) and response executions on CreateSession and SetSession (session v2, and
v2beta where the instance serves it). Prints the target's signing key and the line to paste into the limiter's
environment, then sends the endpoint one signed probe. Needs an IAM_OWNER credential.

Options:
  --endpoint <url>            the limiter's webhook URL, e.g. https://limiter.example.com/session/manage
                              (a URL without that path is completed with /session/manage)
  --payload-type <type>       json, jwt or jwe (ZITADEL 4.8+; default: REQUIRE_PAYLOAD_TYPE, else unchanged)
  --public-key <file>         jwe: upload and activate this PEM public key (RSA 2048+ or EC P-256) instead of
                              keeping the active one or generating a pair
  --private-key-out <file>    jwe: where a generated private key is written, mode 0600
                              (default: ./zitadel-session-limiter-payload-key.pem; never overwritten)
  --no-probe                  do not send the signed probe to the endpoint
  --devices-url <url>         also register the "your devices" page: the OIDC app "Your devices" in the project
                              "ZITADEL Session Limiter", redirect URI <url>/devices/callback (url =
                              DEVICES_PUBLIC_URL, e.g. https://limiter.example.com); prints the DEVICES_* lines.
                              Needs project.create and project.app.write (IAM_OWNER or ORG_OWNER)
  --devices-new-secret        with --devices-url: have ZITADEL make a new client secret (the old one stops working)
  --name <name>               target name (default: zitadel-session-limiter)
  --timeout <duration>        how long ZITADEL waits for the limiter, 1s to 270s (default: 10s)
  --async                     register as restAsync: ZITADEL does not wait (never refuses a login)
  --interrupt-on-error        a failing or refusing limiter fails the login (default with LIMIT_STRATEGY=deny-new)
  --no-interrupt-on-error     logins go on when the limiter fails (default with LIMIT_STRATEGY=evict-oldest)
  --insecure                  allow a plain http:// endpoint (local tests only)
  --json                      print one JSON document
`;

/**
 * The calls after which a session may have gained a verified factor (see the README): Session Service v2, and
 * v2beta, which ZITADEL v4 still serves to custom login UIs built on it.
 */
export const SESSION_METHODS = [
  '/zitadel.session.v2.SessionService/CreateSession',
  '/zitadel.session.v2.SessionService/SetSession',
  '/zitadel.session.v2beta.SessionService/CreateSession',
  '/zitadel.session.v2beta.SessionService/SetSession',
] as const;

export const PAYLOAD_TYPE_NAMES: Record<PayloadForm, PayloadTypeName> = {
  json: 'PAYLOAD_TYPE_JSON',
  jwt: 'PAYLOAD_TYPE_JWT',
  jwe: 'PAYLOAD_TYPE_JWE',
};

/** The form a target's `payloadType` sends; unspecified (or left out by an older ZITADEL) is JSON. */
export function payloadFormOf(target: ActionTarget): PayloadForm {
  if (target.payloadType === 'PAYLOAD_TYPE_JWT') return 'jwt';
  if (target.payloadType === 'PAYLOAD_TYPE_JWE') return 'jwe';
  return 'json';
}

/**
 * What deny-new with interruptOnError costs ([real] on v4.13.1, FACTS.md section 2): ZITADEL waits for the
 * limiter on every CreateSession, and response conditions run after the session was committed. Said by setup and
 * by doctor in the same words.
 */
export const DENY_NEW_AVAILABILITY = {
  summary:
    'LIMIT_STRATEGY=deny-new with interruptOnError: every login, username steps included, depends on the limiter being up',
  fix:
    "A limiter that is down or unreachable fails every CreateSession with HTTP 500 (its message names the limiter's URL), " +
    'and ZITADEL has already committed those sessions, so each failed attempt leaves a signed-in session behind. ' +
    'Run two or more replicas behind a load balancer that sends webhooks only to replicas passing GET /readyz.',
} as const;

/** The event conditions of the executions that run this target, named for the operator. */
export function eventConditionsOf(executions: readonly ActionExecution[], targetId: string): string[] {
  return executions
    .filter((execution) => execution.targets.includes(targetId) && execution.condition.event !== undefined)
    .map((execution) => {
      const event = execution.condition.event as { event?: unknown; group?: unknown; all?: unknown };
      if (typeof event.event === 'string') return event.event;
      if (typeof event.group === 'string') return `group ${event.group}`;
      return 'all events';
    });
}

/** Where `setup --payload-type jwe` writes the private key it generates, unless told (.gitignore covers it). */
export const DEFAULT_PRIVATE_KEY_FILE = 'zitadel-session-limiter-payload-key.pem';

const DEFAULT_TARGET_NAME = 'zitadel-session-limiter';
// Setup makes a handful of calls; a minute covers retries on a slow instance.
const SETUP_BUDGET_MS = 60_000;

/**
 * The endpoint as given, or completed with our route: `https://limiter.example.com` would register a URL the
 * limiter answers 404 on, so a URL whose path does not end in /session/manage gets it appended (and says so).
 */
export function parseEndpoint(
  value: string,
  insecure: boolean,
  command = 'setup',
): { endpoint: string; completed: boolean } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(
      '--endpoint must be a full URL such as https://limiter.example.com/session/manage',
      command,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UsageError('--endpoint must be an https:// URL', command);
  if (url.protocol === 'http:' && !insecure) {
    throw new UsageError(
      'refusing a plain http:// endpoint: ZITADEL would send passwords and session tokens in clear text. ' +
        'Use https://, or pass --insecure for a local test.',
      command,
    );
  }
  if (url.username !== '' || url.password !== '' || url.hash !== '') {
    throw new UsageError('--endpoint must not contain credentials or a #fragment', command);
  }
  if (url.pathname.endsWith(WEBHOOK_PATH)) return { endpoint: url.href, completed: false };
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${WEBHOOK_PATH}`;
  return { endpoint: url.href, completed: true };
}

/** Local and private hosts, which a deny list may refuse, or that only resolve inside a network. */
export function looksPrivate(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) {
    const [a = 0, b = 0] = host.split('.').map(Number);
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 198 && (b === 18 || b === 19))
    );
  }
  if (isIP(host) === 6)
    return host === '::' || host === '::1' || /^f[cd]/.test(host) || /^fe[89ab]/.test(host);
  // A single-label name (a Docker service) or an internal suffix only resolves, if at all, to a private address.
  return !host.includes('.') || /\.(local|internal|lan|home\.arpa|svc|cluster\.local)$/.test(host);
}

/** What to do about `Errors.Target.DeniedURL`, naming the deny list this release reads (both when unknown). */
function denyListExplanation(endpoint: string, version: [number, number] | undefined): string {
  const host = new URL(endpoint).hostname;
  const lists = denyListsFor(version);
  const denied = lists.filter((list) => deniedByDefault(host, list));
  const which =
    version === undefined
      ? [
          "ZITADEL's version could not be read here, so both keys follow: v4.13 and earlier read",
          'Executions.DenyList (ZITADEL_EXECUTIONS_DENYLIST), later releases HTTPClient.DenyList',
          '(ZITADEL_HTTPCLIENT_DENYLIST); setting the other one changes nothing.',
        ]
      : [`ZITADEL v${version.join('.')} checks every target against ${nameDenyLists(lists)}.`];
  return [
    `ZITADEL refused the endpoint ${endpoint} (HTTP 400, invalid argument).`,
    denied.length > 0
      ? `${host} is in the default deny list of self-hosted ZITADEL (Errors.Target.DeniedURL).`
      : looksPrivate(host)
        ? `${host} is a local or private address: this ZITADEL's deny list refuses it, or ZITADEL cannot resolve it (Errors.Target.DeniedURL).`
        : `Self-hosted ZITADEL refuses endpoints that resolve to a denied address, or that it cannot resolve at all (Errors.Target.DeniedURL); check that ${host} resolves from ZITADEL to an address its deny list allows.`,
    ...which,
    ...lists.map((list) => `The default of ${list.setting} denies ${list.defaults.join(', ')}.`),
    'To reach a limiter on a private network, set that variable on the ZITADEL server to the default list minus the',
    'one entry the limiter lives under (the value replaces the whole list; an empty value keeps the defaults),',
    'restart ZITADEL and run setup again. Never allow 169.254.0.0/16 (cloud metadata).',
    'Better still: give the limiter a public https:// URL.',
  ].join('\n');
}

/** The instance's version for the deny-list advice; undefined when it cannot be read (the advice names both). */
async function readVersion(
  zitadel: ZitadelClient,
  deadline: Deadline,
): Promise<[number, number] | undefined> {
  try {
    return majorMinor(await zitadel.getInstanceVersion(deadline));
  } catch {
    return undefined;
  }
}

function isMissingApi(error: unknown): boolean {
  // An unknown REST path answers 404; a gRPC service that is not served answers 501 / code 12 (Unimplemented).
  // A 404 without ZITADEL's JSON is classed invalid_response (a wrong INSTANCE_URL, usually) but may be this too.
  return (
    error instanceof ZitadelError &&
    (error.kind === 'http' || error.kind === 'invalid_response') &&
    (error.status === 404 || error.status === 501 || error.grpcCode === 12)
  );
}

/** ZITADEL v4 serves /v2/actions; v3 only /v2beta/actions, with the same messages. */
async function findTargets(
  zitadel: ZitadelClient,
  name: string,
  deadline: Deadline,
): Promise<{ api: ActionsApiVersion; targets: ActionTarget[] }> {
  for (const api of ['v2', 'v2beta'] as const) {
    try {
      return { api, targets: await zitadel.listTargetsByName({ api, name }, deadline) };
    } catch (error) {
      if (!isMissingApi(error)) throw explainActionsError(error);
    }
  }
  throw new CommandFailure(
    'This ZITADEL serves neither /v2/actions nor /v2beta/actions (both answered 404 or unimplemented). ' +
      'Actions V2 targets need ZITADEL v3 or newer.',
  );
}

function explainActionsError(error: unknown): unknown {
  if (!(error instanceof ZitadelError) || error.kind !== 'http') return error;
  if (error.status === 403) {
    return new CommandFailure(
      'ZITADEL denied the Action Service call (403): setup needs a credential with IAM_OWNER ' +
        '(action.target.write, action.execution.write). The limiter itself needs far less; use a separate, setup-only credential.',
    );
  }
  if (
    error.status === 409 ||
    error.status === 412 ||
    (error.status === 400 && error.operation === 'list_targets')
  ) {
    return new CommandFailure(
      `ZITADEL refused the Action Service call (HTTP ${error.status}): on ZITADEL v3 the "actions" feature must be enabled for the instance first.`,
    );
  }
  return error;
}

function sameTarget(existing: ActionTarget, spec: ActionTargetSpec): boolean {
  const interrupt = 'restWebhook' in spec.type ? spec.type.restWebhook.interruptOnError : undefined;
  return (
    (spec.payloadType === undefined ||
      payloadFormOf(existing) === payloadFormOf({ id: '', payloadType: spec.payloadType })) &&
    existing.endpoint === spec.endpoint &&
    existing.timeout === spec.timeout &&
    existing.restCall === undefined &&
    (interrupt === undefined
      ? existing.restAsync !== undefined
      : existing.restWebhook !== undefined && (existing.restWebhook.interruptOnError ?? false) === interrupt)
  );
}

async function saveTarget(
  zitadel: ZitadelClient,
  api: ActionsApiVersion,
  existing: ActionTarget | undefined,
  spec: ActionTargetSpec,
  deadline: Deadline,
): Promise<{ id: string; status: 'created' | 'updated' | 'unchanged'; signingKey: string | undefined }> {
  try {
    if (existing === undefined) {
      const created = await zitadel.createTarget({ api, target: spec }, deadline);
      return { id: created.id, status: 'created', signingKey: created.signingKey };
    }
    const status = sameTarget(existing, spec) ? 'unchanged' : 'updated';
    if (status === 'updated') await zitadel.updateTarget({ api, id: existing.id, target: spec }, deadline);
    // UpdateTarget only returns a key when it rotates one; GetTarget returns the current key.
    const current = await zitadel.getTarget({ api, id: existing.id }, deadline);
    return { id: existing.id, status, signingKey: current?.signingKey };
  } catch (error) {
    if (error instanceof ZitadelError && error.kind === 'http' && error.status === 400)
      throw new CommandFailure(denyListExplanation(spec.endpoint, await readVersion(zitadel, deadline)));
    if (
      error instanceof ZitadelError &&
      error.kind === 'http' &&
      error.status === 409 &&
      existing === undefined
    ) {
      // Names are unique; the target list reads a projection that can lag behind a target created a moment ago.
      throw new CommandFailure(
        `A target named "${spec.name}" already exists but is not listed yet. Run setup again in a minute.`,
      );
    }
    throw explainActionsError(error);
  }
}

type ExecutionStatus = 'added' | 'unchanged' | 'not_served';

/**
 * Adds the target to the response execution of each session method, keeping the other targets there (SetExecution
 * replaces the whole list). ZITADEL answers 404 (Errors.Execution.ConditionInvalid) for a method it does not
 * serve: v2beta on instances that dropped it.
 */
async function wireExecutions(
  zitadel: ZitadelClient,
  api: ActionsApiVersion,
  targetId: string,
  deadline: Deadline,
): Promise<{ method: string; status: ExecutionStatus }[]> {
  const executions: { method: string; status: ExecutionStatus }[] = [];
  for (const method of SESSION_METHODS) {
    try {
      const current = await zitadel.listResponseExecutionTargets({ api, method }, deadline);
      if (current.includes(targetId)) {
        executions.push({ method, status: 'unchanged' });
        continue;
      }
      await zitadel.setResponseExecution({ api, method, targetIds: [...current, targetId] }, deadline);
      executions.push({ method, status: 'added' });
    } catch (error) {
      const unknownMethod =
        method.includes('.v2beta.') &&
        error instanceof ZitadelError &&
        error.kind === 'http' &&
        error.status === 404;
      if (!unknownMethod) throw explainActionsError(error);
      executions.push({ method, status: 'not_served' });
    }
  }
  return executions;
}

const EXECUTION_WORDS: Record<ExecutionStatus, string> = {
  added: 'added',
  unchanged: 'already set',
  not_served: 'not served by this instance (skipped)',
};

/**
 * setup registers response executions only. Event executions someone added by hand are dead weight on a JWT or JWE
 * target: v4.13.1 never delivers them ([real]: Errors.WebKey.NoActive, marked done, not retried).
 */
async function warnAboutEventExecutions(
  context: CommandContext,
  zitadel: ZitadelClient,
  api: ActionsApiVersion,
  targetId: string,
  form: PayloadForm,
  deadline: Deadline,
): Promise<void> {
  let events: string[];
  try {
    events = eventConditionsOf(await zitadel.listAllExecutions({ api }, deadline), targetId);
  } catch {
    note(context, 'note: could not list the executions to check the target for event executions.');
    return;
  }
  if (events.length === 0) return;
  note(
    context,
    `warning: the target sends ${form.toUpperCase()} payloads and also runs on event executions (${events.join(', ')}): ` +
      'ZITADEL v4.13.1 never delivers events to a JWT or JWE target. The response executions setup wired cover every ' +
      'login; remove the target from those event executions (or give events a JSON target of their own).',
  );
}

function parsePayloadType(
  value: string | undefined,
  fallback: PayloadForm | undefined,
): PayloadForm | undefined {
  if (value === undefined) return fallback;
  const form = value.trim().toLowerCase();
  if (form !== 'json' && form !== 'jwt' && form !== 'jwe')
    throw new UsageError('--payload-type must be json, jwt or jwe', 'setup');
  return form;
}

/**
 * The waits between read-backs of the target, about 6 s in all. GetTarget reads a projection that can lag the
 * write by a moment (seen on v4.13.1: a read straight after UpdateTarget still showed the old payloadType), so one
 * stale read proves nothing; a version that drops the field shows the old value after all of them.
 */
export const READ_BACK_DELAYS_MS: readonly number[] = [100, 200, 400, 800, 1600, 3200];

/** Older instances drop an unknown `payloadType` silently: read the target back, until ZITADEL's view shows it. */
async function confirmPayloadType(
  zitadel: ZitadelClient,
  { api, targetId, form }: { api: ActionsApiVersion; targetId: string; form: PayloadForm },
  wait: { sleep: (ms: number) => Promise<void>; now: () => number },
  deadline: Deadline,
): Promise<void> {
  let target: ActionTarget | undefined;
  for (let attempt = 0; ; attempt += 1) {
    // A target created a moment ago may not be in the view yet either (404, undefined here): read again.
    target = await zitadel.getTarget({ api, id: targetId }, deadline);
    if (target !== undefined && payloadFormOf(target) === form) return;
    const delay = READ_BACK_DELAYS_MS[attempt];
    if (delay === undefined || wait.now() + delay >= deadline.atMs) break;
    await wait.sleep(delay);
  }
  const reads = READ_BACK_DELAYS_MS.length + 1;
  throw new CommandFailure(
    `ZITADEL did not keep payloadType ${PAYLOAD_TYPE_NAMES[form]} on the target (it still sends ${target === undefined ? 'nothing' : payloadFormOf(target).toUpperCase()} after up to ${reads} reads over about ${Math.round(READ_BACK_DELAYS_MS.reduce((sum, ms) => sum + ms, 0) / 1000)} s): ` +
      'JWT and JWE payloads need ZITADEL 4.8 or newer. Run setup with --payload-type json, or upgrade ZITADEL.',
  );
}

/** `setup`: create or update the target and the executions; print the signing key once. */
export async function runSetup(context: CommandContext, args: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('setup', args, {
    endpoint: { type: 'string' },
    name: { type: 'string' },
    timeout: { type: 'string' },
    async: { type: 'boolean' },
    'interrupt-on-error': { type: 'boolean' },
    insecure: { type: 'boolean' },
    'payload-type': { type: 'string' },
    'public-key': { type: 'string' },
    'private-key-out': { type: 'string' },
    probe: { type: 'boolean' },
    'devices-url': { type: 'string' },
    'devices-new-secret': { type: 'boolean' },
  });
  expectPositionals('setup', positionals, []);
  if (values.endpoint === undefined) throw new UsageError('missing --endpoint <url>', 'setup');
  const devicesUrl = values['devices-url'] === undefined ? undefined : parseDevicesUrl(values['devices-url']);
  if (devicesUrl === undefined && values['devices-new-secret'] !== undefined)
    throw new UsageError('--devices-new-secret goes with --devices-url', 'setup');
  const { endpoint, completed } = parseEndpoint(values.endpoint, values.insecure === true);
  const name = (values.name ?? DEFAULT_TARGET_NAME).trim();
  if (name.length === 0 || name.length > 200)
    throw new UsageError('--name must be 1 to 200 characters', 'setup');
  const timeoutSeconds = parseTimeoutSeconds('setup', values.timeout ?? '10s');
  const isAsync = values.async === true;
  if (isAsync && values['interrupt-on-error'] !== undefined) {
    throw new UsageError(
      '--async and --interrupt-on-error exclude each other: ZITADEL does not wait for an async target',
      'setup',
    );
  }

  const settings = loadLimitSettings(context.io.env);
  const payloadSettings = loadPayloadSettings(context.io.env);
  const payloadForm = parsePayloadType(values['payload-type'], payloadSettings.requiredForm);
  if (
    payloadForm !== 'jwe' &&
    (values['public-key'] !== undefined || values['private-key-out'] !== undefined)
  )
    throw new UsageError('--public-key and --private-key-out go with --payload-type jwe', 'setup');
  const publicKeyPem =
    values['public-key'] === undefined ? undefined : readPublicKeyFile(values['public-key']);
  const privateKeyFile = path.resolve(values['private-key-out'] ?? DEFAULT_PRIVATE_KEY_FILE);
  if (completed)
    note(
      context,
      `note: completed the endpoint to ${endpoint} (the limiter's webhook route is ${WEBHOOK_PATH}).`,
    );
  if (payloadForm !== undefined && isWeakerThan(payloadForm, payloadSettings.requiredForm)) {
    note(
      context,
      `warning: REQUIRE_PAYLOAD_TYPE=${payloadSettings.requiredForm} here, but the target will send ${payloadForm}: a limiter with this setting refuses every webhook.`,
    );
  }

  // deny-new can only refuse a login through a waited-for answer that interrupts; evict-oldest should fail open.
  const interruptOnError = values['interrupt-on-error'] ?? settings.limitStrategy === 'deny-new';
  const spec: ActionTargetSpec = {
    name,
    endpoint,
    timeout: `${timeoutSeconds}s`,
    type: isAsync ? { restAsync: {} } : { restWebhook: { interruptOnError } },
    payloadType: payloadForm === undefined ? undefined : PAYLOAD_TYPE_NAMES[payloadForm],
  };
  if (settings.limitStrategy === 'deny-new' && !isAsync && interruptOnError)
    note(context, `note: ${DENY_NEW_AVAILABILITY.summary}. ${DENY_NEW_AVAILABILITY.fix}`);
  if (settings.limitStrategy === 'deny-new' && (isAsync || !interruptOnError)) {
    note(
      context,
      'note: with LIMIT_STRATEGY=deny-new the login UI only shows the refusal for a restWebhook target with interruptOnError; here the new session is still deleted, but the login is not refused.',
    );
  }
  if (!isAsync && timeoutSeconds * 1000 <= settings.enforcementDeadlineMs) {
    note(
      context,
      `note: the timeout (${timeoutSeconds}s) is not above ENFORCEMENT_DEADLINE_MS (${settings.enforcementDeadlineMs} ms): ZITADEL may give up before the limiter has finished.`,
    );
  }

  const { zitadel } = connect(context.io.env);
  const deadline = deadlineIn(SETUP_BUDGET_MS, context.io.now());
  const { api, targets } = await findTargets(zitadel, name, deadline);
  if (targets.length > 1)
    note(
      context,
      `warning: ${targets.length} targets are named "${name}"; updating the first (${targets[0]?.id}) and leaving the others alone.`,
    );
  const existing = targets[0];
  // A JWE target without an active key fails every call: switch to JWE only once the key is active.
  const switchesToJwe =
    payloadForm === 'jwe' && (existing === undefined || payloadFormOf(existing) !== 'jwe');
  const saved = await saveTarget(
    zitadel,
    api,
    existing,
    switchesToJwe ? { ...spec, payloadType: undefined } : spec,
    deadline,
  );
  let encryptionKey: EncryptionKeyResult | undefined;
  let targetStatus = saved.status;
  if (payloadForm === 'jwe') {
    try {
      encryptionKey = await ensureEncryptionKey(
        zitadel,
        { api, targetId: saved.id, publicKeyPem, privateKeyFile },
        deadline,
      );
    } catch (error) {
      throw explainActionsError(error);
    }
    if (switchesToJwe) {
      try {
        await zitadel.updateTarget({ api, id: saved.id, target: spec }, deadline);
      } catch (error) {
        throw explainActionsError(error);
      }
      if (targetStatus === 'unchanged') targetStatus = 'updated';
    }
  }
  if (payloadForm === 'jwt' || payloadForm === 'jwe')
    await confirmPayloadType(
      zitadel,
      { api, targetId: saved.id, form: payloadForm },
      { sleep: sleepOf(context.io), now: context.io.now },
      deadline,
    );
  if (encryptionKey?.privateKeyFile !== undefined && !isAsync && interruptOnError) {
    note(
      context,
      'warning: the target now encrypts to a new key and interrupts on error: logins fail until the limiter has the private key. Deploy it now.',
    );
  }

  const executions = await wireExecutions(zitadel, api, saved.id, deadline);
  const sentForm = payloadForm ?? (existing === undefined ? 'json' : payloadFormOf(existing));
  if (sentForm !== 'json')
    await warnAboutEventExecutions(context, zitadel, api, saved.id, sentForm, deadline);

  if (saved.signingKey === undefined)
    note(
      context,
      'warning: ZITADEL did not return the signing key; read it with GET /v2/actions/targets/{id}.',
    );
  let probe: ProbeResult | undefined;
  if (values.probe !== false && saved.signingKey !== undefined) {
    probe = await probeEndpoint({ endpoint, signingKey: saved.signingKey, now: context.io.now });
    if (probe.verdict !== 'ok')
      note(context, `warning: probe: ${probe.summary}.${probe.fix === undefined ? '' : ` ${probe.fix}`}`);
  }

  const devices =
    devicesUrl === undefined
      ? undefined
      : await ensureDevicesApp(
          zitadel,
          { publicUrl: devicesUrl, newSecret: values['devices-new-secret'] === true },
          deadline,
          (line) => note(context, line),
        );

  const type = isAsync ? 'restAsync' : `restWebhook, interruptOnError=${interruptOnError}`;
  if (context.json) {
    emitJson(context, {
      ok: true,
      command: 'setup',
      api,
      target: {
        id: saved.id,
        name,
        endpoint,
        timeout: spec.timeout,
        type: isAsync ? 'restAsync' : 'restWebhook',
        interruptOnError: isAsync ? undefined : interruptOnError,
        payloadType: spec.payloadType,
        status: targetStatus,
      },
      executions,
      publicKey: encryptionKey,
      probe,
      signingKey: saved.signingKey,
      devices,
    });
    return 0;
  }
  say(context, `Action Service: /${api}/actions`);
  say(context, `Target "${name}" (${saved.id}): ${targetStatus}`);
  say(context, `  endpoint  ${endpoint}`);
  say(context, `  type      ${type}`);
  say(context, `  timeout   ${spec.timeout}`);
  if (spec.payloadType !== undefined) say(context, `  payload   ${spec.payloadType}`);
  if (encryptionKey !== undefined) {
    say(context, `  public key ${encryptionKey.keyId}: ${encryptionKey.status}`);
  }
  say(context, 'Response executions:');
  for (const execution of executions)
    say(context, `  ${execution.method}  ${EXECUTION_WORDS[execution.status]}`);
  if (probe !== undefined) say(context, `Probe: ${probe.verdict === 'ok' ? '✓' : '✗'} ${probe.summary}`);
  if (saved.signingKey !== undefined) {
    say(context);
    say(context, "Paste into the limiter's environment (.env). The signing key is a secret:");
    say(context);
    say(context, `SIGNING_KEY=${saved.signingKey}`);
    if (encryptionKey?.privateKeyFile !== undefined)
      say(context, `PAYLOAD_DECRYPTION_KEY_FILE=${encryptionKey.privateKeyFile}`);
    if (payloadForm === 'jwe' && payloadSettings.requiredForm !== 'jwe')
      say(context, 'REQUIRE_PAYLOAD_TYPE=jwe');
    if (payloadForm === 'jwt' && payloadSettings.requiredForm === undefined)
      say(context, 'REQUIRE_PAYLOAD_TYPE=jwt');
  }
  if (encryptionKey?.privateKeyFile !== undefined) {
    say(context);
    say(
      context,
      `The private key was written to ${encryptionKey.privateKeyFile} (mode 0600) and is not shown. Give it to the limiter ` +
        '(PAYLOAD_DECRYPTION_KEY_FILE, or its contents in PAYLOAD_DECRYPTION_KEY): until then it refuses JWE webhooks.',
    );
  }
  if (devices !== undefined) sayDevicesApp(context, devices);
  return 0;
}

/** The devices page's part of setup's report: the DEVICES_* lines, secrets only when ZITADEL just made one. */
function sayDevicesApp(context: CommandContext, devices: DevicesAppResult): void {
  say(context);
  say(context, `Project "${DEVICES_PROJECT_NAME}" (${devices.projectId}): ${devices.projectStatus}`);
  say(context, `OIDC app "${DEVICES_APP_NAME}" (${devices.appId}): ${devices.appStatus}`);
  say(context, `  redirect  ${devices.publicUrl}/devices/callback`);
  say(context);
  say(
    context,
    devices.clientSecret === undefined
      ? "Put into the limiter's environment (.env), with the client secret and the keys it already has:"
      : "Paste into the limiter's environment (.env). The client secret and the keys are secrets:",
  );
  say(context);
  say(context, `DEVICES_PUBLIC_URL=${devices.publicUrl}`);
  say(context, `DEVICES_CLIENT_ID=${devices.clientId}`);
  if (devices.clientSecret !== undefined) say(context, `DEVICES_CLIENT_SECRET=${devices.clientSecret}`);
  if (devices.generatedKey !== undefined) say(context, `DEVICES_KEYS=${devices.generatedKey}`);
  if (devices.clientSecret === undefined) {
    say(context);
    say(
      context,
      'ZITADEL shows a client secret only once, when it makes it: it cannot be shown again. If DEVICES_CLIENT_SECRET ' +
        'is lost, run setup again with --devices-new-secret (the old secret stops working at once).',
    );
  }
}
