#!/usr/bin/env node
// The operator CLI (`npm run cli -- setup | doctor | sessions | enforce | sweep` in a checkout). See `src/cli/runCli.ts`.
import { runCli } from './cli/runCli.js';
import { EXIT } from './cli/errors.js';
import { ConfigError } from './vocabulary.js';
import { loadEnvFile } from './envFile.js';

// Same as the service: .env (or ENV_FILE) is read when present and never overrides variables already set.
function loadEnvFileOrExitCode(): number | undefined {
  try {
    loadEnvFile(process.env);
    return undefined;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    return EXIT.config;
  }
}

process.exitCode =
  loadEnvFileOrExitCode() ??
  (await runCli(process.argv.slice(2), {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    now: Date.now,
  }));
