import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printable, table } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/runCli.js';
import { FakeZitadel } from '../support/fakeZitadel.js';

const PAT = 'cli-terminal-pat-7Qx';
// What a hostile browser can put into its user agent: clear the screen, retitle the window, rewrite the line,
// and turn the rest of the line around.
const HOSTILE_AGENT = 'Firefox\u001b[2J\u001b]0;pwned\u0007\rroot# \u009b31m\u202egnp.exe\u007f';
/** Whether `text` holds a character a terminal acts on (a newline is ours: it ends lines). */
const hasUnsafe = (text: string) =>
  [...text].some((char) => {
    const code = char.codePointAt(0) ?? 0;
    return (
      (code < 0x20 && code !== 0x0a) || (code >= 0x7f && code <= 0x9f) || (code >= 0x202a && code <= 0x202e)
    );
  });

describe('CLI output never hands a terminal control characters from ZITADEL', () => {
  const zitadel = new FakeZitadel({ acceptedTokens: [PAT] });

  beforeAll(async () => {
    await zitadel.start();
    zitadel.addSession({
      userId: '1001',
      loginName: 'alice@example.com',
      creationDate: new Date(Date.now() - 60_000),
      userAgentDescription: HOSTILE_AGENT,
    });
  });

  afterAll(async () => {
    await zitadel.stop();
  });

  async function run(args: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, {
      env: { INSTANCE_URL: zitadel.url, PAT, ENV_FILE: 'none', ZITADEL_TIMEOUT_MS: '3000' },
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      now: Date.now,
    });
    return { code, stdout, stderr };
  }

  it('`sessions` shows a user agent with ESC, CR, C1 and bidi characters escaped', async () => {
    const { code, stdout, stderr } = await run(['sessions', '1001']);
    expect(code).toBe(0);
    expect(hasUnsafe(stdout)).toBe(false);
    expect(hasUnsafe(stderr)).toBe(false);
    expect(stdout).toContain('Firefox\\x1b[2J\\x1b]0;pwned\\x07\\rroot#'.replace('\\r', '\\x0d'));
    expect(stdout).toContain('\\u202e');
  });

  it('`sessions --json` carries the same text, every unsafe character as a JSON escape', async () => {
    const { code, stdout } = await run(['sessions', '1001', '--json']);
    expect(code).toBe(0);
    expect(hasUnsafe(stdout)).toBe(false);
    const parsed = JSON.parse(stdout) as { devices: { description?: string }[] };
    expect(parsed.devices.map((device) => device.description)).toContain(HOSTILE_AGENT);
  });
});

describe('printable and table', () => {
  it('shows controls as \\xNN and bidi marks as \\uNNNN, and leaves other text alone', () => {
    expect(printable('a\u001bb\rc\nd\u0085e\u2066f josé 😀')).toBe(
      'a\\x1bb\\x0dc\\x0ad\\x85e\\u2066f josé 😀',
    );
  });

  it('keeps a newline inside a cell from starting a row of its own', () => {
    const text = table(['id', 'agent'], [['1', 'one\nFAKE ROW']]);
    expect(text.split('\n')).toEqual(['ID  AGENT', '1   one\\x0aFAKE ROW']);
  });
});
