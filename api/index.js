// Vercel's function entry. The app is TypeScript in src/vercel.ts; `npm run build` (vercel.json's buildCommand)
// compiles it to dist/, and this file hands Vercel exactly that build output: no second compiler, no src/ at run time.
export { default } from '../dist/vercel.js';
