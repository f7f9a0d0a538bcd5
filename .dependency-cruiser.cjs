// The module structure, checked by `npm run depcheck` (dependency-cruiser) in CI: two wings, the service (http/,
// devices/, app.ts) and the operator CLI (cli/), stand on shared lower modules and never on each other; imports only point
// down; config.ts (the environment parser) is read by the entry points alone; nothing goes round in a circle.

// The entry points that wire everything; only they may read the environment through config.ts.
const COMPOSITION_ROOTS = '^src/(main|service|vercel|cli)[.]ts$';
// The CLI's one door to config.ts: its commands read their variables through it.
const CLI_CONFIG_LOADING = '^src/cli/environment[.]ts$';
// The shared floor both wings stand on.
const LOWER_MODULES =
  '^src/((policy|signature|webhook|zitadel|enforcement|logging|metrics|util)/|vocabulary[.]ts$)';
const CLI_WING = '^src/(cli/|cli[.]ts$)';
const SERVICE_WING = '^src/(http/|devices/|(app|service|main|vercel)[.]ts$)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A circle makes two modules one: split out what both need, or pass it in.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'config-only-from-roots',
      severity: 'error',
      comment:
        'config.ts parses the environment; the shapes it fills live in vocabulary.ts. Import those, and let the ' +
        'composition roots (main, service, vercel, cli, and the CLI through cli/environment.ts) read the environment.',
      from: { path: '^src/', pathNot: [COMPOSITION_ROOTS, CLI_CONFIG_LOADING] },
      to: { path: '^src/config[.]ts$' },
    },
    {
      name: 'lower-modules-point-down',
      severity: 'error',
      comment:
        'A lower module (policy, signature, webhook, zitadel, enforcement, logging, metrics, util, vocabulary) is ' +
        'shared by both wings: it may not import either of them, an entry point or config.ts.',
      from: { path: LOWER_MODULES },
      to: { path: [CLI_WING, SERVICE_WING, '^src/config[.]ts$'] },
    },
    {
      name: 'vocabulary-imports-nothing-of-ours',
      severity: 'error',
      comment: 'vocabulary.ts sits below everything, so that any module may import it.',
      from: { path: '^src/vocabulary[.]ts$' },
      to: { path: '^src/' },
    },
    {
      name: 'cli-apart-from-service',
      severity: 'error',
      comment: 'The operator CLI stands on the lower modules, never on the HTTP layer or the service wiring.',
      from: { path: CLI_WING },
      to: { path: SERVICE_WING },
    },
    {
      name: 'service-apart-from-cli',
      severity: 'error',
      comment: 'The service never loads the operator CLI (its admin API included).',
      from: { path: SERVICE_WING },
      to: { path: CLI_WING },
    },
    {
      name: 'cli-loads-no-http-stack',
      severity: 'error',
      comment: 'Printing the CLI help must not load Express, morgan or prom-client, even through a package.',
      from: { path: '^src/cli[.]ts$' },
      to: { path: 'node_modules/(express|morgan|prom-client)/', reachable: true },
    },
  ],
  options: {
    // Type-only imports count: a circle of types is still a circle, and a lower module naming an upper type
    // still depends on it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    moduleSystems: ['es6', 'cjs'],
  },
};
