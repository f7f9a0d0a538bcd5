import { existsSync } from 'node:fs';
import path from 'node:path';
import dotenv from 'dotenv';
import { ConfigError } from './vocabulary.js';

/** `ENV_FILE=none`: read no variables file at all (the tests' processes, and platforms that inject everything). */
export const NO_ENV_FILE = 'none';

/**
 * Fills `env` from a variables file before the configuration is parsed: `ENV_FILE` when set (a path, or `none`
 * for no file), else `.env` in the working directory when there is one. Variables already set always win. Only
 * the entry points (the server and the CLI) call this; the config loader itself never reads a file of variables.
 * Throws a ConfigError naming ENV_FILE when the file it names cannot be read (never its contents).
 */
export function loadEnvFile(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): void {
  const named = env.ENV_FILE?.trim() || undefined;
  if (named === NO_ENV_FILE) return;
  const file = path.resolve(cwd, named ?? '.env');
  // The default file is optional; a file named on purpose must be there.
  if (named === undefined && !existsSync(file)) return;
  const result = dotenv.config({ path: file, processEnv: env, quiet: true });
  if (result.error === undefined) return;
  throw new ConfigError([
    named === undefined
      ? `.env cannot be read (check its permissions, or set ENV_FILE=${NO_ENV_FILE} to read no file)`
      : `ENV_FILE cannot be read (check the path and its permissions, or set ENV_FILE=${NO_ENV_FILE})`,
  ]);
}
