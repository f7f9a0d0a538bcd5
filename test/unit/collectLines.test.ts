import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { collectLines } from '../support/outputLines.js';

/** The process tests count the limiter's log lines; a line cut by a chunk boundary must still count once. */
describe('collectLines', () => {
  async function linesOf(chunks: (string | Buffer)[]): Promise<string[]> {
    const stream = new PassThrough();
    const lines: string[] = [];
    collectLines(stream, lines);
    for (const chunk of chunks) stream.write(chunk);
    stream.end();
    await once(stream, 'end');
    return lines;
  }

  it('joins a line that a chunk boundary cut in two', async () => {
    expect(await linesOf(['{"log":"au', 'dit","n":1}\n{"log":"audit","n":2}\n'])).toEqual([
      '{"log":"audit","n":1}',
      '{"log":"audit","n":2}',
    ]);
  });

  it('joins a UTF-8 character split between chunks', async () => {
    const bytes = Buffer.from('josé\n', 'utf8');
    expect(await linesOf([bytes.subarray(0, 4), bytes.subarray(4)])).toEqual(['josé']);
  });

  it('keeps a last line that has no newline, and drops empty lines', async () => {
    expect(await linesOf(['one\n\n', 'two'])).toEqual(['one', 'two']);
  });

  it('holds back a line until its newline arrives', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    collectLines(stream, lines);
    stream.write('first\nsec');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toEqual(['first']);
    stream.end('ond\n');
    await once(stream, 'end');
    expect(lines).toEqual(['first', 'second']);
  });
});
