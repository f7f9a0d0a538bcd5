import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
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

/**
 * The directory holding `src/` transpiled to JavaScript (esbuild, file by file, no bundling: the same modules tsx
 * would load), for the processes the tests start with plain node. Why: tsx transforms every module again in every
 * process, 6-8 s a start at load 12 on 2 cores against 0.4-0.6 s for plain node; transpiling all of src takes well
 * under a second, once per version of the sources (the directory is named by their hash, so an edit is never
 * stale), and needs no `npm run build` first. Types are not checked here: `npm run typecheck` does that.
 */
export function transpiledSourceDir(): string {
  const hash = createHash('sha256');
  for (const file of sourceFiles(SOURCE))
    hash.update(path.relative(SOURCE, file)).update('\0').update(readFileSync(file));
  const dir = path.join(CACHE, hash.digest('hex').slice(0, 16));
  if (existsSync(dir)) return dir;
  // Built aside and renamed into place: another test file's worker may be building the same version at once.
  mkdirSync(CACHE, { recursive: true });
  const building = `${dir}.${process.pid}.tmp`;
  buildSync({
    entryPoints: sourceFiles(SOURCE),
    outdir: building,
    outbase: SOURCE,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'error',
  });
  try {
    renameSync(building, dir);
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(dir)) throw error;
  }
  return dir;
}
