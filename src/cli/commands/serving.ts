import cluster from 'node:cluster';
import { type Logger, pino } from 'pino';
import type { Config } from '../../config/config.js';
import { runPrimary, runWorker } from '../../server/cluster.js';
import { firstStartBanners } from '../../server/first-start.js';
import { sandboxKeyWarning } from '../../server/key-encryption-key.js';
import { createLogger } from '../../server/logger.js';
import { exitSoonAfterStop, StopRequest } from '../../server/shutdown.js';
import { startServer } from '../../server/start-server.js';

/** `lean-auth serve`'s work: the server (WORKERS processes of it) until SIGTERM or SIGINT. */
export async function serve(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel, pino.destination({ fd: 1, sync: false }));
  try {
    // Once per start: by the primary, not by each worker (nor by any other command).
    const warning = cluster.isWorker ? undefined : sandboxKeyWarning(config);
    if (warning) logger.warn(warning);
    if (cluster.isWorker) await runWorker(config, logger);
    else if (config.workers > 1) await runPrimary(config, logger);
    else await runSingle(config, logger);
  } finally {
    logger.flush();
    exitSoonAfterStop();
  }
}

/** WORKERS=1: one process that listens itself, and on a signal stops accepting, drains and closes. */
async function runSingle(config: Config, logger: Logger): Promise<void> {
  const stop = new StopRequest();
  const server = await startServer(config, logger);
  process.stderr.write(firstStartBanners(config, server, server.adminUrl));
  logger.info(
    { url: server.url, adminUrl: `${server.adminUrl}/admin/v1`, issuer: config.issuer, env: config.env },
    'lean-auth is listening',
  );
  logger.info({ signal: await stop.reason }, 'shutting down');
  await server.close();
}
