import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOURCE = path.join(ROOT, 'src');
// Inside the repository, so the transpiled files find its node_modules as the sources do.
const CACHE = path.join(ROOT, 'node_modules/.cache/limiter-tests');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return sourceFiles(full);
      return entry.name.endsWith('.ts') ? [full] : [];
    })
    .sort();
}

const MANIFEST = path.join(ROOT, 'package.json');

/**
 * A directory laid out as the repository, its `src/` transpiled to JavaScript (esbuild, file by file, no bundling: the same modules tsx
 * would load), for the processes the tests start with plain node. Why: tsx transforms every module again in every
 * process, 6-8 s a start at load 12 on 2 cores against 0.4-0.6 s for plain node; transpiling all of src takes well
 * under a second, once per version of the sources (the directory is named by their hash, so an edit is never
 * stale), and needs no `npm run build` first. Types are not checked here: `npm run typecheck` does that.
 */
export function transpiledCheckout(): string {
  const hash = createHash('sha256').update(readFileSync(MANIFEST));
  for (const file of sourceFiles(SOURCE))
    hash.update(path.relative(SOURCE, file)).update('\0').update(readFileSync(file));
  const dir = path.join(CACHE, hash.digest('hex').slice(0, 16));
  if (existsSync(dir)) return dir;
  // Built aside and renamed into place: another test file's worker may be building the same version at once.
  mkdirSync(CACHE, { recursive: true });
  const building = `${dir}.${process.pid}.tmp`;
  buildSync({
    entryPoints: sourceFiles(SOURCE),
    outdir: path.join(building, 'src'),
    outbase: SOURCE,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'error',
  });
  // Beside src/ as in the repository: it makes the files ES modules, and the CLI reads its version from it.
  copyFileSync(MANIFEST, path.join(building, 'package.json'));
  try {
    renameSync(building, dir);
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(dir)) throw error;
  }
  return dir;
}
