import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_BIN, childEnv, freePort, randomKeyHex } from '../helpers/child-process.js';
import { tempDir } from '../helpers/test-server.js';
import { waitFor } from '../helpers/waiting.js';

/** An application made for a load run, with its customers. */
export interface LoadClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly customers: readonly string[];
}

/** `lean-auth serve` from the compiled CLI, listening on loopback over a temporary SQLite file. */
export interface LiveServer {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly adminToken: string;
  readonly pid: number;
  readonly clients: readonly LoadClient[];
  /** Log lines by pino level (30 info, 40 warn, 50 error, 60 fatal) so far. */
  readonly logLevels: ReadonlyMap<number, number>;
  /** The first error-level log lines, for the report. */
  readonly errorLines: readonly string[];
  /** The server process's resident set size now, in bytes (Linux /proc; ps elsewhere). */
  rss(): number;
  /** Whether the process still runs. */
  readonly running: boolean;
  /** SIGTERM, a graceful stop (SIGKILL after 15 s), and the temporary folder removed. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface LiveServerOptions {
  /** Applications to create (each with both token classes). Default 4. */
  readonly apps?: number;
  /** Customers per application. Default 3. */
  readonly customersPerApp?: number;
  /** LOG_LEVEL of the server; default info, as in production: the access log is part of the load. */
  readonly logLevel?: string;
  /** More environment for the server. */
  readonly env?: Record<string, string>;
}

/**
 * Starts the server (TRUST_PROXY=loopback: X-Forwarded-For names the caller), waits until it answers,
 * and creates applications and customers through the admin API. Its output is read and dropped
 * as it comes (only counted), so that a long run keeps nothing of it.
 */
export async function startLiveServer(options: LiveServerOptions = {}): Promise<LiveServer> {
  const temp = tempDir();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const adminToken = randomBytes(32).toString('hex');
  const child = spawn(process.execPath, [CLI_BIN, 'serve'], {
    env: childEnv({
      DATABASE_URL: `sqlite:${join(temp.dir, 'lean-auth.db')}`,
      KEY_ENCRYPTION_KEY: randomKeyHex(),
      ADMIN_TOKEN: adminToken,
      HOST: '127.0.0.1',
      PORT: String(port),
      TRUST_PROXY: 'loopback',
      LOG_LEVEL: options.logLevel ?? 'info',
      ...options.env,
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = drainOutput(child);
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    }),
  );
  const stop = async () => {
    if (exit === undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    temp.remove();
    return exit ?? (await exited);
  };

  try {
    await waitFor(
      async () => {
        if (exit !== undefined)
          throw new Error(`the server exited (${JSON.stringify(exit)}):\n${output.head()}`);
        try {
          return (await fetch(`${url}/readyz`)).status === 200;
        } catch {
          return false;
        }
      },
      30_000,
      () => `the server to be ready:\n${output.head()}`,
      100,
    );
    const admin = async (path: string, body: unknown) => {
      const response = await fetch(`${url}/admin/v1${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const json = (await response.json()) as Record<string, string>;
      if (response.status !== 201)
        throw new Error(`POST ${path}: ${response.status} ${JSON.stringify(json)}`);
      return json;
    };
    const clients: LoadClient[] = [];
    for (let a = 0; a < (options.apps ?? 4); a++) {
      const app = await admin('/applications', { name: `load ${a}`, token_classes: ['api', 'customer'] });
      const customers: string[] = [];
      for (let c = 0; c < (options.customersPerApp ?? 3); c++) {
        customers.push(
          String(
            (await admin(`/applications/${app.client_id}/customers`, { app_user_id: `user-${c}` }))
              .customer_id,
          ),
        );
      }
      clients.push({ clientId: String(app.client_id), clientSecret: String(app.client_secret), customers });
    }
    const pid = child.pid ?? 0;
    return {
      url,
      adminToken,
      pid,
      clients,
      logLevels: output.levels,
      errorLines: output.errors,
      rss: () => residentSetSize(pid),
      get running() {
        return exit === undefined;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Reads a child's stdout and stderr as they come: keeps the first 16 KiB, counts log levels, drops the rest. */
function drainOutput(child: ChildProcess) {
  let head = '';
  let partial = '';
  const levels = new Map<number, number>();
  const errors: string[] = [];
  const take = (chunk: string) => {
    if (head.length < 16_384) head += chunk.slice(0, 16_384 - head.length);
    const lines = (partial + chunk).split('\n');
    partial = (lines.pop() ?? '').slice(-8192);
    for (const line of lines) {
      const level = Number(/^\{"level":(\d+)/.exec(line)?.[1] ?? Number.NaN);
      if (Number.isNaN(level)) continue;
      levels.set(level, (levels.get(level) ?? 0) + 1);
      if (level >= 50 && errors.length < 5) errors.push(line.slice(0, 2000));
    }
  };
  child.stdout?.setEncoding('utf8').on('data', take);
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    if (head.length < 16_384) head += chunk.slice(0, 16_384 - head.length);
    if (errors.length < 5) errors.push(`stderr: ${chunk.slice(0, 2000)}`);
  });
  return { levels, errors, head: () => head };
}

/** RSS in bytes from /proc/PID/status (VmRSS, in kB). */
export function residentSetSize(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
    return Number.isFinite(kb) ? kb * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}
