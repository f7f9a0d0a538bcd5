import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeZitadel } from '../support/fakeZitadel.js';
import { createSessionResponse, signatureHeader } from '../support/webhooks.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PAT = 'vercel-built-pat-4Nn';
const KEY = 'vercel-built-signing-key-8Ts';
const MINUTE = 60_000;

function run(
  command: string,
  args: readonly string[],
  cwd: string,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(command, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

/**
 * A deployment as Vercel assembles it: the repository's package.json and api/index.js, the output of the build
 * command (`tsc -p tsconfig.build.json`, here into this directory's dist/), and the installed dependencies. No
 * src/, no tsx, no TypeScript at run time.
 */
async function assembleDeployment(): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'limiter-vercel-'));
  mkdirSync(path.join(dir, 'api'));
  copyFileSync(path.join(ROOT, 'api/index.js'), path.join(dir, 'api/index.js'));
  copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
  // --noCheck: the same emitter and byte-for-byte the same dist/ as `npm run build`, without the type check that
  // `npm run typecheck` and `npm run build` already run (it cost this test over half its time).
  const build = await run(
    process.execPath,
    [tsc, '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', path.join(dir, 'dist'), '--noCheck'],
    ROOT,
  );
  if (build.code !== 0) throw new Error(`the build failed:\n${build.output}`);
  return dir;
}

// Vercel's Node runtime imports the function module and calls its default export with Node's own request and
// response (NODEJS_HELPERS=0 leaves them untouched): a plain node:http server does the same.
const SERVE_LIKE_VERCEL = `
import http from 'node:http';
import { pathToFileURL } from 'node:url';
const entry = await import(pathToFileURL(process.argv[1] + '/api/index.js').href);
if (typeof entry.default !== 'function') throw new Error('the default export is not a request handler');
const server = http.createServer((req, res) => entry.default(req, res));
server.listen(0, '127.0.0.1', () => process.stdout.write('PORT ' + server.address().port + '\\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

async function serveLikeVercel(
  dir: string,
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; output: string[] }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', SERVE_LIKE_VERCEL, dir], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', NODEJS_HELPERS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`did not start:\n${output.join('')}`)), 45_000);
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output.push(text);
      const match = /PORT ([0-9]+)/.exec(text);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.on('exit', () => reject(new Error(`exited early:\n${output.join('')}`)));
  });
  return { child, url: `http://127.0.0.1:${port}`, output };
}

describe('api/index.js loaded as Vercel loads it, from what the build produces', () => {
  const zitadel = new FakeZitadel({ acceptedTokens: [PAT] });
  let dir: string;
  let served: Awaited<ReturnType<typeof serveLikeVercel>> | undefined;

  beforeAll(async () => {
    await zitadel.start();
    dir = await assembleDeployment();
  }, 180_000);

  afterAll(async () => {
    served?.child.kill('SIGTERM');
    await zitadel.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('enforces the limit and serves the health paths', async () => {
    served = await serveLikeVercel(dir, {
      INSTANCE_URL: zitadel.url,
      PAT,
      SIGNING_KEY: KEY,
      CONCURRENT_SESSIONS: '1',
    });
    const old = zitadel.addSession({ userId: '1001', creationDate: new Date(Date.now() - 10 * MINUTE) });
    const login = zitadel.addSession({ userId: '1001', creationDate: new Date() });
    const body = createSessionResponse(login);

    const res = await fetch(`${served.url}/session/manage`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'ZITADEL-Signature': signatureHeader(body, KEY) },
      body,
    });

    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: 'enforced', deleted: [old.id] });
    expect(zitadel.liveSessionsOf('1001').map((session) => session.id)).toEqual([login.id]);
    expect((await fetch(`${served.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${served.url}/readyz`)).status).toBe(200);
    expect(served.output.join('')).not.toContain(PAT);
  });

  it('answers 503 invalid_configuration naming the variable when the environment is incomplete', async () => {
    const incomplete = await serveLikeVercel(dir, { PAT, SIGNING_KEY: KEY });
    try {
      const res = await fetch(`${incomplete.url}/healthz`);
      expect(res.status).toBe(503);
      const answer = (await res.json()) as { error: string; problems: string[] };
      expect(answer.error).toBe('invalid_configuration');
      expect(answer.problems.join('\n')).toContain('INSTANCE_URL');
    } finally {
      incomplete.child.kill('SIGTERM');
    }
  });
});
