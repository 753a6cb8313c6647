import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './child-process.js';

const run = promisify(execFile);
const POSTGRES_ROOT = '/usr/lib/postgresql';
/** Generous for a 2-core machine under load; pg_ctl waits this long too (-t). */
const COMMAND_TIMEOUT_S = 60;

/** The machine's PostgreSQL binaries (the newest version with initdb and pg_ctl), or why there are none. */
export function postgresBinaries(): { bin: string } | { missing: string } {
  const versions = existsSync(POSTGRES_ROOT)
    ? readdirSync(POSTGRES_ROOT)
        .filter((name) => /^\d+(\.\d+)?$/.test(name))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const version of versions) {
    const bin = join(POSTGRES_ROOT, version, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return { bin };
  }
  return { missing: `no initdb and pg_ctl under ${POSTGRES_ROOT}/*/bin` };
}

/** The uid and gid of the `postgres` OS user, or undefined when there is none. */
function postgresUser(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The node:test `skip` option for suites that run a PostgreSQL cluster of their own: false when
 * the binaries are there (and, as root, the `postgres` user to run them as); a printed reason when
 * not. In CI (CI=true) that is a failure instead.
 */
export function skipWithoutPostgresBinaries(): string | false {
  const found = postgresBinaries();
  let reason: string | undefined;
  if ('missing' in found) reason = found.missing;
  else if (process.getuid?.() === 0 && !postgresUser())
    reason = 'running as root, and there is no postgres OS user to run initdb as';
  else if (process.getuid?.() === 0 && !existsSync('/usr/sbin/runuser') && !existsSync('/sbin/runuser'))
    reason = 'running as root, and runuser is missing';
  if (reason === undefined) return false;
  if (process.env.CI) throw new Error(`PostgreSQL binaries are required in CI: ${reason}`);
  process.stderr.write(`skipping own-PostgreSQL suite: ${reason}\n`);
  return reason;
}

/**
 * A throw-away PostgreSQL cluster in a temporary folder, on a free loopback port, trust auth, no
 * fsync: for tests that stop and start the database, away from the shared server.
 */
export class PostgresCluster {
  private constructor(
    private readonly bin: string,
    /** The temporary folder holding the data directory, the log and the socket. */
    readonly dir: string,
    readonly port: number,
    private readonly asPostgres: boolean,
  ) {}

  /** initdb into a new temporary folder (not started yet). */
  static async create(): Promise<PostgresCluster> {
    const found = postgresBinaries();
    if ('missing' in found) throw new Error(found.missing);
    const dir = mkdtempSync(join(tmpdir(), 'lean-auth-pg-'));
    const asPostgres = process.getuid?.() === 0;
    try {
      if (asPostgres) {
        const user = postgresUser();
        if (!user) throw new Error('no postgres OS user');
        // initdb refuses to run as root: the cluster belongs to the postgres user.
        chownSync(dir, user.uid, user.gid);
      }
      const cluster = new PostgresCluster(found.bin, dir, await freePort(), asPostgres);
      await cluster.command('initdb', [
        '-D',
        cluster.dataDir,
        '-A',
        'trust',
        '-U',
        'postgres',
        '-E',
        'UTF8',
        '--no-locale',
        '--no-sync',
      ]);
      return cluster;
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** The DATABASE_URL of the cluster's `postgres` database. */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    await this.command('pg_ctl', [
      '-D',
      this.dataDir,
      '-l',
      join(this.dir, 'postgres.log'),
      '-w',
      '-t',
      String(COMMAND_TIMEOUT_S),
      '-o',
      `-p ${this.port} -h 127.0.0.1 -k ${this.dir} -F`,
      'start',
    ]);
  }

  /** Stops the server (`fast`: disconnects every session at once) and waits until it is gone. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.command('pg_ctl', [
      '-D',
      this.dataDir,
      '-m',
      mode,
      '-w',
      '-t',
      String(COMMAND_TIMEOUT_S),
      'stop',
    ]);
  }

  /** Whether the server runs (its postmaster.pid exists). */
  get running(): boolean {
    return existsSync(join(this.dataDir, 'postmaster.pid'));
  }

  /**
   * Freezes the server (SIGSTOP to the postmaster and every backend): connections are still
   * accepted by the kernel and open sessions stay open, but nothing is answered, as when the
   * database host hangs or the network drops packets.
   */
  freeze(): void {
    this.signalAll('SIGSTOP');
    this.frozen = true;
  }

  /** Lets a frozen server go on. */
  thaw(): void {
    this.signalAll('SIGCONT');
    this.frozen = false;
  }

  private frozen = false;

  /** The postmaster's id and its children's: the processes of this cluster only. */
  private processIds(): number[] {
    const postmaster = Number(readFileSync(join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (!Number.isInteger(postmaster) || postmaster <= 0) throw new Error('no postmaster.pid');
    let children: number[] = [];
    try {
      children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(postmaster)], { encoding: 'utf8' })
        .split('\n')
        .map((line) => Number(line.trim()))
        .filter((pid) => Number.isInteger(pid) && pid > 0);
    } catch {
      // ps exits 1 when there are no children.
    }
    return [postmaster, ...children];
  }

  private signalAll(signal: NodeJS.Signals): void {
    for (const pid of this.processIds()) {
      try {
        process.kill(pid, signal);
      } catch {}
    }
  }

  /** The server log, for failure messages. */
  log(): string {
    try {
      return readFileSync(join(this.dir, 'postgres.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** Stops the server if it runs, whatever state the test left it in, and removes the folder. */
  async destroy(): Promise<void> {
    if (this.frozen && this.running) this.thaw();
    if (this.running) {
      await this.stop('immediate').catch(() => {
        // pg_ctl failed: end the postmaster we started, by the id it wrote.
        const pid = Number(readFileSync(join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
        if (Number.isInteger(pid) && pid > 0) {
          try {
            process.kill(pid, 'SIGQUIT');
          } catch {}
        }
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async command(name: string, args: readonly string[]): Promise<void> {
    const program = join(this.bin, name);
    const [file, argv] = this.asPostgres
      ? ['runuser', ['-u', 'postgres', '--', program, ...args]]
      : [program, [...args]];
    try {
      await run(file, argv, { cwd: this.dir, timeout: (COMMAND_TIMEOUT_S + 15) * 1000 });
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(
        `${name} ${args.join(' ')} failed: ${String(error)}\n${stdout}\n${stderr}\n${this.log()}`,
      );
    }
  }
}
