import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { readinessOf, ruleCheckOf } from '../../src/http/readiness.js';
import { startupLine } from '../../src/http/startupReport.js';
import { prepareServer } from '../../src/service.js';
import { ConfigError } from '../../src/vocabulary.js';
import { ISOLATED_ENV } from './limiterProcess.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Why the server would refuse to start with `env`: what src/main.ts prints after "cannot start", from the same
 * steps it takes (prepareServer: the variables file, the configuration, the wiring), in this process. A refusal
 * needs no process of its own: one process-level test proves how main.ts reports one (exit 78 and its wording, in
 * credentials.test.ts). `cwd` is where a `.env` would be looked for. Throws when the server would start instead.
 */
export function startupRefusal(env: Record<string, string>, options: { readonly cwd?: string } = {}): string {
  try {
    prepareServer({ ...ISOLATED_ENV, ...env }, () => undefined, options.cwd ?? ROOT);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('the server would start: no configuration error');
}

export interface LimiterInProcess {
  readonly url: string;
  /** Everything the server logged, line by line, as its process would print it. */
  readonly output: string[];
  /** The start-up line, parsed: logged as src/main.ts logs it, after its first ZITADEL checks. */
  readonly startupLine: Record<string, unknown>;
  stop(): Promise<void>;
}

/**
 * The server as src/main.ts starts it (prepareServer, listening, then the start-up line from startupLine), in this
 * process: for what the start-up checks report, which needs no process of its own. Process-level behaviour (exit
 * codes, signals, the listening line) stays with startLimiter.
 */
export async function startLimiterInProcess(env: Record<string, string>): Promise<LimiterInProcess> {
  const output: string[] = [];
  const { config, logger, app } = prepareServer(
    { ...ISOLATED_ENV, ...env },
    (line) => output.push(line),
    ROOT,
  );
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const { level, msg, fields } = await startupLine(config, readinessOf(app), ruleCheckOf(app));
  logger[level](msg, fields);
  const line = output.find((text) => text.includes('zitadel-session-limiter started'));
  if (line === undefined) throw new Error(`no start-up line:\n${output.join('\n')}`);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    output,
    startupLine: JSON.parse(line) as Record<string, unknown>,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
