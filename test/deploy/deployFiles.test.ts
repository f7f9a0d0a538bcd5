import { spawnSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PRIVATE_KEY_FILE } from '../../src/cli/setup.js';
import { loadConfig } from '../../src/config.js';
import { ConfigError, WEBHOOK_PATH } from '../../src/vocabulary.js';
import { buildHarness } from '../support/harness.js';
import { at, parseYaml, type YamlValue } from './yamlFile.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(`${ROOT}${path}`, 'utf8');

// The credential variables; the blueprint and the compose example use a PAT, the others are alternatives.
const SECRET_VARIABLES = ['PAT', 'SIGNING_KEY', 'ZITADEL_KEY_JSON', 'ZITADEL_CLIENT_SECRET'];

/**
 * The variables the service cannot start without, read from the config loader itself (so this test follows it when
 * a variable becomes required), plus PAT as the credential the examples use.
 */
function requiredVariables(): string[] {
  try {
    loadConfig({});
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const named = error.problems
      .map((problem) => /^([A-Z][A-Z0-9_]+) /.exec(problem)?.[1])
      .filter((name) => name !== undefined);
    expect(error.problems.some((problem) => problem.startsWith('credential missing'))).toBe(true);
    return [...new Set([...named, 'PAT'])];
  }
  throw new Error('loadConfig accepted an empty environment');
}

/** The health paths must exist in the app, whatever they answer (readiness may be 503 without a ZITADEL). */
async function appServes(path: string): Promise<boolean> {
  const res = await request(
    buildHarness({ ZITADEL_TIMEOUT_MS: '100', ENFORCEMENT_DEADLINE_MS: '500' }, 'http://127.0.0.1:9').app,
  ).get(path);
  return res.status !== 404;
}

const REQUIRED_VALUES = { INSTANCE_URL: 'https://example.zitadel.cloud', PAT: 'x', SIGNING_KEY: 'y' };

const asMap = (value: YamlValue) => {
  expect(typeof value === 'object' && !Array.isArray(value)).toBe(true);
  return value as Record<string, YamlValue>;
};

describe('the required variables', () => {
  it('are INSTANCE_URL, SIGNING_KEY and a credential', () => {
    expect(requiredVariables().sort()).toEqual(['INSTANCE_URL', 'PAT', 'SIGNING_KEY']);
  });
});

