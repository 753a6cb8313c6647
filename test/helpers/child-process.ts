import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { CONFIG_VARIABLES } from '../../src/config/config.js';
import { oauthPathEnv } from './oauth-path.js';
import { waitFor } from './waiting.js';

/** The compiled CLI executable (what `npx lean-auth` runs), found beside the compiled tests whatever the outDir. */
export const CLI_BIN = fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url));

/** A random 256-bit key encryption key, as 64 hex characters. */
export function randomKeyHex(): string {
  return randomBytes(32).toString('hex');
}

/**
 * The environment a child starts from: ours without any lean-auth variable (so that the machine's
 * settings cannot leak into a test) and without the test runner's own markers.
 */
export function childEnv(env: Record<string, string>): Record<string, string> {
  const base: Record<string, string> = {};
  const drop = new Set<string>([...CONFIG_VARIABLES, 'NODE_TEST_CONTEXT', 'NODE_OPTIONS']);
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !drop.has(name)) base[name] = value;
  }
  return { ...base, ...oauthPathEnv(), ...env };
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node main.js ...args` to completion; a child still running after `timeoutMs` is killed. */
export function runCli(
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A TCP port that was free a moment ago: listen on port 0, read the port, close. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A long-running child (the server) whose output is collected as it comes. */
export class RunningProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  /** Resolves with the exit code and signal once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitState: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(args: readonly string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [CLI_BIN, ...args], {
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.exitState = { code, signal };
        resolve(this.exitState);
      });
    });
  }

  get running(): boolean {
    return this.exitState === undefined;
  }

  /** Waits until stdout contains `text`; fails if the process exits first or time runs out. */
  async waitForOutput(text: string, timeoutMs = 30_000): Promise<void> {
    await waitFor(
      () => {
        if (this.stdout.includes(text)) return true;
        if (!this.running) {
          throw new Error(
            `process exited (${JSON.stringify(this.exitState)}) before printing '${text}':\n${this.output()}`,
          );
        }
        return false;
      },
      timeoutMs,
      () => `'${text}' on stdout:\n${this.output()}`,
    );
  }

  /** Waits for the exit, at most `timeoutMs`; fails on time-out. */
  async waitForExit(timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`process did not exit within ${timeoutMs} ms:\n${this.output()}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the process if it still runs (for `after` hooks) and waits for it to be gone. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  output(): string {
    return `--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }
}
