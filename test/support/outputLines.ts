import type { Readable } from 'node:stream';

/**
 * Appends a child process's output to `lines`, one entry per complete line. A pipe delivers bytes in chunks that
 * end anywhere, also inside a line (and inside a UTF-8 character): splitting each chunk on its own once cut an audit
 * line in two, so a test counting them saw 399 of 400. What is left after the last newline waits for the next chunk;
 * a last line without a newline is kept when the stream ends.
 */
export function collectLines(stream: Readable, lines: string[]): void {
  stream.setEncoding('utf8');
  let partial = '';
  const push = (line: string) => {
    if (line !== '') lines.push(line);
  };
  stream.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    parts.forEach(push);
  });
  stream.on('end', () => {
    push(partial);
    partial = '';
  });
}
