import { type DestinationStream, type Logger, pino } from 'pino';
import type { LogLevel } from '../config/config.js';

/**
 * The server's logger. Nothing we log carries a secret, but the paths below are censored anyway,
 * so that a future `log.info({ request })` cannot leak one.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: {
        paths: [
          'req.headers.authorization',
          'headers.authorization',
          '*.client_secret',
          'client_secret',
          '*.access_token',
          'access_token',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
