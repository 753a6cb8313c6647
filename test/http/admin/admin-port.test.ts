import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../../src/config/config.js';
import { type RunningServer, startServer } from '../../../src/server/start-server.js';
import { ADMIN, ADMIN_TOKEN } from '../../helpers/admin-server.js';
import { freePort } from '../../helpers/child-process.js';
import { tempDir } from '../../helpers/test-server.js';

async function call(
  url: string,
  init: { method?: string; token?: string; body?: string; form?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  let body: string | undefined = init.body;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  }
  const response = await fetch(url, { method: init.method ?? 'GET', headers, body });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

function baseEnv(dir: string, port: number): Record<string, string> {
  return {
    DATABASE_URL: `sqlite:${join(dir, 'lean-auth.db')}`,
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'silent',
    PORT: String(port),
  };
}

describe('ADMIN_PORT: the admin API on a listener of its own (real sockets)', () => {
  const temp = tempDir();
  let server: RunningServer;
  let port: number;
  let adminPort: number;
  let publicBase: string;
  let adminBase: string;

  before(async () => {
    port = await freePort();
    adminPort = await freePort();
    const config = loadConfig({ ...baseEnv(temp.dir, port), ADMIN_PORT: String(adminPort), ADMIN_TOKEN });
    server = await startServer(config, pino({ level: 'silent' }));
    publicBase = `http://127.0.0.1:${port}`;
    adminBase = `http://127.0.0.1:${adminPort}`;
  });
  after(async () => {
    await server.close();
    temp.remove();
  });

  it('reports both addresses', () => {
    assert.equal(server.url, publicBase);
    assert.equal(server.adminUrl, adminBase);
    assert.ok(server.adminApp);
    assert.equal(server.generatedAdminToken, undefined, 'ADMIN_TOKEN was given');
  });

  it('answers the admin API on ADMIN_PORT, with its authentication', async () => {
    const list = await call(`${adminBase}${ADMIN}/applications`, { token: ADMIN_TOKEN });
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.ok(Array.isArray(list.body.items));
    const denied = await call(`${adminBase}${ADMIN}/applications`);
    assert.equal(denied.status, 401);
    assert.equal(denied.body.error, 'unauthorized');
    assert.match(String(denied.headers.get('www-authenticate')), /^Bearer/);
    const created = await call(`${adminBase}${ADMIN}/applications`, {
      method: 'POST',
      token: ADMIN_TOKEN,
      body: JSON.stringify({ name: 'over the admin port' }),
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));

    // What the admin port created works on the public port.
    const token = await call(`${publicBase}/oauth2/token`, {
      method: 'POST',
      form: {
        grant_type: 'client_credentials',
        scope: 'api',
        client_id: String(created.body.client_id),
        client_secret: String(created.body.client_secret),
      },
    });
    assert.equal(token.status, 200, JSON.stringify(token.body));
  });

  it('answers 404 for the admin API on PORT, even with the right token', async () => {
    for (const [method, path] of [
      ['GET', '/applications'],
      ['GET', '/keys'],
      ['POST', '/keys/rotate'],
      ['GET', '/audit'],
    ]) {
      const response = await call(`${publicBase}${ADMIN}${path}`, {
        method,
        token: ADMIN_TOKEN,
        ...(method === 'POST' && { body: '{"now":true}' }),
      });
      assert.equal(response.status, 404, `${method} ${path}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error, 'not_found');
    }
    assert.equal(server.services.keys.list().length, 1, 'no key was rotated through PORT');
  });

  it('does not serve the public API on ADMIN_PORT', async () => {
    for (const path of ['/.well-known/jwks.json', '/.well-known/oauth-authorization-server', '/healthz']) {
      const response = await call(`${adminBase}${path}`, { token: ADMIN_TOKEN });
      assert.equal(response.status, 404, `${path}: ${JSON.stringify(response.body)}`);
    }
    const token = await call(`${adminBase}/oauth2/token`, {
      method: 'POST',
      token: ADMIN_TOKEN,
      body: '{}',
    });
    assert.equal(token.status, 404, JSON.stringify(token.body));
    const publicJwks = await call(`${publicBase}/.well-known/jwks.json`);
    assert.equal(publicJwks.status, 200);
  });
});

describe('without ADMIN_PORT: the admin API on PORT (real sockets)', () => {
  const temp = tempDir();
  let port: number;

  before(async () => {
    port = await freePort();
  });
  after(() => temp.remove());

  it('in sandbox mode generates an admin token into the data folder on the first start only', async () => {
    const env = baseEnv(temp.dir, port);
    const first = await startServer(loadConfig(env), pino({ level: 'silent' }));
    let token: string;
    try {
      assert.equal(first.adminApp, undefined);
      assert.equal(first.adminUrl, first.url);
      const generated = first.generatedAdminToken;
      assert.ok(generated, 'the first start generated a token to print');
      token = generated.token;
      assert.match(token, /^[0-9a-f]{64}$/);
      assert.equal(generated.place, join(temp.dir, 'admin-token'));
      assert.equal(readFileSync(generated.place, 'utf8').trim(), token);
      assert.equal(statSync(generated.place).mode & 0o777, 0o600);

      const list = await call(`${first.url}${ADMIN}/applications`, { token });
      assert.equal(list.status, 200, JSON.stringify(list.body));
      assert.equal((list.body.items as unknown[]).length, 1, 'the sandbox demo application');
      assert.equal((await call(`${first.url}${ADMIN}/applications`, { token: ADMIN_TOKEN })).status, 401);
      assert.equal((await call(`${first.url}/.well-known/jwks.json`)).status, 200);
    } finally {
      await first.close();
    }

    // Another port: the client's pooled keep-alive connection to the first server is gone.
    const restart = { ...env, PORT: String(await freePort()) };
    const second = await startServer(loadConfig(restart), pino({ level: 'silent' }));
    try {
      assert.equal(second.generatedAdminToken, undefined, 'printed once: not on a later start');
      assert.equal((await call(`${second.url}${ADMIN}/keys`, { token })).status, 200);
    } finally {
      await second.close();
    }
  });
});
