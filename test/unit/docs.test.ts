import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../support/configVariables.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOCS = [
  'README.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** The lines of a Markdown file outside fenced code blocks. */
export function proseLines(text: string): string[] {
  let fenced = false;
  return text.split('\n').filter((line) => {
    if (line.startsWith('```')) fenced = !fenced;
    return !fenced && !line.startsWith('```');
  });
}

/** GitHub's heading anchors: lowercase, punctuation but - and _ dropped, spaces to -, repeats get -1, -2, … */
export function headingAnchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of proseLines(text)) {
    const heading = /^#{1,6} (.*?)\s*#*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}_\- ]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Every relative link target in a Markdown file's prose (inline links; web and mail addresses left out). */
export function relativeLinks(text: string): string[] {
  const links: string[] = [];
  for (const line of proseLines(text)) {
    for (const match of line.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1] ?? '';
      if (!/^[a-z]+:/i.test(target)) links.push(target);
    }
  }
  return links;
}

/** Links that point at no file, or at a heading the file does not have. */
export function brokenLinks(
  file: string,
  text: string,
  read: (file: string) => string | undefined,
): string[] {
  return relativeLinks(text).filter((link) => {
    const [target = '', anchor] = link.split('#');
    const resolved =
      target === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), target));
    const content = read(resolved);
    if (content === undefined) return true;
    return anchor !== undefined && anchor !== '' && !headingAnchors(content).has(anchor);
  });
}

const readRepoFile = (file: string): string | undefined => {
  const full = path.join(ROOT, file);
  if (!existsSync(full)) return undefined;
  return statSync(full).isDirectory() ? '' : readFileSync(full, 'utf8');
};

/** The first cells of table rows that are one variable name and nothing else (a variable's own row). */
function firstCellNames(text: string): string[] {
  return proseLines(text)
    .filter((line) => line.startsWith('|'))
    .map((line) => /^\s*`([A-Z][A-Z0-9_]+)`\s*$/.exec(line.split('|')[1] ?? '')?.[1])
    .filter((name): name is string => name !== undefined);
}

describe('the documentation', () => {
  it('keeps the README short enough to read in five minutes', () => {
    expect(readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n').length).toBeLessThan(250);
  });

  it.each(DOCS)('%s links only to files and headings that exist', (file) => {
    expect(brokenLinks(file, readFileSync(path.join(ROOT, file), 'utf8'), readRepoFile)).toEqual([]);
  });

  it('documents every variable the config reads in exactly one table row', () => {
    const names = DOCS.flatMap((file) => firstCellNames(readFileSync(path.join(ROOT, file), 'utf8')));
    for (const variable of CONFIG_VARIABLES) {
      expect(names.filter((name) => name === variable).length, variable).toBe(1);
    }
  });

  it('puts no <placeholder> into a shell command, where the shell would read it as a redirect', () => {
    for (const file of DOCS) {
      let shell = false;
      for (const line of readFileSync(path.join(ROOT, file), 'utf8').split('\n')) {
        if (line.startsWith('```')) shell = !shell && line.trim() === '```sh';
        else if (shell && !line.trimStart().startsWith('#')) expect(line, file).not.toMatch(/<[a-z][^>]*>/i);
      }
    }
  });
});

describe('the link checker', () => {
  const files: Record<string, string> = { 'docs/a.md': '# A\n\n## Same\n\n## Same\n', 'README.md': '' };
  const read = (file: string) => files[file];

  it('finds a link to a missing file and to a missing heading, and accepts GitHub slugs with repeats', () => {
    const text = '[ok](docs/a.md#same-1) [gone](docs/b.md) [no heading](docs/a.md#other) [ok](docs/a.md#a)';
    expect(brokenLinks('README.md', text, read)).toEqual(['docs/b.md', 'docs/a.md#other']);
  });

  it('slugs headings as GitHub does', () => {
    expect([...headingAnchors('## Readiness (`GET /readyz`)\n## `interruptOnError`: fail open\n')]).toEqual([
      'readiness-get-readyz',
      'interruptonerror-fail-open',
    ]);
  });
});
