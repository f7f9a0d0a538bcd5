#!/usr/bin/env node
// The operator CLI: `zitadel-session-limiter setup | sessions | enforce | sweep`. See `src/cli/runCli.ts`.
import dotenv from 'dotenv';
import { runCli } from './cli/runCli.js';

// Same as the service: .env is read when present and never overrides variables already set.
dotenv.config({ quiet: true });

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  now: Date.now,
});
