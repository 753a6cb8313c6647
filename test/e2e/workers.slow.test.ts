import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, RunningProcess, randomKeyHex } from '../helpers/child-process.js';
import { tempDir } from '../helpers/test-server.js';
import { requestTokenOnNewConnection, tokenForm } from '../helpers/token-request.js';
import { waitFor } from '../helpers/waiting.js';

const LISTENING = 'lean-auth is listening';

interface Demo {
  clientId: string;
  clientSecret: string;
}

interface LogRecord {
  pid: number;
  msg: string;
  [field: string]: unknown;
}

/** The JSON log records a process wrote to stdout (the banners between them are not JSON). */
function logRecords(server: RunningProcess): LogRecord[] {
  return server.stdout.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as LogRecord];
    } catch {
      return [];
    }
  });
}

/** The demo credentials from the sandbox banner. */
function demoFrom(server: RunningProcess): Demo {
  const field = (name: string) => new RegExp(`^\\s*${name}\\s+(\\S+)$`, 'm').exec(server.stderr)?.[1] ?? '';
  return { clientId: field('client_id'), clientSecret: field('client_secret') };
}

/** A token request whose body is sent only in part: the server holds it in flight until `finish`. */
async function requestInFlight(port: number, demo: Demo): Promise<{ finish(): Promise<string> }> {
  const body = tokenForm(demo).toString();
  const socket: Socket = connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let answer = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    answer += chunk;
  });
  const ended = new Promise<string>((resolve) => socket.once('close', () => resolve(answer)));
  socket.write(
    `POST /oauth2/token HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
      `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n` +
      body.slice(0, 10),
  );
  return {
    finish() {
      socket.end(body.slice(10));
      return ended;
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * What SIGTERM must do, one process or many: stop accepting, let the request in flight finish
 * with its token, then exit 0.
 */
async function assertGracefulStop(server: RunningProcess, port: number, demo: Demo): Promise<void> {
  const inFlight = await requestInFlight(port, demo);
  // Let the server read the headers: the request is in flight from then on.
  await new Promise((resolve) => setTimeout(resolve, 200));
  server.child.kill('SIGTERM');
  await waitFor(
    async () =>
      requestTokenOnNewConnection(port, demo).then(
        () => false,
        () => true,
      ),
    5_000,
    'new connections to be refused after SIGTERM',
  );
  assert.ok(server.running, 'the process waits for the request in flight');

  const answer = await inFlight.finish();
  assert.match(answer, /^HTTP\/1\.1 200 /, answer);
  assert.match(answer, /"access_token":"[\w-]+\.[\w-]+\.[\w-]+"/);
  assert.match(answer, /\r\nconnection: close\r\n/i, 'the last response on its connection');
  const { code, signal } = await server.waitForExit(15_000);
  assert.equal(signal, null, server.output());
  assert.equal(code, 0, server.output());
}

describe('lean-auth serve with WORKERS=2 on SQLite', { timeout: 60_000 }, () => {
  const temp = tempDir();
  let server: RunningProcess;
  let port: number;
  let demo: Demo;
  /** Every worker pid seen, to check that none is left behind. */
  const workerPids = new Set<number>();

  const listeningWorkers = () =>
    logRecords(server)
      .filter((record) => record.msg === 'worker listening')
      .map((record) => record.pid);
  /** The pids that answered token requests, from the access log. */
  const answeringPids = () =>
    new Set(
      logRecords(server)
        .filter((record) => record.msg === 'request completed' && record.path === '/oauth2/token')
        .map((record) => record.pid),
    );

  before(async () => {
    port = await freePort();
    server = new RunningProcess(['serve'], {
      WORKERS: '2',
      PORT: String(port),
      DATABASE_URL: `sqlite:${join(temp.dir, 'lean-auth.db')}`,
      // No KEY_ENCRYPTION_KEY: the sandbox key, and its warning once for the whole start.
      LOG_LEVEL: 'info',
    });
    await server.waitForOutput(LISTENING);
    demo = demoFrom(server);
    // Each process writes its own log lines: a worker's may come out after the primary's.
    await waitFor(
      () => listeningWorkers().length >= 2,
      5_000,
      () => `two workers:\n${server.output()}`,
    );
    for (const pid of listeningWorkers()) workerPids.add(pid);
  });

  after(async () => {
    await server.kill();
    for (const pid of workerPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    temp.remove();
  });

  it('does the start work once: one demo banner, one key warning, then two worker processes listen', () => {
    assert.equal((server.stderr.match(/^\s*client_secret\s/gm) ?? []).length, 1, server.output());
    const warnings = logRecords(server).filter((record) =>
      record.msg.includes('KEY_ENCRYPTION_KEY is not set'),
    );
    assert.equal(warnings.length, 1, server.output());
    assert.equal(warnings[0]?.pid, server.child.pid, 'the primary warns, not a worker');
    assert.match(demo.clientId, /^[0-9a-f-]{36}$/);
    assert.equal(workerPids.size, 2, server.output());
    assert.ok(!workerPids.has(server.child.pid ?? 0), 'the primary itself does not serve');
    const ready = logRecords(server).find((record) => record.msg === LISTENING);
    assert.equal(ready?.workers, 2);
    assert.equal(ready?.pid, server.child.pid);
  });

  it('answers token requests from both workers', async () => {
    // The kernel picks which worker accepts a connection: send until both have answered.
    await waitFor(
      async () => {
        for (let i = 0; i < 5; i++) assert.equal(await requestTokenOnNewConnection(port, demo), 200);
        return answeringPids().size === 2;
      },
      10_000,
      () => `both workers to answer:\n${server.output()}`,
    );
    assert.deepEqual([...answeringPids()].sort(), [...workerPids].sort());
  });

  it('restarts a worker killed with SIGKILL while requests go on succeeding', async () => {
    const [victim, survivor] = [...workerPids] as [number, number];
    process.kill(victim, 'SIGKILL');
    const statuses: number[] = [];
    // Connections keep coming while the worker is dead and while its replacement starts.
    for (let i = 0; i < 40; i++) {
      statuses.push(await requestTokenOnNewConnection(port, demo));
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.deepEqual(statuses, Array(40).fill(200));

    await waitFor(
      () => listeningWorkers().length === 3,
      10_000,
      () => `a new worker:\n${server.output()}`,
    );
    const replacement = listeningWorkers()[2] as number;
    workerPids.add(replacement);
    assert.ok(!alive(victim));
    assert.ok(![victim, survivor].includes(replacement));
    const restarted = logRecords(server).find((record) => record.msg === 'worker exited: restarting it');
    assert.equal(restarted?.workerPid, victim);
    assert.equal(restarted?.signal, 'SIGKILL');

    await waitFor(
      async () => {
        for (let i = 0; i < 5; i++) assert.equal(await requestTokenOnNewConnection(port, demo), 200);
        return answeringPids().has(replacement);
      },
      10_000,
      'the new worker to answer',
    );
  });

  it('on SIGTERM to the primary: stops accepting, finishes the request in flight, exits 0, leaves no process', async () => {
    await assertGracefulStop(server, port, demo);
    assert.match(server.stdout, /"signal":"SIGTERM".*"msg":"shutting down"/);
    assert.match(server.stdout, /all workers stopped/);
    const messages = logRecords(server).map((record) => record.msg);
    assert.ok(
      messages.lastIndexOf('worker started') < messages.indexOf('shutting down'),
      'no worker is started after the stop',
    );
    const left = [...workerPids].filter(alive);
    assert.deepEqual(left, [], 'no worker outlives the primary');
  });
});

describe('lean-auth serve with one process (WORKERS unset)', { timeout: 60_000 }, () => {
  const temp = tempDir();
  let server: RunningProcess;

  after(async () => {
    await server?.kill();
    temp.remove();
  });

  it('forks nothing, and on SIGTERM stops accepting, finishes the request in flight and exits 0', async () => {
    const port = await freePort();
    server = new RunningProcess(['serve'], {
      PORT: String(port),
      DATABASE_URL: `sqlite:${join(temp.dir, 'lean-auth.db')}`,
      KEY_ENCRYPTION_KEY: randomKeyHex(),
      LOG_LEVEL: 'info',
    });
    await server.waitForOutput(LISTENING);
    assert.doesNotMatch(server.stdout, /worker/);
    const demo = demoFrom(server);
    assert.equal(await requestTokenOnNewConnection(port, demo), 200);
    assert.deepEqual(
      [...new Set(logRecords(server).map((record) => record.pid))],
      [server.child.pid],
      'one process does all',
    );
    await assertGracefulStop(server, port, demo);
  });
});
