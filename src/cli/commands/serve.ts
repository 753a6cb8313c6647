import { pino } from 'pino';
import { createLogger } from '../../server/logger.js';
import { demoBanner, startServer } from '../../server/start-server.js';
import type { Command } from '../command.js';

/** `lean-auth serve`: runs the server until SIGTERM or SIGINT. */
export const serveCommand: Command = {
  usage: 'serve',
  summary: 'run the authorization server (what npm start runs)',
  async run({ config }) {
    const logger = createLogger(config.logLevel, pino.destination({ fd: 1, sync: false }));
    const server = await startServer(config, logger);
    if (server.demo) process.stdout.write(demoBanner(server.demo, `${config.issuer}/oauth2/token`));
    logger.info({ url: server.url, issuer: config.issuer, env: config.env }, 'lean-auth is listening');

    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        logger.info({ signal }, 'shutting down');
        server.close().then(resolve, (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          resolve();
        });
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    logger.flush();
    return { json: null, text: '' };
  },
};
