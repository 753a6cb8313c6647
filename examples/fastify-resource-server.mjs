// A resource server on Fastify that accepts lean-auth's access tokens.
//   LEAN_AUTH_URL=http://localhost:8080 PORT=3000 node examples/fastify-resource-server.mjs
// GET /api needs a token of scope api; GET /customers/:id/profile a token of scope customer.<id>.
import Fastify from 'fastify';
import { leanAuthFastify } from 'lean-auth/verify';

const issuer = process.env.LEAN_AUTH_URL ?? 'http://localhost:8080';
const app = Fastify();

await app.register(async (api) => {
  await api.register(leanAuthFastify, { issuer, scope: 'api' });
  api.get('/api', async (request) => ({ hello: request.accessToken.client_id }));
});

await app.register(async (customers) => {
  await customers.register(leanAuthFastify, { issuer, scope: (request) => `customer.${request.params.id}` });
  customers.get('/customers/:id/profile', async (request) => ({ customer: request.accessToken.customer_id }));
});

const url = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
console.log(`listening on ${url}`);
