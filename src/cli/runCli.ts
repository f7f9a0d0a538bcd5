import { readFileSync } from 'node:fs';
import { ConfigError } from '../vocabulary.js';
import { ZitadelError, isPermanentNetworkCode } from '../zitadel/errors.js';
import { failureKindOf, unreachableKind } from '../zitadel/failureKind.js';
import { DOCTOR_HELP, runDoctor } from './doctor.js';
import { ENFORCE_HELP, runEnforce } from './enforce.js';
import { CommandFailure, EXIT, UsageError, type ExitCode } from './errors.js';
import { emitJson, note, type CliIo, type CommandContext } from './io.js';
import { SESSIONS_HELP, runSessions } from './sessions.js';
import { SETUP_HELP, runSetup } from './setup.js';
import { SWEEP_HELP, runSweep } from './sweep.js';
import { CLI_COMMAND } from './commandName.js';

export const MAIN_HELP = `Usage: ${CLI_COMMAND} <command> [options]

Operator commands for the ZITADEL session limiter. They read the same environment (and .env) as the service:
INSTANCE_URL plus one credential (PAT, ZITADEL_KEY_FILE/ZITADEL_KEY_JSON, or ZITADEL_CLIENT_ID with
ZITADEL_CLIENT_SECRET), and CONCURRENT_SESSIONS / LIMIT_STRATEGY for the limit.

Commands:
  setup --endpoint <url>      register the target and executions in ZITADEL (IAM_OWNER), print SIGNING_KEY
  doctor --endpoint <url>     check, read-only, that the wiring works; each line with its fix
  sessions <userId|loginName> a user's sessions, and whether each counts toward the limit
  enforce <userId|loginName>  bring one user back to the limit now (--dry-run to preview)
  sweep                       bring every user back to the limit (--org, --dry-run, --concurrency)

Every command takes --json (one JSON document on stdout) and --help. --version prints the version.
In the Docker image (no dev dependencies) run the built CLI instead: node dist/cli.js <command> [options].

Exit codes: 0 success, 2 usage error, 3 configuration error, 4 ZITADEL error (refused, unreachable, or
deletions not confirmed), 1 unexpected error.
`;

/** The package's version, read from package.json next to src/ or dist/ (both two levels up from here). */
export function cliVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof manifest.version === 'string' ? manifest.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

type Command = (context: CommandContext, args: readonly string[]) => Promise<number>;

const COMMANDS: Record<string, { readonly run: Command; readonly help: string }> = {
  setup: { run: runSetup, help: SETUP_HELP },
  doctor: { run: (context, args) => runDoctor(context, args, explainZitadelError), help: DOCTOR_HELP },
  sessions: { run: runSessions, help: SESSIONS_HELP },
  enforce: { run: runEnforce, help: ENFORCE_HELP },
  sweep: { run: runSweep, help: SWEEP_HELP },
};

/** What a network failure's code means for the operator. */
function networkHint(error: ZitadelError): string {
  const code = error.networkCode;
  if (code === 'ENOTFOUND') return 'ENOTFOUND, the host name does not resolve. Check INSTANCE_URL.';
  if (code === 'EAI_AGAIN') return 'EAI_AGAIN, the name server did not answer. Check DNS and the network.';
  if (code === 'ECONNREFUSED')
    return 'ECONNREFUSED, nothing accepts connections there. Check the host and port in INSTANCE_URL.';
  if (code === 'ETIMEDOUT' || code === 'ENETUNREACH' || code === 'EHOSTUNREACH')
    return `${code}, the host did not answer. Check INSTANCE_URL, firewalls and proxies.`;
  if (code !== undefined && isPermanentNetworkCode(code))
    return `${code}, the TLS connection was refused (certificate or protocol). Check INSTANCE_URL and the instance's certificate.`;
  return `${code ?? 'no error code'}. Check INSTANCE_URL and the network.`;
}

function hostOf(instanceUrl: string | undefined): string {
  try {
    return instanceUrl === undefined ? 'this host' : `"${new URL(instanceUrl).host}"`;
  } catch {
    return 'this host';
  }
}

