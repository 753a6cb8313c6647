import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';

/** Our own files, copied beside the compiled code by the build (scripts/build.mjs). */
const OWN_ASSETS = new URL('./assets/', import.meta.url);

interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

function load(): Record<string, Asset> {
  const own = (name: string) => readFileSync(new URL(name, OWN_ASSETS));
  return {
    'htmx.js': {
      type: 'text/javascript; charset=utf-8',
      body: readFileSync(createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js')),
    },
    'dashboard.js': { type: 'text/javascript; charset=utf-8', body: own('dashboard.js') },
    'dashboard.css': { type: 'text/css; charset=utf-8', body: own('dashboard.css') },
  };
}

/** The dashboard's three files, served by the process itself (no CDN): htmx, our script, our styles. */
export async function assetRoutes(app: FastifyInstance): Promise<void> {
  const assets = load();
  app.get<{ Params: { name: string } }>('/assets/:name', async (request, reply) => {
    const asset = assets[request.params.name];
    if (!asset) return reply.callNotFound();
    return reply.type(asset.type).header('Cache-Control', 'public, max-age=3600').send(asset.body);
  });
}
