// `npm start` runs dist/main.js, which only `npm run build` writes. Without this check a fresh checkout's
// `npm start` ends in Node's ERR_MODULE_NOT_FOUND stack trace; with it, in one line that says what to run.
import { existsSync } from 'node:fs';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('dist/main.js is missing: run `npm run build` first (or `npm run dev`)\n');
  process.exit(1);
}
