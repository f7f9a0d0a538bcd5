import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import dotenv from 'dotenv';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../support/configVariables.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HOSTILE = dotenv.parse(readFileSync(path.join(ROOT, 'scripts/hostile.env'), 'utf8'));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/**
 * The variable names src/ reads, found the two ways it reads them: `env.NAME` / `env['NAME']` anywhere, and the
 * upper-case keys of the zod schemas in src/config.ts (`NAME: integer(...)`), which zod reads from the environment.
 */
function variablesReadBySource(): Set<string> {
  const names = new Set<string>();
  for (const file of sourceFiles(path.join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/\benv\??\.([A-Z][A-Z0-9_]+)\b|\benv\[['"]([A-Z][A-Z0-9_]+)['"]\]/g))
      names.add((match[1] ?? match[2])!);
  }
  const config = readFileSync(path.join(ROOT, 'src/config.ts'), 'utf8');
  for (const match of config.matchAll(/^ {2}([A-Z][A-Z0-9_]+): /gm)) names.add(match[1]!);
  return names;
}

describe('the hostile environment (scripts/hostile.env)', () => {
  it('lists every variable src/ reads, so a new one cannot be forgotten', () => {
    const read = [...variablesReadBySource()].sort();
    // Guards the scan itself: if it found nothing, the comparison below would pass vacuously.
    expect(read).toEqual(expect.arrayContaining(['INSTANCE_URL', 'MAX_BODY_BYTES', 'REQUIRE_PAYLOAD_TYPE']));
    expect(read.filter((name) => !(CONFIG_VARIABLES as readonly string[]).includes(name))).toEqual([]);
  });

  it('sets each of those variables, and nothing else', () => {
    expect(Object.keys(HOSTILE).sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  it('gives every variable a non-blank value (a blank one counts as unset and tests nothing)', () => {
    expect(Object.entries(HOSTILE).filter(([, value]) => value.trim() === '')).toEqual([]);
  });

  it('holds only values bash sources as dotenv reads them (no quotes, spaces or $)', () => {
    expect(Object.entries(HOSTILE).filter(([, value]) => /[\s'"$`\\]/.test(value))).toEqual([]);
  });
});
