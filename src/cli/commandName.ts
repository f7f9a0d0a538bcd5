/**
 * The command line that runs the CLI, as usage lines and hints print it. In a checkout the package's `bin` name is
 * not on PATH (the package is not published, and nothing links it), so a hint naming it would send a newcomer to
 * "command not found"; `npm run cli --` works right after `npm ci`. In the Docker image (no dev dependencies, so no
 * tsx) the same CLI is `node dist/cli.js`, which MAIN_HELP mentions.
 */
export const CLI_COMMAND = 'npm run cli --';
