import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importGraphOf } from '../support/importGraph.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const source = (file: string) => path.join(root, 'src', file);

// The service's HTTP stack: the operator CLI must not load it (printing `--help` should not start Express).
const SERVICE_ONLY_PACKAGES = ['express', 'morgan', 'prom-client'];

describe('the operator CLI is its own wing', () => {
  const cli = importGraphOf(source('cli.ts'));

  it('reaches no express, morgan or prom-client through its static imports', () => {
    expect([...cli.packages].filter((name) => SERVICE_ONLY_PACKAGES.includes(name))).toEqual([]);
  });

  it('reaches none of the HTTP layer, app.ts or service.ts', () => {
    const serviceFiles = [...cli.files]
      .map((file) => path.relative(root, file))
      .filter((file) => /^src[\\/](http[\\/]|app\.ts$|service\.ts$|main\.ts$|vercel\.ts$)/.test(file));
    expect(serviceFiles).toEqual([]);
  });

  it('does walk the whole CLI: its commands, the shared transport and their packages', () => {
    for (const file of ['cli/setup.ts', 'cli/doctor.ts', 'cli/adminApi/adminApi.ts', 'zitadel/transport.ts'])
      expect(cli.files).toContain(source(file));
    expect(cli.packages).toContain('axios');
    expect(cli.packages).toContain('zod');
  });

  it('tells the service wing apart: the server entry does reach all three', () => {
    const service = importGraphOf(source('main.ts'));
    for (const name of SERVICE_ONLY_PACKAGES) expect(service.packages).toContain(name);
  });
});
