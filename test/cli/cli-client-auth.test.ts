import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type CliResult, randomKeyHex } from '../helpers/child-process.js';
import { runMain } from '../helpers/cli.js';
import { tempDir } from '../helpers/test-server.js';

function json(result: CliResult): Record<string, unknown> {
  assert.equal(result.code, 0, `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

function fails(result: CliResult, code: number): string {
  assert.equal(result.code, code, `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  assert.equal(result.stdout, '');
  return result.stderr;
}

describe('lean-auth apps --auth-method and --jwks-file', () => {
  const temp = tempDir();
  after(() => temp.remove());
  const env = { DATABASE_URL: `sqlite:${join(temp.dir, 'x.db')}`, KEY_ENCRYPTION_KEY: randomKeyHex() };
  const cli = (...args: string[]) => runMain(args, env);
  const publicJwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  const keysFile = join(temp.dir, 'keys.json');
  writeFileSync(keysFile, JSON.stringify({ keys: [{ ...publicJwk, kid: 'k1' }] }));

  it('creates a private_key_jwt application from a JWKS file, and returns it to client secrets', async () => {
    const created = json(
      await cli(
        'apps',
        'create',
        '--name',
        'keyed',
        '--auth-method',
        'private_key_jwt',
        '--jwks-file',
        keysFile,
        '--json',
      ),
    );
    assert.equal(created.token_endpoint_auth_method, 'private_key_jwt');
    assert.deepEqual(created.jwks, { keys: [{ ...publicJwk, kid: 'k1' }] });
    const shown = await cli('apps', 'show', String(created.client_id));
    assert.match(shown.stdout, /auth method\s+private_key_jwt/);
    assert.match(shown.stdout, /jwks\s+1 public key\(s\)/);
    const back = json(
      await cli('apps', 'update', String(created.client_id), '--auth-method', 'default', '--json'),
    );
    assert.equal(back.token_endpoint_auth_method, null);
    assert.equal(back.jwks, null);
  });

  it('refuses a missing file, a file that is not JSON, and private_key_jwt without keys', async () => {
    assert.match(
      fails(
        await cli(
          'apps',
          'create',
          '--name',
          'x',
          '--auth-method',
          'private_key_jwt',
          '--jwks-file',
          join(temp.dir, 'none.json'),
        ),
        2,
      ),
      /--jwks-file: cannot read .*ENOENT/,
    );
    const notJson = join(temp.dir, 'not.json');
    writeFileSync(notJson, 'not json');
    assert.match(
      fails(
        await cli(
          'apps',
          'create',
          '--name',
          'x',
          '--auth-method',
          'private_key_jwt',
          '--jwks-file',
          notJson,
        ),
        2,
      ),
      /is not JSON/,
    );
    assert.match(
      fails(await cli('apps', 'create', '--name', 'x', '--auth-method', 'private_key_jwt'), 1),
      /private_key_jwt needs .*jwks/,
    );
  });

  it('--dpop-bound sets dpop_bound_access_tokens on create, --no-dpop-bound and --dpop-bound switch it on update', async () => {
    const created = json(await cli('apps', 'create', '--name', 'bound', '--dpop-bound', '--json'));
    assert.equal(created.dpop_bound_access_tokens, true);
    const id = String(created.client_id);
    assert.match((await cli('apps', 'show', id)).stdout, /dpop bound\s+yes/);
    const renamed = json(await cli('apps', 'update', id, '--name', 'renamed', '--json'));
    assert.equal(renamed.dpop_bound_access_tokens, true, 'unchanged without either flag');
    assert.equal(
      json(await cli('apps', 'update', id, '--no-dpop-bound', '--json')).dpop_bound_access_tokens,
      false,
    );
    assert.equal(
      json(await cli('apps', 'update', id, '--dpop-bound', '--json')).dpop_bound_access_tokens,
      true,
    );
    const plain = json(await cli('apps', 'create', '--name', 'plain', '--json'));
    assert.equal(plain.dpop_bound_access_tokens, false);
  });

  it('refuses --dpop-bound with --no-dpop-bound, and explains SETTINGS in --help', async () => {
    assert.match(
      fails(
        await cli(
          'apps',
          'update',
          '00000000-0000-4000-8000-000000000000',
          '--dpop-bound',
          '--no-dpop-bound',
        ),
        2,
      ),
      /--dpop-bound and --no-dpop-bound contradict each other/,
    );
    const help = await cli('apps', 'update', '--help');
    assert.match(help.stdout, /^Usage: lean-auth apps update CLIENT_ID \[--name NAME\] \[SETTINGS\]/);
    for (const flag of [
      '--token-classes LIST',
      '--api-token-ttl S',
      '--[no-]resource-server',
      '--jwks-file F',
      '--[no-]dpop-bound',
    ]) {
      assert.ok(help.stdout.includes(`  ${flag}`), flag);
    }
    for (const line of help.stdout.split('\n')) assert.ok(line.length <= 100, line);
  });

  it('creates a tls_client_auth application with a subject, bound to its certificate, and shows both', async () => {
    const created = json(
      await cli(
        'apps',
        'create',
        '--name',
        'pki',
        '--auth-method',
        'tls_client_auth',
        '--tls-san-dns',
        'client.example',
        '--bound-to-certificate',
        '--json',
      ),
    );
    assert.equal(created.token_endpoint_auth_method, 'tls_client_auth');
    assert.equal(created.tls_client_auth_san_dns, 'client.example');
    assert.equal(created.tls_client_certificate_bound_access_tokens, true);
    const shown = await cli('apps', 'show', String(created.client_id));
    assert.match(shown.stdout, /tls subject\s+san_dns client\.example/);
    assert.match(shown.stdout, /bound to\s+the TLS client certificate/);
    const updated = json(
      await cli(
        'apps',
        'update',
        String(created.client_id),
        '--tls-subject-dn',
        'CN=client,O=Example',
        '--no-bound-to-certificate',
        '--json',
      ),
    );
    assert.equal(updated.tls_client_auth_subject_dn, 'CN=client,O=Example');
    assert.equal(updated.tls_client_auth_san_dns, null);
    assert.equal(updated.tls_client_certificate_bound_access_tokens, false);
  });

  it('refuses tls_client_auth without a subject, two subjects, and both binding flags', async () => {
    const create = (...args: string[]) => cli('apps', 'create', '--name', 'x', ...args);
    assert.match(
      fails(await create('--auth-method', 'tls_client_auth'), 1),
      /tls_client_auth needs the subject its certificate must carry/,
    );
    assert.match(
      fails(
        await create(
          '--auth-method',
          'tls_client_auth',
          '--tls-subject-dn',
          'CN=a',
          '--tls-san-uri',
          'https://a',
        ),
        1,
      ),
      /exactly one of tls_client_auth_subject_dn and tls_client_auth_san_uri/,
    );
    assert.match(
      fails(await create('--bound-to-certificate', '--no-bound-to-certificate'), 2),
      /--bound-to-certificate and --no-bound-to-certificate contradict each other/,
    );
  });
});
