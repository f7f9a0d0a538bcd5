import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ISOLATED_ENV } from '../support/limiterProcess.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function runDemo(): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...ISOLATED_ENV },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  // The demo bounds itself at 30 s; this only stops a broken one from outliving the test.
  const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('npm run demo', () => {
  it('tells the story and exits 0 by itself', async () => {
    const { code, output } = await runDemo();

    expect(code, output).toBe(0);
    expect(output).toMatch(/tablet +signs in +-> enforced +kept: tablet, phone +deleted: laptop/);
    expect(output).toMatch(/work PC +signs in +-> enforced +kept: work PC, tablet +deleted: phone/);
    expect(output).toContain('kiosk    username  -> ignored (no_authentication_check): nothing deleted.');
    expect(output).toMatch(/TV +late +-> enforced +kept: work PC, tablet +deleted: TV/);
    expect(output).toContain('HTTP 401 signature_expired');
    expect(output).toContain('no: not authenticated (username only)');
    expect(output).toMatch(/work PC +signs in +-> within_limit +devices: 2, deleted: -/);
    expect(output).toMatch(/stranger password +-> within_limit +counted: 2, deleted: -/);
    expect(output).toContain('evicts nobody. Bob holds: phone, laptop.');
    expect(output).toMatch(/TV +signs in +-> within_limit +limit: 4 \(metadata\), devices: 4/);
    expect(output).toContain('Done: Alice holds work PC, tablet.');
    // The sessions listing shows each device as its login UI reported it, not one made-up browser for all.
    expect(output).toMatch(/Edge on Windows @ 192\.0\.2\.140 +yes/);
    expect(output).toMatch(/Chrome on Android @ 203\.0\.113\.81 +yes/);
    expect(output).toMatch(/Chrome on ChromeOS @ 192\.0\.2\.7 +no: not authenticated/);
    expect(output).not.toContain('@ 127.0.0.1');
  }, 60_000);
});
