import cluster from 'node:cluster';
import { type Logger, pino } from 'pino';
import type { Config } from '../../config/config.js';
import { runPrimary, runWorker } from '../../server/cluster.js';
import { firstStartBanners } from '../../server/first-start.js';
import { sandboxKeyWarning } from '../../server/key-encryption-key.js';
import { createLogger } from '../../server/logger.js';
import { exitSoonAfterStop, StopRequest } from '../../server/shutdown.js';
import { startServer } from '../../server/start-server.js';
import type { Command } from '../command.js';

/** `lean-auth serve`: runs the server (WORKERS processes of it) until SIGTERM or SIGINT. */
export const serveCommand: Command = {
  usage: 'serve',
  summary: 'run the authorization server (what npm start runs)',
  async run({ config }) {
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
    return { json: null, text: '' };
  },
};

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
