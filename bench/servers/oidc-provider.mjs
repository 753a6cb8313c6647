// panva's oidc-provider as the best-known Node.js peer: client_credentials only, RFC 9068 JWT access
// tokens through resourceIndicators (one resource server whose accessTokenFormat is 'jwt'), the
// default in-memory adapter, one client per authentication method (client_secret_post and
// client_secret_basic) with the same id and secret shape as lean-auth's. A customer token is a
// second scope value, `customer.<id>`, on the same resource.
//
// Environment: PORT, ALG (RS256 | PS256 | ES256 | EdDSA), CLIENT_ID, CLIENT_SECRET, CUSTOMER_ID.
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const alg = process.env.ALG ?? 'ES256';
const issuer = `http://127.0.0.1:${port}`;
const resource = 'urn:lean-auth:bench';
const scope = `api customer.${process.env.CUSTOMER_ID}`;

const { privateKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
const jwk = { ...(await exportJWK(privateKey)), alg, use: 'sig', kid: `bench-${alg}` };

const client = (suffix, method) => ({
  client_id: `${process.env.CLIENT_ID}${suffix}`,
  client_secret: process.env.CLIENT_SECRET,
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method: method,
  // Unused by client_credentials, but client metadata must name an algorithm the provider has a key for.
  id_token_signed_response_alg: alg,
  scope,
});

const provider = new Provider(issuer, {
  clients: [client('', 'client_secret_post'), client('-basic', 'client_secret_basic')],
  jwks: { keys: [jwk] },
  scopes: ['api', `customer.${process.env.CUSTOMER_ID}`],
  ttl: { ClientCredentials: 3600 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope,
        audience: issuer,
        accessTokenTTL: 3600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg } },
      }),
    },
  },
});
provider.on('server_error', (_ctx, error) =>
  process.stderr.write(`oidc-provider server_error: ${error.stack}\n`),
);

const server = createServer(provider.callback());
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`oidc-provider listening on ${issuer}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
