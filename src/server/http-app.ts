import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { buildApp } from '../http/build-app.js';
import type { Services } from './services.js';

/** The HTTP app over the services: the token endpoint reads only caches and the in-memory key. */
export function buildHttpApp(services: Services, logger: FastifyBaseLogger): Promise<FastifyInstance> {
  const { config, keys } = services;
  return buildApp({
    logger,
    token: {
      clients: services.clientDirectory,
      customers: services.customerDirectory,
      keys,
      clock: services.clock,
      issuer: config.issuer,
      audience: config.tokenAudience,
    },
    jwks: () => keys.jwks(),
    checkReady: async () => {
      if (!keys.ready) throw new Error('no signing key loaded');
      await services.store.ping();
    },
  });
}
