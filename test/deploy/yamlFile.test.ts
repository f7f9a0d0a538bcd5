import { describe, expect, it } from 'vitest';
import { at, parseYaml } from './yamlFile.js';

describe('the YAML reader the deploy tests use', () => {
  it('keeps every scalar as the string written, quoted or not', () => {
    const parsed = parseYaml(
      [
        'a:',
        '  - key: X # note',
        '    sync: false',
        '  - "q: #1"',
        'b: ["CMD", "x, y"]',
        "c: 'it''s'",
        'd: 5',
      ].join('\n'),
    );
    expect(parsed).toEqual({
      a: [{ key: 'X', sync: 'false' }, 'q: #1'],
      b: ['CMD', 'x, y'],
      c: "it's",
      d: '5',
    });
  });

  it('refuses a duplicate key and a broken file instead of misreading them', () => {
    expect(() => parseYaml('a: 1\na: 2')).toThrow(/unique/i);
    expect(() => parseYaml('a:\n\tb: 1')).toThrow();
  });

  it('names the missing path', () => {
    expect(() => at(parseYaml('a:\n  b: 1'), 'a', 'c')).toThrow('no a.c in the document (stopped at c)');
  });
});
