// A backend calling an API protected by lean-auth, with a cached token client.
//   LEAN_AUTH_URL=… LEAN_AUTH_CLIENT_ID=… LEAN_AUTH_CLIENT_SECRET=… API_URL=http://localhost:3000 \
//   CUSTOMER_ID=… node examples/backend-client.mjs
import { createTokenClient, TokenRequestError } from 'lean-auth/client';

const tokens = createTokenClient({
  issuer: process.env.LEAN_AUTH_URL ?? 'http://localhost:8080',
  clientId: process.env.LEAN_AUTH_CLIENT_ID ?? '',
  clientSecret: process.env.LEAN_AUTH_CLIENT_SECRET ?? '',
});
const api = process.env.API_URL ?? 'http://localhost:3000';

/** GETs `path` of the API with a token of `scope` (the same token until shortly before it expires). */
async function call(path, scope) {
  const { accessToken } = await tokens.getToken({ scope });
  const response = await fetch(`${api}${path}`, { headers: { authorization: `Bearer ${accessToken}` } });
  console.log(`GET ${path} → ${response.status} ${await response.text()}`);
}

try {
  await call('/api', 'api');
  await call('/api', 'api'); // served from the client's cache: no second token request
  if (process.env.CUSTOMER_ID) {
    await call(`/customers/${process.env.CUSTOMER_ID}/profile`, `customer.${process.env.CUSTOMER_ID}`);
    // A token for one customer is refused for another: 403 insufficient_scope.
    const other = '00000000-0000-4000-8000-000000000000';
    await fetch(`${api}/customers/${other}/profile`, {
      headers: {
        authorization: `Bearer ${(await tokens.getToken({ scope: `customer.${process.env.CUSTOMER_ID}` })).accessToken}`,
      },
    }).then(async (r) =>
      console.log(`GET /customers/${other}/profile → ${r.status} ${r.headers.get('www-authenticate')}`),
    );
  }
} catch (error) {
  // The server's refusal (invalid_client, invalid_scope, …); the message never holds the secret.
  if (error instanceof TokenRequestError) console.error(`refused: ${error.message}`);
  else console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
