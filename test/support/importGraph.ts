import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** What a module graph reaches: our own files (absolute paths) and the packages it names (by package name). */
export interface ImportGraph {
  readonly files: ReadonlySet<string>;
  readonly packages: ReadonlySet<string>;
}

// `express/lib/router` and `@scope/name/sub` name the packages `express` and `@scope/name`.
function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

// Our sources import `./x.js` (NodeNext); the file on disk is `./x.ts`.
function resolveOwn(fromFile: string, specifier: string): string {
  const target = path.resolve(path.dirname(fromFile), specifier);
  const candidates = [target.replace(/\.js$/, '.ts'), target, `${target}.ts`, path.join(target, 'index.ts')];
  const found = candidates.find((candidate) => candidate.endsWith('.ts') && existsSync(candidate));
  if (found === undefined) throw new Error(`cannot resolve ${specifier} from ${fromFile}`);
  return found;
}

/**
 * Every static import and re-export reachable from `entry`, as TypeScript's own pre-processor reads them (type-only
 * imports included, so the answer errs on the side of reaching too much). Dynamic imports are not followed.
 */
export function importGraphOf(entry: string): ImportGraph {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [path.resolve(entry)];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, false);
    for (const { fileName: specifier } of importedFiles) {
      if (specifier.startsWith('node:')) continue;
      if (specifier.startsWith('.')) pending.push(resolveOwn(file, specifier));
      else packages.add(packageNameOf(specifier));
    }
  }
  return { files, packages };
}
