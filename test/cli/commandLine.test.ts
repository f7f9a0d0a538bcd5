import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { explainZitadelError } from '../../src/cli/runCli.js';
import { ZitadelError } from '../../src/zitadel/errors.js';
import { runCli } from './cliProcess.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
// No ZITADEL is needed below: every run must stop before calling one (an unreachable port makes a call fail loudly).
const env = { INSTANCE_URL: 'http://127.0.0.1:9', PAT: 'cli-basics-pat-3Xe' };

describe('the command line itself', () => {
  it('prints its version with --version, as a real process started from source', async () => {
    const run = await runCli(['--version'], env, 30_000, { process: true });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`zitadel-session-limiter ${VERSION}\n`);
  });

  it("answers an unknown option in its own words, naming the command's options, not Node's parser text", async () => {
    const run = await runCli(['sessions', '1001', '--force'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown option --force; this command takes --json, --help');
    expect(run.stderr).not.toContain('positional argument');
    // The hint names a command that works in a checkout: the package's bin name is not on PATH there.
    expect(run.stderr).toContain('Run "npm run cli -- sessions --help" for usage.');
  });

  it('says which option needs a value and which takes none, without echoing a value', async () => {
    const missing = await runCli(['sweep', '--org'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--org needs a value');

    const extra = await runCli(['sessions', '1001', '--json=secret-looking-value'], env);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toContain('--json takes no value');
    expect(extra.stderr).not.toContain('secret-looking-value');
  });

  it('names an option given before the command as an option, not as a command', async () => {
    const run = await runCli(['--dry-run', 'sweep'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown option --dry-run before the command');
  });
});

describe('npm run setup', () => {
  it('runs the setup command from source, so it works straight after npm ci (no build needed)', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const child = spawn('npm', ['run', '--silent', 'setup', '--', '--help'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ENV_FILE: 'none', HOME: process.env.HOME ?? root },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: npm run cli -- setup');
  });
});

describe('explainZitadelError', () => {
  const network = (networkCode: string | undefined) =>
    explainZitadelError(
      new ZitadelError({ operation: 'list_sessions', kind: 'network', retryable: false, networkCode }),
      'https://my-instance.zitadel.cloud',
    );

  it.each([
    ['ENOTFOUND', 'the host name does not resolve'],
    ['ECONNREFUSED', 'nothing accepts connections there'],
    ['ETIMEDOUT', 'the host did not answer'],
    ['CERT_HAS_EXPIRED', 'the TLS connection was refused (certificate or protocol)'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'the TLS connection was refused (certificate or protocol)'],
  ])('tells %s apart from other network failures', (code, text) => {
    expect(network(code)).toContain(`could not be reached (list_sessions): ${code}, ${text}`);
  });

  it('says so when the failure has no code', () => {
    expect(network(undefined)).toContain('no error code');
  });
});

describe('explainZitadelError: one message per failure kind, each naming what to check', () => {
  const URL_ = 'https://my-instance.zitadel.cloud';
  const explain = (fields: Partial<ConstructorParameters<typeof ZitadelError>[0]>) =>
    explainZitadelError(
      new ZitadelError({ operation: 'list_sessions', kind: 'http', retryable: false, ...fields }),
      URL_,
    );

  it.each([
    ['a 401', { status: 401, grpcCode: 16 }, 'refused the credential (HTTP 401, code 16)'],
    [
      "the token endpoint's 400",
      { operation: 'fetch_token', status: 400 },
      'refused the credential (HTTP 400)',
    ],
    ['a 403 on the login policy', { operation: 'get_login_settings', status: 403 }, 'lacks policy.read'],
    ['a 403 on the methods', { operation: 'list_authentication_methods', status: 403 }, 'lacks user.read'],
    ['a 403 on the sessions', { status: 403 }, 'Sessions need session.read and session.delete'],
    ['a 429', { status: 429 }, 'kept rate-limiting list_sessions (HTTP 429)'],
    ['a 408 from a proxy', { status: 408 }, 'did not answer in time (list_sessions)'],
    ['a timeout', { kind: 'timeout' as const }, 'did not answer in time (list_sessions)'],
    ['a passed deadline', { kind: 'deadline' as const }, 'did not answer in time (list_sessions)'],
    [
      'our own request budget',
      { kind: 'rate_limited' as const },
      'list_sessions was not sent: the request budget (ZITADEL_MAX_RPS',
    ],
    ['a web page', { kind: 'invalid_response' as const, status: 200 }, "a page that is not ZITADEL's API"],
    ['JSON of another shape', { kind: 'invalid_response' as const }, 'not the expected JSON'],
    [
      '"Instance not found"',
      { kind: 'instance_not_found' as const, status: 404 },
      '"my-instance.zitadel.cloud" is none of its domains',
    ],
    ['a 503', { status: 503 }, 'failed list_sessions (HTTP 503)'],
    ['a 404', { status: 404 }, 'failed list_sessions (HTTP 404)'],
  ])('%s', (_name, fields, text) => {
    expect(explain(fields)).toContain(text);
  });
});
