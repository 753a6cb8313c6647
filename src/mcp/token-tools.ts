import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { decodeJwt } from 'jose';
import { z } from 'zod';
import { createTokenClient } from '../kit/client/token-client.js';
import { createAccessTokenVerifier } from '../kit/verify/verifier.js';
import type { Connection } from './connection.js';
import type { ServerCalls } from './server-calls.js';
import { answering, toolAnswer } from './tool-result.js';

const SCOPE = z
  .string()
  .regex(/^(api|customer\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/)
  .describe("'api' for a server-to-server token, or 'customer.<customer_id>' (a UUID) for one end user");
const TOKEN = z.string().min(1).describe('an access token (a JWT) issued by this server');

/** The tools every configured application has: get a token, introspect one, verify one. */
export function registerTokenTools(server: McpServer, environment: Connection, calls: ServerCalls): void {
  const client = createTokenClient(environment);
  // The tokens' aud is the server's TOKEN_AUDIENCE, which only defaults to the issuer.
  const verifier = createAccessTokenVerifier({
    issuer: environment.issuer,
    ...(environment.audience !== undefined && { audience: environment.audience }),
  });

  server.registerTool(
    'generate_access_token',
    {
      title: 'Generate an access token',
      description:
        'Gets an access token from the server with the client-credentials grant (POST /oauth2/token).',
      inputSchema: { scope: SCOPE },
    },
    ({ scope }) =>
      answering(async () => {
        const token = await client.getToken({ scope });
        return toolAnswer({
          access_token: token.accessToken,
          token_type: 'bearer',
          expires_in: Math.round((token.expiresAt - Date.now()) / 1000),
          scope: token.scope,
          claims: decodeJwt(token.accessToken),
        });
      }),
  );

  server.registerTool(
    'introspect_token',
    {
      title: 'Introspect an access token',
      description:
        'Asks the server whether a token is active (RFC 7662): sees revocation and disabled applications.',
      inputSchema: { token: TOKEN },
    },
    ({ token }) => answering(async () => toolAnswer(await calls.introspect(token))),
  );

  server.registerTool(
    'verify_access_token',
    {
      title: 'Verify an access token',
      description:
        'Verifies a token as a resource server does (RFC 9068: signature from the JWKS, typ, iss, aud, exp) and returns its claims; optionally requires a scope.',
      inputSchema: { token: TOKEN, scope: SCOPE.optional().describe('a scope the token must hold') },
    },
    ({ token, scope }) =>
      answering(async () =>
        toolAnswer({
          valid: true,
          claims: await verifier.verify(token, scope === undefined ? {} : { scope }),
        }),
      ),
  );
}
