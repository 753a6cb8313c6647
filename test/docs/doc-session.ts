import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CONFIG_VARIABLES } from '../../src/config/config.js';
import { CLI_BIN, childEnv, freePort } from '../helpers/child-process.js';
import { waitFor } from '../helpers/waiting.js';
import { REPOSITORY } from './markdown.js';

/** What a command printed, and how it ended. */
export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The demo application and customer a first start prints. */
interface Demo {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly customerId: string;
}

const COMMAND_TIMEOUT_MS = 60_000;

/**
 * Defines what a reader's shell has and a test's has not: `npx lean-auth` runs the compiled CLI at
 * once (npx would first ask npm, hundreds of milliseconds a call, and depend on the bin's mode).
 */
const PRELUDE = `
npx() { if [ "$1" = lean-auth ]; then shift; node "$LEAN_AUTH_DOCS_CLI" "$@"; else command npx "$@"; fi; }
set -o pipefail
`;

/**
 * A reader working through one page: a working folder, a sandbox server started in it as
 * `npm start` would (PORT aside), and one shell whose variables carry from command to command.
 * In the commands, the ports 8080 and 8081 stand for two free ports, and `<client_id>`,
 * `<client_secret>` and `<customer_id>` for what the first start printed.
 */
export class DocSession {
  private server: ServerProcess | undefined;
  private demo: Demo | undefined;
  private readonly state: string;
  private readonly prelude: string;

  private constructor(
    readonly dir: string,
    private readonly port: number,
    private readonly adminPort: number,
  ) {
    this.state = join(dir, '.docs-shell-state');
    this.prelude = join(dir, '.docs-shell-prelude');
    writeFileSync(this.prelude, PRELUDE);
    writeFileSync(this.state, '');
    // The verify snippet imports jose as a reader's project would: from its own node_modules.
    symlinkSync(join(REPOSITORY, 'node_modules'), join(dir, 'node_modules'), 'dir');
  }

  /**
   * A first start in a new folder. With `readerVariables`, the shell begins where the README leaves
   * a reader: CLIENT_ID, CLIENT_SECRET, CUSTOMER_ID and ADMIN_TOKEN exported.
   */
  static async open(readerVariables: boolean): Promise<DocSession> {
    const dir = mkdtempSync(join(tmpdir(), 'lean-auth-docs-'));
    const session = new DocSession(dir, await freePort(), await freePort());
    await session.startServer();
    const output = session.server?.output() ?? '';
    const field = (name: string) => new RegExp(`${name}[\\s:=]+(\\S+)`).exec(output)?.[1];
    const [clientId, clientSecret, customerId] = ['client_id', 'client_secret', 'customer_id'].map(field);
    if (!clientId || !clientSecret || !customerId) {
      throw new Error(`the first start printed no demo credentials:\n${output}`);
    }
    session.demo = { clientId, clientSecret, customerId };
    if (readerVariables) {
      const adminToken = readFileSync(join(dir, 'data', 'admin-token'), 'utf8').trim();
      const exports = { CLIENT_ID: clientId, CLIENT_SECRET: clientSecret, CUSTOMER_ID: customerId };
      writeFileSync(
        session.state,
        Object.entries({ ...exports, ADMIN_TOKEN: adminToken })
          .map(([name, value]) => `export ${name}='${value}'\n`)
          .join(''),
      );
    }
    return session;
  }

  /** Output as it looks here: the free ports in place of 8080 and 8081. */
  withPorts(text: string): string {
    return text.replace(/\b8080\b/g, String(this.port)).replace(/\b8081\b/g, String(this.adminPort));
  }

  /** A command as it runs here: the free ports, and the demo's values for the placeholders. */
  substitute(text: string): string {
    let result = this.withPorts(text);
    if (this.demo) {
      result = result
        .replaceAll('<client_id>', this.demo.clientId)
        .replaceAll('<client_secret>', this.demo.clientSecret)
        .replaceAll('<customer_id>', this.demo.customerId);
    }
    return result;
  }

  writeFile(name: string, body: string): void {
    writeFileSync(join(this.dir, name), this.substitute(body));
  }

  /** Runs one command in the shell, with the variables the commands before it left. */
  run(command: string): Promise<CommandResult> {
    const script = [
      'source "$LEAN_AUTH_DOCS_PRELUDE"',
      'set -a',
      'source "$LEAN_AUTH_DOCS_STATE"',
      this.substitute(command),
      '__status=$?',
      'export -n __status',
      'export -p > "$LEAN_AUTH_DOCS_STATE"',
      'exit $__status',
    ].join('\n');
    return collect(
      spawn('bash', ['--noprofile', '--norc', '-c', script], {
        cwd: this.dir,
        env: childEnv({
          PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
          LEAN_AUTH_DOCS_CLI: CLI_BIN,
          LEAN_AUTH_DOCS_PRELUDE: this.prelude,
          LEAN_AUTH_DOCS_STATE: this.state,
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
  }

  /** Starts the server with the configuration variables the shell holds, and waits until it is ready. */
  async startServer(): Promise<void> {
    const env: Record<string, string> = { PORT: String(this.port), ...(await this.configurationInShell()) };
    this.server = new ServerProcess(this.dir, env);
    await this.server.ready(this.port, env.TLS_CERT_FILE !== undefined);
  }

  /** Stops the server as SIGTERM does (a container stop, Ctrl-C). */
  async stopServer(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
  }

  async close(): Promise<void> {
    await this.stopServer();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async configurationInShell(): Promise<Record<string, string>> {
    const names = CONFIG_VARIABLES.join(' ');
    const { stdout } = await collect(
      spawn(
        'bash',
        [
          '--noprofile',
          '--norc',
          '-c',
          `source "$0"; for n in ${names}; do [ -n "\${!n+x}" ] && printf '%s=%s\\0' "$n" "\${!n}"; done; true`,
          this.state,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    );
    return Object.fromEntries(
      stdout
        .split('\0')
        .filter(Boolean)
        .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
    );
  }
}

/** `lean-auth serve` started in the working folder, as a reader starts it there. */
class ServerProcess {
  private readonly child: ChildProcess;
  private stdout = '';
  private stderr = '';
  private exit: Promise<number | null>;
  private exited = false;

  constructor(dir: string, env: Record<string, string>) {
    this.child = spawn(process.execPath, [CLI_BIN, 'serve'], {
      cwd: dir,
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exit = new Promise((resolve) =>
      this.child.on('close', (code) => {
        this.exited = true;
        resolve(code);
      }),
    );
  }

  output(): string {
    return `${this.stdout}\n${this.stderr}`;
  }

  /** Waits until GET /readyz answers 200 (whatever the log says on the way). */
  async ready(port: number, tls: boolean): Promise<void> {
    await waitFor(
      async () => {
        if (this.exited) throw new Error(`the server exited before it was ready:\n${this.output()}`);
        return (await readyzStatus(port, tls)) === 200;
      },
      30_000,
      () => `the server to be ready:\n${this.output()}`,
      100,
    );
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exit;
    clearTimeout(killer);
  }
}

function readyzStatus(port: number, tls: boolean): Promise<number> {
  return new Promise((resolve) => {
    const request = (tls ? httpsRequest : httpRequest)(
      { host: '127.0.0.1', port, path: '/readyz', agent: false, rejectUnauthorized: false },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('error', () => resolve(0));
    request.setTimeout(2_000, () => request.destroy());
    request.end();
  });
}

function collect(child: ChildProcess): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
