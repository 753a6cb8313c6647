import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/config.js';
import { sandboxKeyWarning } from '../../src/server/key-encryption-key.js';
import { startServer } from '../../src/server/start-server.js';
import { freshPostgresSchema, skipWithoutPostgres } from '../helpers/postgres.js';
import { tempDir } from '../helpers/test-server.js';

const skip = await skipWithoutPostgres();
const silent = pino({ level: 'silent' });

describe('a sandbox on PostgreSQL keeps its key and admin token in the database', { skip }, () => {
  const schema = freshPostgresSchema();
  const here = tempDir();
  const elsewhere = tempDir();
  after(async () => {
    await schema.drop();
    here.remove();
    elsewhere.remove();
  });
  const env = { LEAN_AUTH_ENV: 'sandbox', DATABASE_URL: schema.url, PORT: '0', LOG_LEVEL: 'silent' };

  it('a second instance started from another folder opens the first one’s keys and takes its admin token', async () => {
    const first = await startServer(loadConfig(env, here.dir), silent);
    let token: string;
    try {
      assert.ok(first.demo, 'the first start seeds the demo');
      const generated = first.generatedAdminToken;
      assert.ok(generated);
      token = generated.token;
      assert.match(generated.place, /database \(table sandbox_secrets\)/);
    } finally {
      await first.close();
    }

    const second = await startServer(loadConfig(env, elsewhere.dir), silent);
    try {
      assert.equal(second.generatedAdminToken, undefined, 'made once, printed once');
      assert.ok(second.services.keys.ready, 'the signing key opens with the key the first instance made');
      const listed = await second.app.inject({
        url: '/admin/v1/applications',
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(listed.statusCode, 200, listed.body);
    } finally {
      await second.close();
    }
    assert.deepEqual(readdirSync(here.dir), [], 'no ./data folder written');
    assert.deepEqual(readdirSync(elsewhere.dir), []);
  });

  it('the start-up warning says where the sandbox key is', () => {
    assert.match(
      sandboxKeyWarning(loadConfig(env, here.dir)) ?? '',
      /sandbox key in the database \(table sandbox_secrets\)/,
    );
    assert.equal(
      sandboxKeyWarning(loadConfig({ ...env, KEY_ENCRYPTION_KEY: 'ab'.repeat(32) }, here.dir)),
      undefined,
    );
  });
});
