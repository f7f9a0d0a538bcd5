import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/cliProcess.js';
import { FakeZitadel } from '../support/fakeZitadel.js';
import { startLimiter } from '../support/limiterProcess.js';
import { startupRefusal } from '../support/limiterInProcess.js';

const PAT = 'env-isolation-pat-9Kd';
const KEY = 'env-isolation-signing-key-2Wq';

// A developer's .env that disagrees with every test: another credential kind (so PAT conflicts), an unreachable
// instance, other limits. Were it read, every assertion below would change.
const HOSTILE_ENV_FILE = [
  'INSTANCE_URL=http://127.0.0.1:9',
  'ZITADEL_KEY_FILE=./service-account-key.json',
  'SIGNING_KEY=hostile-signing-key',
  'CONCURRENT_SESSIONS=7',
  'LIMIT_STRATEGY=deny-new',
  'DRY_RUN=true',
  'LOG_LEVEL=silent',
  '',
].join('\n');

describe('processes started by the tests ignore a .env where they would look for one', () => {
  const zitadel = new FakeZitadel({ acceptedTokens: [PAT] });
  let cwd: string;

  beforeAll(async () => {
    await zitadel.start();
    // The started process looks for .env in its working directory: this one holds a hostile file. A temporary
    // directory, so a developer's own .env in the checkout is never touched.
    cwd = mkdtempSync(path.join(os.tmpdir(), 'limiter-env-'));
    writeFileSync(path.join(cwd, '.env'), HOSTILE_ENV_FILE);
  });

  afterAll(async () => {
    await zitadel.stop();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('starts the server with the test environment alone', async () => {
    const limiter = await startLimiter(
      { INSTANCE_URL: zitadel.url, PAT, SIGNING_KEY: KEY, CONCURRENT_SESSIONS: '2' },
      { cwd },
    );
    try {
      const listening = limiter.output.find((line) => line.includes('listening'));
      expect(JSON.parse(listening ?? '{}')).toMatchObject({
        limit: 2,
        strategy: 'evict-oldest',
        dryRun: false,
      });
      const ready = await fetch(`${limiter.url}/readyz`);
      expect(ready.status).toBe(200);
    } finally {
      expect(await limiter.stop()).toBe(0);
    }
  });

  it('refuses to start for the missing variable the test left out, not for the .env conflict', () => {
    // In process, through main.ts's start-up steps with this working directory: where the .env would be read from.
    const refusal = startupRefusal({ PAT, SIGNING_KEY: KEY }, { cwd });
    expect(refusal).toContain('INSTANCE_URL is required');
    expect(refusal).not.toContain('conflicting credentials');
  });

  it('gives the CLI a missing INSTANCE_URL as a configuration error (exit 3), not a call to the .env URL', async () => {
    const run = await runCli(['sessions', '1001'], { PAT }, 30_000, { cwd });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('INSTANCE_URL is required');
    expect(run.stderr).not.toContain('conflicting credentials');
  });

  it('still reads .env for a real user (control: the hostile file is where the process looks)', async () => {
    const run = await runCli(['sessions', '1001'], { PAT }, 30_000, { cwd, readEnvFile: true });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('conflicting credentials: PAT and ZITADEL_KEY_FILE are both set');
  });
});

describe('ENV_FILE', () => {
  const zitadel = new FakeZitadel({ acceptedTokens: [PAT] });
  let dir: string;

  beforeAll(async () => {
    await zitadel.start();
    zitadel.addSession({ userId: '1001', loginName: 'alice@example.com', creationDate: new Date() });
    dir = mkdtempSync(path.join(os.tmpdir(), 'limiter-env-file-'));
    writeFileSync(path.join(dir, 'limiter.env'), `INSTANCE_URL=${zitadel.url}\nPAT=${PAT}\n`);
  });

  afterAll(async () => {
    await zitadel.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the variables from the file it names', async () => {
    const run = await runCli(['sessions', '1001'], { ENV_FILE: path.join(dir, 'limiter.env') });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('1 of 1 session');
  });

  it('stops with exit 3 naming ENV_FILE when the file cannot be read, never printing its path', async () => {
    const missing = path.join(dir, 'no-such-file.env');
    const run = await runCli(['sessions', '1001'], { ENV_FILE: missing });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('ENV_FILE cannot be read');
    expect(run.stderr).not.toContain(missing);
    // The server takes the same first step (in process: its exit 78 is proven in credentials.test.ts).
    const serverRefusal = startupRefusal({ ENV_FILE: missing });
    expect(serverRefusal).toContain('ENV_FILE cannot be read');
    expect(serverRefusal).not.toContain(missing);
  });
});