describe('render.yaml', () => {
  const blueprint = parseYaml(read('render.yaml'));
  const service = asMap(at(blueprint, 'services', 0));

  it('is a Node web service built with npm ci && npm run build and started with npm start', () => {
    expect(service).toMatchObject({
      type: 'web',
      runtime: 'node',
      buildCommand: 'npm ci && npm run build',
      startCommand: 'npm start',
    });
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.start).toBe('node --enable-source-maps dist/main.js');
    expect(scripts.build).toContain('tsc');
  });

  it('listens on every interface (HOST=0.0.0.0), which Render routes to, whatever the default', () => {
    const envVars = (at(service, 'envVars') as YamlValue[]).map(asMap);
    expect(envVars.find((entry) => entry.key === 'HOST')).toEqual({ key: 'HOST', value: '0.0.0.0' });
    expect(loadConfig({ ...REQUIRED_VALUES, HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
  });

  it('checks health on /readyz, which the app serves', async () => {
    expect(service.healthCheckPath).toBe('/readyz');
    expect(await appServes('/readyz')).toBe(true);
  });

  it('asks for every required variable, and never holds a secret value', () => {
    const envVars = (at(service, 'envVars') as YamlValue[]).map(asMap);
    const byKey = new Map(envVars.map((entry) => [entry.key as string, entry]));
    for (const name of requiredVariables())
      expect(byKey.get(name), name).toEqual({ key: name, sync: 'false' });
    for (const entry of envVars) {
      const key = entry.key as string;
      if (SECRET_VARIABLES.includes(key)) expect(entry, key).not.toHaveProperty('value');
    }
    // Each value the blueprint does set is one the config accepts.
    const plain = Object.fromEntries(
      envVars
        .filter((entry) => typeof entry.value === 'string')
        .map((entry) => [entry.key as string, entry.value as string]),
    );
    expect(() =>
      loadConfig({ ...plain, INSTANCE_URL: 'https://example.zitadel.cloud', PAT: 'x', SIGNING_KEY: 'y' }),
    ).not.toThrow();
  });
});

describe('vercel.json and api/index.js', () => {
  const vercel = JSON.parse(read('vercel.json')) as {
    framework: unknown;
    build: { env: Record<string, string> };
    functions: Record<string, { maxDuration: number }>;
    rewrites: { source: string; destination: string }[];
  };

  it('routes the webhook, both health paths and the metrics to the one function', async () => {
    const routed = new Map(vercel.rewrites.map((rewrite) => [rewrite.source, rewrite.destination]));
    for (const path of [WEBHOOK_PATH, '/healthz', '/readyz', '/metrics'])
      expect(routed.get(path), path).toBe('/api');
    for (const path of ['/healthz', '/readyz', '/metrics']) expect(await appServes(path), path).toBe(true);
    // The function is the build's output (dist/vercel.js), handed over by api/index.js; see vercelBuild.test.ts.
    expect(read('api/index.js')).toContain("export { default } from '../dist/vercel.js';");
    expect(existsSync(`${ROOT}src/vercel.ts`)).toBe(true);
    expect(Object.keys(vercel.functions)).toEqual(['api/index.js']);
  });

  it('lets the function outlive the enforcement deadline, and keeps Vercel from parsing the body first', () => {
    const defaultDeadlineSeconds = 8;
    expect(vercel.functions['api/index.js']!.maxDuration).toBeGreaterThan(defaultDeadlineSeconds);
    expect(vercel.build.env.NODEJS_HELPERS).toBe('0');
    // No framework detection: Vercel's Express preset would look for an app in src/ and find createApp's module.
    expect(vercel.framework).toBeNull();
  });
});

describe('docker-compose.yml', () => {
  const compose = parseYaml(read('docker-compose.yml'));
  const limiter = asMap(at(compose, 'services', 'limiter'));
  const text = read('docker-compose.yml');

  it('builds the image, reads .env, restarts, and checks /readyz on the pinned port', async () => {
    expect(limiter).toMatchObject({
      build: '.',
      env_file: '.env',
      restart: 'unless-stopped',
      // Every interface inside the container, or the published port reaches nothing.
      environment: { HOST: '0.0.0.0', PORT: '3000' },
      // Loopback by default: /metrics has no authentication.
      ports: ['127.0.0.1:3000:3000'],
    });
    expect(at(limiter, 'healthcheck', 'start_period')).toBe('5s');
    const test = at(limiter, 'healthcheck', 'test') as string[];
    expect(test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    expect(test[3]).toContain('http://127.0.0.1:3000/readyz');
    expect(await appServes('/readyz')).toBe(true);
  });

  it('gets every required variable from .env, as .env.example lists them', () => {
    const example = read('.env.example');
    for (const name of requiredVariables()) expect(example, name).toMatch(new RegExp(`^${name}=`, 'm'));
  });

  it('documents the deny list a local ZITADEL needs, by release, with its whole default', () => {
    // v4.13 and earlier read Executions.DenyList; HTTPClient.DenyList exists only after (FACTS.md, section 2).
    expect(text).toContain('v4.13 and earlier: ZITADEL_EXECUTIONS_DENYLIST');
    expect(text).toContain('localhost,127.0.0.0/8,::1,0.0.0.0,::');
    expect(text).toContain('after v4.13: ZITADEL_HTTPCLIENT_DENYLIST');
    for (const range of [
      'localhost',
      '127.0.0.0/8',
      '172.16.0.0/12',
      '192.168.0.0/16',
      '169.254.0.0/16',
      'fe80::/10',
    ]) {
      expect(text).toContain(range);
    }
  });
});

/** The Node version a file pins, as [major, minor, patch]. */
function pinnedVersion(version: string | undefined): number[] {
  expect(version, 'a pinned x.y.z version').toMatch(/^[0-9]+\.[0-9]+\.[0-9]+$/);
  return (version ?? '').split('.').map(Number);
}

/** Whether package.json's engines range (`^a.b.c || ^d.e.f …`) admits a version. */
function enginesAdmit(range: string, version: readonly number[]): boolean {
  return range.split('||').some((part) => {
    const floor = /^\^([0-9]+)\.([0-9]+)\.([0-9]+)$/.exec(part.trim());
    expect(floor, `engines part ${part}`).not.toBeNull();
    const [major, minor, patch] = (floor ?? []).slice(1).map(Number) as [number, number, number];
    const [vMajor = 0, vMinor = 0, vPatch = 0] = version;
    return vMajor === major && (vMinor > minor || (vMinor === minor && vPatch >= patch));
  });
}

describe('Node versions', () => {
  const dockerVersion = /^ARG NODE_VERSION=(\S+)$/m.exec(read('Dockerfile'))?.[1];
  const renderVersion = (
    (at(parseYaml(read('render.yaml')), 'services', 0, 'envVars') as YamlValue[])
      .map(asMap)
      .find((entry) => entry.key === 'NODE_VERSION') ?? {}
  ).value as string | undefined;
  const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;

  it('deploys on Node 24 LTS, pinned to one release, the same in the image and on Render', () => {
    expect(pinnedVersion(dockerVersion)[0]).toBe(24);
    expect(renderVersion).toBe(dockerVersion);
    for (const line of read('Dockerfile')
      .split('\n')
      .filter((text) => text.startsWith('FROM ')))
      expect(line).toMatch(/^FROM node:\$\{NODE_VERSION\}-bookworm-slim( AS build)?$/);
  });

  it("admits the deployed release and the Node this suite runs on, and no major it has not met (Vercel's pick)", () => {
    expect(enginesAdmit(engines, pinnedVersion(dockerVersion))).toBe(true);
    expect(enginesAdmit(engines, process.versions.node.split('.').map(Number))).toBe(true);
    // Vercel deploys the highest major the range admits: an open range (>=) would move it to an untried major.
    expect(engines).not.toMatch(/[<>]/);
    expect(enginesAdmit(engines, [26, 0, 0])).toBe(false);
  });
});

describe('.gitignore', () => {
  const ignored = read('.gitignore').split('\n');

  it('covers every variables file but the template, and the key file .env.example suggests', () => {
    expect(ignored).toEqual(expect.arrayContaining(['.env', '.env.*', '!.env.example']));
    const suggested = /ZITADEL_KEY_FILE=\.\/(\S+)/.exec(read('.env.example'))?.[1];
    expect(suggested).toBe('service-account-key.json');
    expect(ignored).toContain(suggested);
  });

  it.each([
    DEFAULT_PRIVATE_KEY_FILE,
    'payload-key.pem',
    'keys/jwe-private.pem',
    'decryption.key',
    'service-account-key.json',
    'my-sa-key.json',
  ])('covers the key file %s (what setup and ZITADEL can write beside the checkout)', (file) => {
    // Git's own matcher, on the .gitignore of this checkout: no re-implementation of its glob rules to drift.
    const check = spawnSync('git', ['check-ignore', '--no-index', '--quiet', file], { cwd: ROOT });
    expect(check.status, `${file} is not covered by .gitignore`).toBe(0);
  });

  it('still tracks the template and the sources', () => {
    for (const file of ['.env.example', 'src/cli/setup.ts', 'package.json']) {
      const check = spawnSync('git', ['check-ignore', '--no-index', '--quiet', file], { cwd: ROOT });
      expect(check.status, `${file} is ignored`).toBe(1);
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('runs as node, stops on SIGTERM and checks liveness on /healthz, which the app serves', async () => {
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^STOPSIGNAL SIGTERM$/m);
    // The build ships source maps: the image either uses them or would ship dead weight.
    expect(dockerfile).toMatch(/^CMD \["node", "--enable-source-maps", "dist\/main\.js"\]$/m);
    expect(read('tsconfig.build.json')).toContain('"sourceMap": true');
    expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*\/healthz/);
    expect(await appServes('/healthz')).toBe(true);
  });

  it('listens on every interface of the container (HOST=0.0.0.0 in the runtime stage), a value the config accepts', () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const env = /^ENV ((?:.*\\\n)*.*)$/m.exec(runtime)?.[1] ?? '';
    const host = /\bHOST=(\S+)/.exec(env)?.[1];
    expect(host).toBe('0.0.0.0');
    expect(loadConfig({ ...REQUIRED_VALUES, HOST: host }).host).toBe('0.0.0.0');
  });
});
