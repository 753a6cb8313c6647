import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { REPOSITORY } from '../docs/markdown.js';
import { CLI_BIN, childEnv, runCli } from '../helpers/child-process.js';
import { type KitServer, startKitServer } from '../kit/kit-server.js';

const SKILL = join(REPOSITORY, 'skills/lean-auth/SKILL.md');

/** The skill's front matter and body (the Agent Skills format: YAML between `---` lines, then Markdown). */
function readSkill(): { meta: Record<string, unknown>; body: string } {
  const text = readFileSync(SKILL, 'utf8');
  const match = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
  assert.ok(match, 'SKILL.md starts with YAML front matter between --- lines');
  return { meta: parse(match[1] ?? '') as Record<string, unknown>, body: match[2] ?? '' };
}

/** The commands of the skill's `sh` blocks, one a line. */
function skillCommands(body: string): string[] {
  return [...body.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
    (m[1] ?? '').split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#')),
  );
}

describe('the Agent Skill', () => {
  it('has the front matter the format asks: name and description within their limits', () => {
    const { meta } = readSkill();
    assert.equal(typeof meta.name, 'string');
    assert.match(String(meta.name), /^[a-z0-9]+(-[a-z0-9]+)*$/);
    assert.ok(String(meta.name).length <= 64);
    assert.equal(meta.name, 'lean-auth', 'the name is the folder name');
    assert.equal(typeof meta.description, 'string');
    assert.ok(String(meta.description).length > 0 && String(meta.description).length <= 1024);
  });

  describe('its commands, against a running server', { timeout: 120_000 }, () => {
    let kit: KitServer;
    let dir: string;
    before(async () => {
      kit = await startKitServer();
      dir = mkdtempSync(join(tmpdir(), 'lean-auth-skill-'));
    });
    after(async () => {
      await kit?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('run one after another in one shell as the skill shows them, each succeeding', async () => {
      const commands = skillCommands(readSkill().body);
      assert.ok(commands.length >= 5, `found ${commands.length} commands`);
      const script = join(dir, 'skill.sh');
      // `lean-auth` as the package's bin would be; each command's status is recorded.
      const lines = [
        `lean-auth() { node ${JSON.stringify(CLI_BIN)} "$@"; }`,
        ...commands.flatMap((command, i) => [command, `echo "::status ${i} $?"`]),
      ];
      writeFileSync(script, lines.join('\n'));
      // Not spawnSync: the server answering the commands runs in this process.
      const child = spawn('bash', ['--noprofile', '--norc', script], {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: childEnv({
          LEAN_AUTH_URL: kit.issuer,
          LEAN_AUTH_CLIENT_ID: kit.client.clientId,
          LEAN_AUTH_CLIENT_SECRET: kit.client.clientSecret,
          CUSTOMER_ID: kit.customerId,
        }),
      });
      const result = { stdout: '', stderr: '' };
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        result.stdout += chunk;
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        result.stderr += chunk;
      });
      await new Promise((resolve) => child.on('close', resolve));
      const statuses = [...result.stdout.matchAll(/::status (\d+) (\d+)/g)].map((m) => Number(m[2]));
      assert.deepEqual(
        statuses,
        commands.map(() => 0),
        `${result.stdout}\n${result.stderr}`,
      );
      assert.match(result.stdout, /^200$/m, 'the api token was accepted as a bearer token');
      assert.match(result.stdout, new RegExp(`"scope": "customer\\.${kit.customerId}"`));
      assert.match(result.stdout, /"active":true/);
      assert.match(result.stderr, /"error":"invalid_scope"/);
      assert.match(result.stdout, /exit status 1/);
      assert.ok(!result.stdout.includes(kit.client.clientSecret), 'no command printed the secret');
    });
  });
});

describe('lean-auth token', { timeout: 120_000 }, () => {
  let kit: KitServer;
  let env: Record<string, string>;
  before(async () => {
    kit = await startKitServer();
    env = {
      LEAN_AUTH_URL: kit.issuer,
      LEAN_AUTH_CLIENT_ID: kit.client.clientId,
      LEAN_AUTH_CLIENT_SECRET: kit.client.clientSecret,
    };
  });
  after(() => kit?.close());

  it('prints the token alone, or the token response with --json', async () => {
    const plain = await runCli(['token', '--scope', 'api'], env);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const json = await runCli(['--json', 'token', '--scope', `customer.${kit.customerId}`], env);
    assert.equal(json.code, 0, json.stderr);
    const body = JSON.parse(json.stdout);
    assert.equal(body.token_type, 'bearer');
    assert.equal(body.scope, `customer.${kit.customerId}`);
    assert.ok(body.expires_in > 3500);
  });

  it("exits 1 with the server's error on a refusal, never the secret", async () => {
    const wrong = await runCli(['token', '--scope', 'api'], {
      ...env,
      LEAN_AUTH_CLIENT_SECRET: 'wrong-secret-value',
    });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^lean-auth: invalid_client: client authentication failed/);
    assert.ok(!wrong.stderr.includes('wrong-secret-value'));
    const json = await runCli(['token', '--scope', 'customer.x', '--json'], env);
    assert.equal(json.code, 1);
    assert.equal(JSON.parse(json.stderr).error, 'invalid_scope');
  });

  it('exits 2 without --scope or without the variables', async () => {
    assert.equal((await runCli(['token'], env)).code, 2);
    const bare = await runCli(['token', '--scope', 'api'], {});
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /LEAN_AUTH_URL, LEAN_AUTH_CLIENT_ID, LEAN_AUTH_CLIENT_SECRET/);
    const mcp = await runCli(['mcp'], {});
    assert.equal(mcp.code, 2);
    assert.match(mcp.stderr, /LEAN_AUTH_URL/);
  });

  it('exits 1 when the server is out of reach', async () => {
    const away = await runCli(['token', '--scope', 'api'], { ...env, LEAN_AUTH_URL: 'http://127.0.0.1:9' });
    assert.equal(away.code, 1);
    assert.match(away.stderr, /lean-auth: /);
  });
});
