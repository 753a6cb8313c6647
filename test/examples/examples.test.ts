import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPOSITORY } from '../docs/markdown.js';
import { childEnv, freePort } from '../helpers/child-process.js';
import { type KitServer, startKitServer } from '../kit/kit-server.js';

/** Runs `node examples/<name>` from the repository (where `lean-auth/verify` resolves to this package). */
function runExample(
  name: string,
  env: Record<string, string>,
): { child: ChildProcess; output: () => string; done: Promise<number | null> } {
  const child = spawn(process.execPath, [join(REPOSITORY, 'examples', name)], {
    cwd: REPOSITORY,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const done = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, output: () => output, done };
}

async function waitForOutput(example: ReturnType<typeof runExample>, pattern: RegExp): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!pattern.test(example.output())) {
    if (Date.now() > deadline || example.child.exitCode !== null)
      throw new Error(`no ${pattern}:\n${example.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the examples against a running server', { timeout: 120_000 }, () => {
  let kit: KitServer;
  before(async () => {
    kit = await startKitServer();
  });
  after(() => kit?.close());

  for (const server of ['fastify-resource-server.mjs', 'express-resource-server.mjs']) {
    it(`backend-client.mjs calls ${server}`, async () => {
      const port = await freePort();
      const resource = runExample(server, { LEAN_AUTH_URL: kit.issuer, PORT: String(port) });
      try {
        await waitForOutput(resource, /listening on/);
        const tokensBefore = kit.proxy.count('POST /oauth2/token');
        const backend = runExample('backend-client.mjs', {
          LEAN_AUTH_URL: kit.issuer,
          LEAN_AUTH_CLIENT_ID: kit.client.clientId,
          LEAN_AUTH_CLIENT_SECRET: kit.client.clientSecret,
          API_URL: `http://127.0.0.1:${port}`,
          CUSTOMER_ID: kit.customerId,
        });
        assert.equal(await backend.done, 0, backend.output());
        const lines = backend.output().trim().split('\n');
        assert.equal(lines[0], `GET /api → 200 {"hello":"${kit.client.clientId}"}`);
        assert.equal(lines[1], lines[0]);
        assert.equal(
          lines[2],
          `GET /customers/${kit.customerId}/profile → 200 {"customer":"${kit.customerId}"}`,
        );
        assert.match(lines[3] ?? '', /→ 403 Bearer error="insufficient_scope", .*scope="customer\.00000000-/);
        assert.equal(
          kit.proxy.count('POST /oauth2/token') - tokensBefore,
          2,
          'one api and one customer token',
        );
        const refused = runExample('backend-client.mjs', {
          LEAN_AUTH_URL: kit.issuer,
          LEAN_AUTH_CLIENT_ID: kit.client.clientId,
          LEAN_AUTH_CLIENT_SECRET: 'wrong',
          API_URL: `http://127.0.0.1:${port}`,
        });
        assert.equal(await refused.done, 1);
        assert.match(refused.output(), /^refused: invalid_client/);
        const anonymous = await fetch(`http://127.0.0.1:${port}/api`);
        assert.equal(anonymous.status, 401);
        assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer');
      } finally {
        resource.child.kill();
        await resource.done;
      }
    });
  }
});
