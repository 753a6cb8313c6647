import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { type ExpressLikeRequest, leanAuthFastify, requireAccessToken } from '../../src/kit/verify/index.js';
import { type KitServer, startKitServer } from './kit-server.js';

interface Answer {
  readonly status: number;
  readonly challenge: string | null;
  readonly body: Record<string, unknown>;
}

/** The same protected resources under both frameworks: /api needs `api`, /customers/:id that customer. */
async function fastifyResource(issuer: string): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(async (api) => {
    await api.register(leanAuthFastify, { issuer, scope: 'api', realm: 'example' });
    api.get('/api', async (request) => ({ client_id: request.accessToken?.client_id }));
  });
  await app.register(async (customers) => {
    await customers.register(leanAuthFastify, {
      issuer,
      scope: (request) => `customer.${(request.params as { id: string }).id}`,
    });
    customers.get('/customers/:id', async (request) => ({ customer_id: request.accessToken?.customer_id }));
  });
  app.get('/public', async () => ({ open: true }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app;
}

async function expressResource(issuer: string): Promise<{ url: string; close: () => Promise<void> }> {
  const app = express();
  app.get('/api', requireAccessToken({ issuer, scope: 'api', realm: 'example' }), (req, res) => {
    res.json({ client_id: (req as ExpressLikeRequest).accessToken?.client_id });
  });
  app.get(
    '/customers/:id',
    requireAccessToken<express.Request>({ issuer, scope: (req) => `customer.${req.params.id}` }),
    (req, res) => {
      res.json({ customer_id: (req as ExpressLikeRequest).accessToken?.customer_id });
    },
  );
  app.get('/public', (_req, res) => {
    res.json({ open: true });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('the Fastify plugin and the Express middleware (RFC 6750)', { timeout: 120_000 }, () => {
  let kit: KitServer;
  const resources: Record<string, string> = {};
  const closers: (() => Promise<unknown>)[] = [];

  before(async () => {
    kit = await startKitServer();
    const fastify = await fastifyResource(kit.issuer);
    resources.fastify = `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`;
    closers.push(() => fastify.close());
    const ex = await expressResource(kit.issuer);
    resources.express = ex.url;
    closers.push(ex.close);
  });
  after(async () => {
    for (const close of closers) await close();
    await kit?.close();
  });

  for (const framework of ['fastify', 'express']) {
    describe(framework, () => {
      const get = async (path: string, authorization?: string): Promise<Answer> => {
        const response = await fetch(`${resources[framework]}${path}`, {
          headers: authorization === undefined ? {} : { authorization },
        });
        return {
          status: response.status,
          challenge: response.headers.get('www-authenticate'),
          body: (await response.json()) as Record<string, unknown>,
        };
      };

      it('lets a token with the scope through, with its claims on the request', async () => {
        const api = await get('/api', `Bearer ${await kit.issueToken()}`);
        assert.deepEqual([api.status, api.body], [200, { client_id: kit.client.clientId }]);
        const lowercase = await get('/api', `bearer ${await kit.issueToken()}`);
        assert.equal(lowercase.status, 200);
        const customer = await get(
          `/customers/${kit.customerId}`,
          `Bearer ${await kit.issueToken(`customer.${kit.customerId}`)}`,
        );
        assert.deepEqual([customer.status, customer.body], [200, { customer_id: kit.customerId }]);
        assert.equal((await get('/public')).status, 200);
      });

      it('answers a request without credentials 401 with a bare challenge (§3.1)', async () => {
        const answer = await get('/api');
        assert.equal(answer.status, 401);
        assert.equal(answer.challenge, 'Bearer realm="example"');
      });

      it('answers another scheme or a malformed header 400 invalid_request', async () => {
        for (const header of ['Basic Zm9vOmJhcg==', 'Bearer', 'Bearer two tokens', 'Bearer tok"en']) {
          const answer = await get('/api', header);
          assert.equal(answer.status, 400, header);
          assert.match(
            answer.challenge ?? '',
            /^Bearer realm="example", error="invalid_request", error_description="[^"]+"$/,
          );
          assert.equal(answer.body.error, 'invalid_request');
        }
      });

      it('answers a bad, revoked-looking or foreign token 401 invalid_token', async () => {
        for (const token of ['abc.def.ghi', 'garbage']) {
          const answer = await get('/api', `Bearer ${token}`);
          assert.equal(answer.status, 401);
          assert.match(
            answer.challenge ?? '',
            /error="invalid_token", error_description="the access token is malformed"/,
          );
          assert.deepEqual(Object.keys(answer.body).sort(), ['error', 'error_description']);
        }
      });

      it('answers a token without the scope 403 insufficient_scope, naming the scope', async () => {
        const answer = await get('/api', `Bearer ${await kit.issueToken(`customer.${kit.customerId}`)}`);
        assert.equal(answer.status, 403);
        assert.match(answer.challenge ?? '', /error="insufficient_scope", .*scope="api"$/);
        const other = await get(
          '/customers/00000000-0000-4000-8000-000000000000',
          `Bearer ${await kit.issueToken()}`,
        );
        assert.equal(other.status, 403);
        assert.match(other.challenge ?? '', /scope="customer\.00000000-0000-4000-8000-000000000000"/);
      });
    });
  }
});