/** ZITADEL's answer in the operator's terms: what to check, never a body or a token. One case per failure kind. */
export function explainZitadelError(error: ZitadelError, instanceUrl: string | undefined): string {
  const where = instanceUrl === undefined ? 'ZITADEL' : `ZITADEL at ${instanceUrl}`;
  const status = `HTTP ${error.status ?? '?'}${error.grpcCode === undefined ? '' : `, code ${error.grpcCode}`}`;
  const kind = failureKindOf(error);
  switch (kind) {
    case 'instance_not_found':
      return `${where} answered ${error.operation} with "Instance not found" (HTTP 404): ZITADEL picks the instance by the host name, and ${hostOf(instanceUrl)} is none of its domains. INSTANCE_URL's host must be the instance's domain (ZITADEL's ExternalDomain, or a custom domain added to the instance), not an internal name or address of the same server.`;
    case 'timeout':
    case 'deadline':
      return `${where} did not answer in time (${error.operation}). Check INSTANCE_URL and ZITADEL_TIMEOUT_MS.`;
    case 'unreachable':
      return `${where} could not be reached (${error.operation}): ${networkHint(error)}`;
    case 'bad_answer':
      return error.status !== undefined
        ? `${where} answered ${error.operation} with HTTP ${error.status} and a page that is not ZITADEL's API: INSTANCE_URL must be the instance's base URL (e.g. https://my-instance.zitadel.cloud), not a console or login URL.`
        : `${where} answered ${error.operation} with something that is not the expected JSON. Is INSTANCE_URL the ZITADEL base URL?`;
    case 'unauthenticated':
      return `${where} refused the credential (${status}): it is unknown, expired or revoked.`;
    case 'permission_denied':
      if (error.operation === 'get_login_settings')
        return `${where} denied ${error.operation} (${status}): the service account lacks policy.read. Add IAM_OWNER_VIEWER beside IAM_USER_MANAGER, or use ORG_USER_MANAGER in each organisation.`;
      if (error.operation === 'list_authentication_methods' || error.operation === 'list_user_metadata')
        return `${where} denied ${error.operation} (${status}): the service account lacks user.read (IAM_USER_MANAGER, or ORG_USER_MANAGER in each organisation).`;
      return `${where} denied ${error.operation} (${status}): the service account lacks the role. Sessions need session.read and session.delete (IAM_USER_MANAGER, or ORG_USER_MANAGER for one organisation); COUNT_WHEN=signed-in also user.read and policy.read (IAM_USER_MANAGER + IAM_OWNER_VIEWER); setup needs IAM_OWNER.`;
    case 'rate_limited':
      return `${where} kept rate-limiting ${error.operation} (${status}). Try again later, or lower --concurrency.`;
    case 'budget_exhausted':
      return `${error.operation} was not sent: the request budget (ZITADEL_MAX_RPS, or a pause after ZITADEL's 429) had no turn for it in time. Try again later, lower --concurrency, or raise ZITADEL_MAX_RPS if the instance allows more.`;
    case 'server_error':
    case 'server_unsupported':
    case 'not_found':
    case 'refused':
    case 'internal':
      return `${where} failed ${error.operation} (${status}).`;
    default:
      return unreachableKind(kind);
  }
}

function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof ConfigError) return EXIT.config;
  if (error instanceof ZitadelError) return EXIT.zitadel;
  if (error instanceof CommandFailure) return error.exitCode;
  return EXIT.unexpected;
}

function messageOf(error: unknown, io: CliIo): string {
  if (error instanceof UsageError) {
    return `${error.message}\nRun "${CLI_COMMAND} ${error.command === undefined ? '' : `${error.command} `}--help" for usage.`;
  }
  if (error instanceof ConfigError) return `${error.message}\n(See .env.example; values are never printed.)`;
  if (error instanceof ZitadelError) return explainZitadelError(error, io.env.INSTANCE_URL);
  if (error instanceof CommandFailure) return error.message;
  // Unknown errors may carry anything; their name is enough to report a bug.
  return `unexpected error (${error instanceof Error ? error.name : typeof error})`;
}

const KIND: Record<ExitCode, string> = { 0: 'ok', 1: 'unexpected', 2: 'usage', 3: 'config', 4: 'zitadel' };

/**
 * Runs one command line (without `node` and the script) and returns the exit code. Never throws and never exits
 * the process, so tests and the entry point decide what happens next.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  const json = rest.includes('--json') || name === '--json';
  const context: CommandContext = { io, json };
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      const topic = name === 'help' ? rest[0] : undefined;
      // Asked for: stdout, exit 0. No command at all is a usage error: stderr, exit 2.
      (name === undefined ? io.stderr : io.stdout).write(
        topic !== undefined && COMMANDS[topic] !== undefined ? COMMANDS[topic].help : MAIN_HELP,
      );
      return name === undefined ? EXIT.usage : EXIT.ok;
    }
    if (name === '--version' || name === '-V' || name === 'version') {
      io.stdout.write(`zitadel-session-limiter ${cliVersion()}\n`);
      return EXIT.ok;
    }
    const command = COMMANDS[name];
    if (command === undefined && name.startsWith('-'))
      throw new UsageError(
        `unknown option ${name.split('=')[0] ?? name} before the command; commands: ${Object.keys(COMMANDS).join(', ')}`,
      );
    if (command === undefined)
      throw new UsageError(
        `unknown command ${JSON.stringify(name)}; commands: ${Object.keys(COMMANDS).join(', ')}`,
      );
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(command.help);
      return EXIT.ok;
    }
    return await command.run(context, rest);
  } catch (error) {
    const code = exitCodeOf(error);
    const message = messageOf(error, io);
    note(context, `error: ${message}`);
    if (json) emitJson(context, { ok: false, error: { kind: KIND[code], exitCode: code, message } });
    return code;
  }
}
