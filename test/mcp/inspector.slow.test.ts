import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI_BIN, childEnv } from '../helpers/child-process.js';
import { tempDir } from '../helpers/test-server.js';
import { type KitServer, startKitServer } from '../kit/kit-server.js';

/**
 * The MCP Inspector, installed on first use into a cache outside the repository (what `npx
 * @modelcontextprotocol/inspector` does). It is no devDependency: its dependencies include optional
 * packages some registries lack, which would leave package-lock.json unusable for `npm ci`.
 */
const INSPECTOR_VERSION = '2.12.0';
const INSPECTOR_HOME = join(homedir(), '.cache', 'lean-auth-test', `inspector-${INSPECTOR_VERSION}`);
const INSPECTOR = join(
  INSPECTOR_HOME,
  'node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js',
);

function installInspector(): void {
  if (existsSync(INSPECTOR)) return;
  execFileSync(
    'npm',
    [
      'install',
      '--prefix',
      INSPECTOR_HOME,
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      `@modelcontextprotocol/inspector@${INSPECTOR_VERSION}`,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], timeout: 300_000 },
  );
}

/** Runs the Inspector in CLI mode against `lean-auth mcp`; resolves to its exit code and output. */
function inspect(
  home: string,
  env: Record<string, string>,
  args: string[],
): Promise<{ code: number | null; out: string }> {
  const envFlags = Object.entries(env).flatMap(([name, value]) => ['-e', `${name}=${value}`]);
  const child = spawn(
    process.execPath,
    [INSPECTOR, '--cli', ...envFlags, ...args, '--', process.execPath, CLI_BIN, 'mcp'],
    { env: childEnv({ HOME: home }), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    }),
  );
}

/** The Inspector's engines ask for Node.js 22.19 or later; lean-auth's admit 22.16. */
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const skip = major === 22 && minor < 19 && 'the MCP Inspector needs Node.js 22.19 or later';

describe('lean-auth mcp through the MCP Inspector (CLI mode)', { timeout: 180_000, skip }, () => {
  let kit: KitServer;
  const home = tempDir();
  let env: Record<string, string>;

  before(async () => {
    installInspector();
    kit = await startKitServer();
    env = {
      LEAN_AUTH_URL: kit.issuer,
      LEAN_AUTH_CLIENT_ID: kit.client.clientId,
      LEAN_AUTH_CLIENT_SECRET: kit.client.clientSecret,
    };
  });
  after(async () => {
    await kit?.close();
    home.remove();
  });

  it('lists the tools', async () => {
    const { code, out } = await inspect(home.dir, env, ['--method', 'tools/list']);
    assert.equal(code, 0, out);
    for (const name of ['generate_access_token', 'introspect_token', 'verify_access_token'])
      assert.match(out, new RegExp(name));
  });

  it('generates a token, and shows a refusal as a tool error', async () => {
    const ok = await inspect(home.dir, env, [
      '--method',
      'tools/call',
      '--tool-name',
      'generate_access_token',
      '--tool-arg',
      'scope=api',
    ]);
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /access_token/);
    assert.match(ok.out, new RegExp(kit.client.clientId));
    const refused = await inspect(home.dir, env, [
      '--method',
      'tools/call',
      '--tool-name',
      'generate_access_token',
      '--tool-arg',
      'scope=customer.00000000-0000-4000-8000-000000000000',
    ]);
    assert.match(refused.out, /invalid_scope/);
    assert.match(refused.out, /"isError": true/);
    assert.ok(!refused.out.includes(kit.client.clientSecret));
  });
});
