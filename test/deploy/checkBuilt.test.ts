import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs scripts/check-built.mjs from a copy of the checkout's layout, with or without a built dist/main.js. */
function checkBuilt(built: boolean) {
  const dir = mkdtempSync(path.join(tmpdir(), 'check-built-'));
  dirs.push(dir);
  mkdirSync(path.join(dir, 'scripts'));
  copyFileSync(path.join(ROOT, 'scripts/check-built.mjs'), path.join(dir, 'scripts/check-built.mjs'));
  if (built) {
    mkdirSync(path.join(dir, 'dist'));
    writeFileSync(path.join(dir, 'dist/main.js'), '');
  }
  return spawnSync(process.execPath, [path.join(dir, 'scripts/check-built.mjs')], { encoding: 'utf8' });
}

describe('npm start before a build', () => {
  it('runs the check before every start', () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(manifest.scripts.prestart).toBe('node scripts/check-built.mjs');
  });

  it('says in one line to build first, and exits 1, when dist/main.js is missing', () => {
    const run = checkBuilt(false);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('dist/main.js is missing: run `npm run build` first (or `npm run dev`)\n');
    expect(run.stdout).toBe('');
  });

  it('lets the start go on, silently, once the build is there', () => {
    const run = checkBuilt(true);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
  });
});
