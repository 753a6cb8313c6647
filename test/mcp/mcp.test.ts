import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { CLI_BIN, childEnv } from '../helpers/child-process.js';
import { type KitServer, startKitServer } from '../kit/kit-server.js';

/** `lean-auth mcp` spawned by the SDK's own client over stdio, with these LEAN_AUTH_* variables. */
async function connect(env: Record<string, string>): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI_BIN, 'mcp'],
    env: childEnv(env),
    stderr: 'pipe',
  });
  const client = new Client({ name: 'lean-auth-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

const json = (result: CallToolResult) => JSON.parse((result.content[0] as { text: string }).text);

describe('lean-auth mcp through the SDK client over stdio', { timeout: 120_000 }, () => {
  let kit: KitServer;
  let app: Client;
  let operator: Client;
  let secret: string;
  const outputs: string[] = [];

  const call = async (client: Client, name: string, args: Record<string, unknown>) => {
    const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
    outputs.push(JSON.stringify(result));
    return result;
  };
  const expectRefusal = (result: CallToolResult, error: string | RegExp, description: RegExp) => {
    assert.equal(result.isError, true, JSON.stringify(result));
    const body = json(result);
    assert.match(body.error, typeof error === 'string' ? new RegExp(`^${error}$`) : error);
    assert.match(body.error_description, description);
  };

  before(async () => {
    kit = await startKitServer();
    secret = kit.client.clientSecret;
    const env = {
      LEAN_AUTH_URL: kit.issuer,
      LEAN_AUTH_CLIENT_ID: kit.client.clientId,
      LEAN_AUTH_CLIENT_SECRET: secret,
    };
    app = await connect(env);
    operator = await connect({ ...env, LEAN_AUTH_ADMIN_TOKEN: kit.adminToken });
  });
  after(async () => {
    await app?.close();
    await operator?.close();
    await kit?.close();
    for (const output of outputs) assert.ok(!output.includes(secret), 'a tool returned the client secret');
  });

  it('lists the token tools, and the operator tools only with an admin token, each with an input schema', async () => {
    const names = (await app.listTools()).tools.map((t) => t.name).sort();
    assert.deepEqual(names, ['generate_access_token', 'introspect_token', 'verify_access_token']);
    const tools = (await operator.listTools()).tools;
    assert.deepEqual(tools.map((t) => t.name).sort(), [
      'create_customer',
      'generate_access_token',
      'get_application',
      'introspect_token',
      'list_customers',
      'verify_access_token',
    ]);
    const generate = tools.find((t) => t.name === 'generate_access_token');
    assert.deepEqual(generate?.inputSchema.required, ['scope']);
    assert.match(JSON.stringify(generate?.inputSchema.properties), /customer\.<customer_id>/);
  });

  it('generates api and customer tokens with their decoded claims', async () => {
    const api = json(await call(app, 'generate_access_token', { scope: 'api' }));
    assert.equal(api.token_type, 'bearer');
    assert.equal(api.scope, 'api');
    assert.ok(api.expires_in > 3500 && api.expires_in <= 3600);
    assert.equal(api.claims.client_id, kit.client.clientId);
    const customer = json(await call(app, 'generate_access_token', { scope: `customer.${kit.customerId}` }));
    assert.equal(customer.claims.customer_id, kit.customerId);
  });

  it('refuses a scope the schema does not admit, and one the server refuses, as tool errors', async () => {
    const bad = await call(app, 'generate_access_token', { scope: 'admin' });
    assert.equal(bad.isError, true);
    assert.match(JSON.stringify(bad.content), /scope/);
    expectRefusal(
      await call(app, 'generate_access_token', { scope: 'customer.00000000-0000-4000-8000-000000000000' }),
      'invalid_scope',
      /./,
    );
  });

  it('introspects and verifies a token, and reports a bad one', async () => {
    const token = await kit.issueToken();
    const introspected = json(await call(app, 'introspect_token', { token }));
    assert.equal(introspected.active, true);
    assert.equal(json(await call(app, 'introspect_token', { token: 'nonsense' })).active, false);
    const verified = json(await call(app, 'verify_access_token', { token, scope: 'api' }));
    assert.equal(verified.valid, true);
    assert.equal(verified.claims.client_id, kit.client.clientId);
    expectRefusal(
      await call(app, 'verify_access_token', { token: 'nonsense' }),
      'invalid_token',
      /malformed/,
    );
    expectRefusal(
      await call(app, 'verify_access_token', { token, scope: `customer.${kit.customerId}` }),
      'insufficient_scope',
      /customer\./,
    );
  });

  it('reports wrong credentials as the server does, without the secret', async () => {
    const wrong = await connect({
      LEAN_AUTH_URL: kit.issuer,
      LEAN_AUTH_CLIENT_ID: kit.client.clientId,
      LEAN_AUTH_CLIENT_SECRET: `${secret}-wrong`,
    });
    try {
      const result = await call(wrong, 'generate_access_token', { scope: 'api' });
      expectRefusal(result, 'invalid_client', /./);
      assert.ok(!JSON.stringify(result).includes(`${secret}-wrong`));
      expectRefusal(await call(wrong, 'introspect_token', { token: 'x' }), 'invalid_client', /./);
    } finally {
      await wrong.close();
    }
  });

  it('reports a server out of reach as a tool error', async () => {
    const away = await connect({
      LEAN_AUTH_URL: 'http://127.0.0.1:9',
      LEAN_AUTH_CLIENT_ID: 'x',
      LEAN_AUTH_CLIENT_SECRET: 'y',
    });
    try {
      expectRefusal(
        await call(away, 'introspect_token', { token: 'x' }),
        'server_unreachable',
        /fetch failed|reach/,
      );
    } finally {
      await away.close();
    }
  });

  it('creates and lists customers and shows the application, for an operator', async () => {
    const created = json(await call(operator, 'create_customer', { app_user_id: 'mcp-user' }));
    assert.equal(created.app_user_id, 'mcp-user');
    assert.equal(created.client_id, kit.client.clientId);
    expectRefusal(
      await call(operator, 'create_customer', { app_user_id: 'mcp-user' }),
      'conflict',
      /mcp-user/,
    );
    const page = json(await call(operator, 'list_customers', { limit: 1 }));
    assert.equal(page.items.length, 1);
    assert.ok(page.next_after);
    const next = json(await call(operator, 'list_customers', { limit: 10, after: page.next_after }));
    assert.ok(
      next.items.some(
        (c: { app_user_id: string }) => c.app_user_id === 'mcp-user' || c.app_user_id === 'kit-user',
      ),
    );
    const shown = json(await call(operator, 'get_application', {}));
    assert.equal(shown.client_id, kit.client.clientId);
    expectRefusal(
      await call(operator, 'get_application', { client_id: '00000000-0000-4000-8000-000000000000' }),
      'not_found',
      /./,
    );
    const badInput = await call(operator, 'list_customers', { limit: 0 });
    assert.equal(badInput.isError, true);
  });

  it('reports a wrong admin token as the admin API does', async () => {
    const wrongAdmin = await connect({
      LEAN_AUTH_URL: kit.issuer,
      LEAN_AUTH_CLIENT_ID: kit.client.clientId,
      LEAN_AUTH_CLIENT_SECRET: secret,
      LEAN_AUTH_ADMIN_TOKEN: 'not-the-admin-token-but-long-enough-to-try',
    });
    try {
      expectRefusal(await call(wrongAdmin, 'get_application', {}), /unauthorized|invalid_token/, /./);
    } finally {
      await wrongAdmin.close();
    }
  });
});

describe('lean-auth mcp for a server whose TOKEN_AUDIENCE is not its issuer', { timeout: 60_000 }, () => {
  it('verifies its tokens with LEAN_AUTH_AUDIENCE', async () => {
    const audience = 'https://api.example.com';
    const kit = await startKitServer({ TOKEN_AUDIENCE: audience });
    const env = {
      LEAN_AUTH_URL: kit.issuer,
      LEAN_AUTH_CLIENT_ID: kit.client.clientId,
      LEAN_AUTH_CLIENT_SECRET: kit.client.clientSecret,
    };
    const withAudience = await connect({ ...env, LEAN_AUTH_AUDIENCE: audience });
    const without = await connect(env);
    try {
      const token = await kit.issueToken();
      const verify = (client: Client) =>
        client.callTool({ name: 'verify_access_token', arguments: { token } }) as Promise<CallToolResult>;
      const verified = json(await verify(withAudience));
      assert.equal(verified.valid, true);
      assert.equal(verified.claims.aud, audience);
      const refused = await verify(without);
      assert.equal(refused.isError, true);
      assert.match(json(refused).error_description, /aud/);
    } finally {
      await withAudience.close();
      await without.close();
      await kit.close();
    }
  });
});
