import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BENCHMARKS_FILE, resultsFile, UNTRACKED_RESULTS_FILE, writeSection } from '../../bench/support.js';

describe('where npm run bench and npm run loadtest write their results', () => {
  it('writes to the untracked bench-results/ by default, and BENCHMARKS.md only when asked', () => {
    expect(resultsFile([], {})).toBe(UNTRACKED_RESULTS_FILE);
    expect(resultsFile(['--write-benchmarks'], {})).toBe(BENCHMARKS_FILE);
    expect(resultsFile([], { BENCH_WRITE_BENCHMARKS: '1' })).toBe(BENCHMARKS_FILE);
    expect(resultsFile([], { BENCH_WRITE_BENCHMARKS: '0' })).toBe(UNTRACKED_RESULTS_FILE);
  });

  it('keeps the default results out of git', () => {
    const ignored = readFileSync(new URL('../../.gitignore', import.meta.url), 'utf8').split('\n');
    expect(ignored).toContain('bench-results/');
    expect(path.basename(path.dirname(UNTRACKED_RESULTS_FILE))).toBe('bench-results');
  });

  describe('writeSection', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-results-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('creates the file with its directory, then replaces only its own section', () => {
      const file = path.join(dir, 'nested', 'BENCHMARKS.md');
      writeSection('bench', 'first bench', file);
      writeSection('loadtest', 'first loadtest', file);
      writeSection('bench', 'second bench', file);
      const text = readFileSync(file, 'utf8');
      expect(text).toContain('<!-- bench:start -->\nsecond bench\n<!-- bench:end -->');
      expect(text).toContain('<!-- loadtest:start -->\nfirst loadtest\n<!-- loadtest:end -->');
      expect(text).not.toContain('first bench');
    });

    it('keeps what is outside the sections', () => {
      const file = path.join(dir, 'kept.md');
      writeFileSync(file, '# Mine\n\nnotes\n\n<!-- bench:start -->\nold\n<!-- bench:end -->\n\ntail\n');
      writeSection('bench', 'new', file);
      expect(readFileSync(file, 'utf8')).toBe(
        '# Mine\n\nnotes\n\n<!-- bench:start -->\nnew\n<!-- bench:end -->\n\ntail\n',
      );
    });
  });
});
