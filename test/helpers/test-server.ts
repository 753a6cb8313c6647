import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { type Config, loadConfig } from '../../src/config/config.js';
import type { Clock } from '../../src/domain/clock.js';
import { buildHttpApp } from '../../src/server/http-app.js';
import { openServices, type Services } from '../../src/server/services.js';

/** A fresh temporary folder, removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'lean-auth-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A configuration over a new SQLite file in a temporary folder; `env` overrides any variable. */
export function testConfig(dir: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    DATABASE_URL: `sqlite:${join(dir, 'lean-auth.db')}`,
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'silent',
    ...env,
  });
}

export interface TestServer {
  readonly services: Services;
  readonly app: FastifyInstance;
  readonly config: Config;
  /** A new application with both token classes; returns its credentials. */
  createClient(settings?: {
    tokenClasses?: string[];
    customerTokenTtl?: number;
    apiTokenTtl?: number;
  }): Promise<{
    clientId: string;
    clientSecret: string;
  }>;
  close(): Promise<void>;
}

/** The real services over a temporary SQLite store, and the HTTP app for inject(): no socket. */
export async function startTestServer(
  options: { env?: Record<string, string>; clock?: Clock; logger?: pino.Logger } = {},
): Promise<TestServer> {
  const temp = tempDir();
  const config = testConfig(temp.dir, options.env);
  const logger = options.logger ?? pino({ level: 'silent' });
  const services = await openServices(config, logger, options.clock);
  await services.keys.start();
  services.followExternalChanges();
  const app = await buildHttpApp(services, logger);
  return {
    services,
    app,
    config,
    async createClient(settings = {}) {
      const { application, clientSecret } = await services.applications.create({
        name: 'test app',
        ...settings,
      });
      return { clientId: application.clientId, clientSecret };
    },
    async close() {
      await app.close();
      await services.close();
      temp.remove();
    },
  };
}

/** A form body as a client library would send it. */
export function form(parameters: Record<string, string>): string {
  return new URLSearchParams(parameters).toString();
}

export const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' } as const;
