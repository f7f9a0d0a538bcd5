import { describe, expect, it } from 'vitest';
import type { LogLevel } from '../../src/vocabulary.js';
import { createLogger, type Logger } from '../../src/logging/logger.js';

function capture(level: LogLevel): {
  logger: Logger;
  lines: string[];
  records: () => Record<string, unknown>[];
} {
  const lines: string[] = [];
  const logger = createLogger(level, (line) => lines.push(line));
  return { logger, lines, records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

function logAtEveryLevel(logger: Logger): void {
  logger.debug('d');
  logger.info('i');
  logger.warn('w');
  logger.error('e');
}

describe('createLogger', () => {
  it.each([
    ['debug', ['debug', 'info', 'warn', 'error']],
    ['info', ['info', 'warn', 'error']],
    ['warn', ['warn', 'error']],
    ['error', ['error']],
  ] as const)('at level %s writes only %j', (level, expected) => {
    const { logger, records } = capture(level);
    logAtEveryLevel(logger);
    expect(records().map((record) => record.level)).toEqual(expected);
  });

  it('writes nothing when silent', () => {
    const { logger, lines } = capture('silent');
    logAtEveryLevel(logger);
    logger.child({ requestId: 'r1' }).error('still nothing');
    expect(lines).toEqual([]);
  });

  it('writes one JSON object per line with time, level, message and fields', () => {
    const { logger, lines } = capture('info');
    logger.info('sessions evicted', { userId: '42', deleted: 2, dryRun: false, ids: ['1', '2'] });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(record).toEqual({
      time: expect.any(String) as unknown,
      level: 'info',
      msg: 'sessions evicted',
      userId: '42',
      deleted: 2,
      dryRun: false,
      ids: ['1', '2'],
    });
    expect(Number.isNaN(Date.parse(record.time as string))).toBe(false);
  });

  it('merges the fields of a child into every line, letting a call override them', () => {
    const { logger, records } = capture('info');
    const child = logger.child({ requestId: 'r1', userId: '42' });
    child.info('first', { userId: '43' });
    child.child({ sessionId: 's1' }).warn('second');
    logger.info('parent');
    expect(records()).toMatchObject([
      { msg: 'first', requestId: 'r1', userId: '43' },
      { msg: 'second', requestId: 'r1', userId: '42', sessionId: 's1' },
      { msg: 'parent' },
    ]);
    expect(records()[2]).not.toHaveProperty('requestId');
  });

  it('does not change the parent when a child is made', () => {
    const { logger, records } = capture('info');
    logger.child({ requestId: 'r1' });
    logger.info('plain');
    expect(records()[0]).not.toHaveProperty('requestId');
  });

  it.each([
    'token',
    'sessionToken',
    'accessToken',
    'password',
    'authorization',
    'Authorization',
    'signature',
    'secret',
    'clientSecret',
    'signingKey',
    'apiKey',
    'cookie',
    'body',
    'payload',
    'eventPayload',
  ])('redacts a field named %s', (name) => {
    const { logger, lines, records } = capture('info');
    logger.info('x', { [name]: 'hunter2-value' });
    expect(records()[0]).toMatchObject({ [name]: '[redacted]' });
    expect(lines[0]).not.toContain('hunter2-value');
  });

  it('redacts secret-named fields bound to a child', () => {
    const { logger, lines } = capture('info');
    logger.child({ authorization: 'Bearer hunter2-value' }).info('x');
    expect(lines[0]).not.toContain('hunter2-value');
    expect(JSON.parse(lines[0]!)).toMatchObject({ authorization: '[redacted]' });
  });

  it('leaves ordinary fields alone', () => {
    const { logger, records } = capture('info');
    logger.info('x', { userId: '42', sessionId: '77', foreignRows: 0, status: 'deny' });
    expect(records()[0]).toMatchObject({ userId: '42', sessionId: '77', foreignRows: 0, status: 'deny' });
  });

  it('drops undefined fields', () => {
    const { logger, records } = capture('info');
    logger.child({ requestId: undefined }).info('x', { userId: undefined, counted: 3 });
    const record = records()[0]!;
    expect(record).not.toHaveProperty('userId');
    expect(record).not.toHaveProperty('requestId');
    expect(record).toHaveProperty('counted', 3);
  });
});

describe('createLogger keeps its own keys and hides body-like fields', () => {
  it('does not let a field overwrite time, level or msg', () => {
    const { logger, records } = capture('info');
    logger.info('real message', { level: 'error', msg: 'forged', time: 'never' });
    const [record] = records();
    expect(record).toMatchObject({ level: 'info', msg: 'real message' });
    expect(record?.time).not.toBe('never');
  });

  it('redacts fields named rawBody or requestBody', () => {
    const { logger, lines } = capture('info');
    logger.info('x', { rawBody: '{"password":"p"}', requestBody: 'b' });
    expect(lines.join('')).not.toContain('password');
    expect(lines.join('')).toContain('[redacted]');
  });
});
