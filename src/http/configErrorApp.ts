import express, { type Express } from 'express';

/**
 * What a serverless deployment serves when its environment is invalid: every request gets a 503 naming the bad
 * variables (never their values; ConfigError guarantees that), instead of a function that crashes on every cold
 * start and tells ZITADEL and the operator nothing.
 */
export function configErrorApp(problems: readonly string[]): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.status(503).json({ error: 'invalid_configuration', problems });
  });
  return app;
}
