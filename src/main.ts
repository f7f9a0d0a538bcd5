import type { Server } from 'node:http';
import { ConfigError, type Config } from './vocabulary.js';
import type { Express } from 'express';
import { readinessOf, ruleCheckOf } from './http/readiness.js';
import { startupLine } from './http/startupReport.js';
import { capConnections } from './http/connectionCap.js';
import { createServerWithTimeouts } from './http/serverTimeouts.js';
import type { createLogger } from './logging/logger.js';
import { prepareServer } from './service.js';

// How long in-flight webhooks get to finish after SIGTERM. Platforms kill at 30 s (Render, Kubernetes defaults).
const SHUTDOWN_GRACE_MS = 25_000;

/** The server, wired; a ConfigError (from the environment, or a key file read while wiring) exits cleanly. */
function prepareServerOrExit(): ReturnType<typeof prepareServer> {
  try {
    return prepareServer(process.env, (line) => process.stdout.write(`${line}\n`));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`zitadel-session-limiter cannot start.\n${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}

// At most one log line per this interval while connections are being shed, however many there are.
const DROP_REPORT_INTERVAL_MS = 10_000;

/**
 * Holds MAX_CONNECTIONS (see capConnections) and logs at once that it was reached, then at most one line per
 * interval with how many connections were closed in it: a flood must not flood the log.
 */
function capAndReportConnections(
  server: Server,
  maxConnections: number,
  logger: ReturnType<typeof createLogger>,
): void {
  let evicted = 0;
  let refused = 0;
  let timer: NodeJS.Timeout | undefined;
  const shed = () => {
    if (timer !== undefined) return;
    logger.warn('MAX_CONNECTIONS reached: connections that sent no request yet make room, oldest first', {
      maxConnections,
    });
    evicted = 0;
    refused = 0;
    timer = setTimeout(() => {
      if (evicted + refused > 0)
        logger.warn('MAX_CONNECTIONS: connections closed in the last interval', {
          evicted,
          refused,
          intervalMs: DROP_REPORT_INTERVAL_MS,
          maxConnections,
        });
      timer = undefined;
    }, DROP_REPORT_INTERVAL_MS).unref();
  };
  capConnections(server, maxConnections, {
    evicted: () => {
      evicted += 1;
      shed();
    },
    refused: () => {
      refused += 1;
      shed();
    },
  });
}

function closeGracefully(server: Server, logger: ReturnType<typeof createLogger>): void {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info('shutting down: finishing in-flight requests', { signal });
    server.close(() => {
      logger.info('stopped');
      process.exit(0);
    });
    // Keep-alive connections with no request in flight would hold close() open, and a connection whose webhook
    // finishes during the drain turns idle only then: close idle ones now and again until the server is closed.
    server.closeIdleConnections();
    setInterval(() => server.closeIdleConnections(), 100).unref();
    setTimeout(() => {
      logger.error('in-flight requests did not finish in time; exiting', { graceMs: SHUTDOWN_GRACE_MS });
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/**
 * One line that says what this limiter will do, which rules are in force, degraded or unchecked, and whether ZITADEL
 * answers, once the first checks are back. They run after the server listens and never hold up start-up; /readyz
 * keeps checking afterwards.
 */
function reportStartup(config: Config, logger: ReturnType<typeof createLogger>, app: Express): void {
  void startupLine(config, readinessOf(app), ruleCheckOf(app)).then(({ level, msg, fields }) =>
    logger[level](msg, fields),
  );
}

const { config, logger, app } = prepareServerOrExit();
// Slow or stalled clients must not hold sockets for minutes (Node's defaults are 60 s and 300 s).
const server = createServerWithTimeouts(app);
// Beyond this many open connections a flood costs file descriptors and memory up to a known bound, and leaves
// descriptors for the outgoing calls to ZITADEL; silent connections make room for new ones (capConnections).
capAndReportConnections(server, config.maxConnections, logger);
// Without HOST, every interface (Node's default), as the blog sample listens: see config.ts.
server.listen(config.port, config.host);
server.on('listening', () => {
  const address = server.address();
  logger.info('zitadel-session-limiter listening', {
    host: typeof address === 'object' && address !== null ? address.address : config.host,
    port: typeof address === 'object' && address !== null ? address.port : config.port,
    limit: config.concurrentSessions,
    strategy: config.limitStrategy,
    dryRun: config.dryRun,
    acceptedKeyCount: config.signingKeys.length,
    maxConnections: config.maxConnections,
    maxBodyBytes: config.maxBodyBytes,
    metricsProtected: config.metricsToken !== undefined,
    enforceOnRequest: config.enforceOnRequest,
  });
  reportStartup(config, logger, app);
});
server.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EADDRINUSE' || error.code === 'EACCES') {
    const why = error.code === 'EADDRINUSE' ? 'is already in use' : 'may not be used by this user';
    logger.error(`port ${config.port} ${why}; set PORT to another port`, {
      code: error.code,
      port: config.port,
    });
  } else if (error.code === 'EADDRNOTAVAIL') {
    logger.error(
      'HOST is not an address of this machine; set HOST to 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)',
      { code: error.code, host: config.host },
    );
  } else {
    logger.error('server failed', { code: error.code, port: config.port });
  }
  process.exit(1);
});
closeGracefully(server, logger);
