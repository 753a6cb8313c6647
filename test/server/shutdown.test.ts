import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../../src/http/build-app.js';
import { closeGracefully, trackRequestsInFlight } from '../../src/server/shutdown.js';
import { opensslMissing, selfSignedCertificate } from '../helpers/tls.js';

// closeGracefully on a real socket: the requests in flight at a stop are answered in full, each
// answer says `Connection: close` (a client must not send another request down a connection that
// is about to close), idle keep-alive connections close at once, and a client that never finishes
// its request is cut after the grace period.

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Tls {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** A raw HTTP/1.1 connection: what the server writes, and whether it closed the connection. */
class RawClient {
  text = '';
  readonly closed: Promise<void>;
  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      this.text += chunk;
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async open(port: number, tls?: Tls): Promise<RawClient> {
    const socket = tls
      ? tlsConnect({ port, host: '127.0.0.1', ca: tls.cert, servername: 'localhost' })
      : netConnect(port, '127.0.0.1');
    await new Promise((resolve, reject) =>
      socket.once(tls ? 'secureConnect' : 'connect', resolve).once('error', reject),
    );
    return new RawClient(socket);
  }

  /** Waits until `count` responses have arrived (each of these has a body 'ok'). */
  async responses(count: number, timeoutMs = 5_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answers = this.text.split(/(?=HTTP\/1\.1 )/).filter((a) => a.endsWith('ok'));
      if (answers.length >= count) return answers;
      if (Date.now() > deadline) assert.fail(`no ${count} responses within ${timeoutMs} ms: ${this.text}`);
      await sleep(5);
    }
  }
}

const request = (path: string, body = '', bodySent = body.length) =>
  `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n` +
  `Content-Length: ${body.length}\r\n\r\n${body.slice(0, bodySent)}`;

/** The app of buildApp (its server settings), with routes of the test's own. */
async function startApp(tls?: Tls): Promise<{ app: FastifyInstance; port: number; release: () => void }> {
  const app = await buildApp({ logger: pino({ level: 'silent' }), tls });
  let release = () => {};
  // Fastify reads the whole body (text/plain) before it calls the handler.
  app.post('/echo', async () => 'ok');
  app.post('/slow', async () => {
    await new Promise<void>((resolve) => {
      release = resolve;
    });
    return 'ok';
  });
  trackRequestsInFlight(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  assert.ok(address && typeof address === 'object');
  return { app, port: address.port, release: () => release() };
}

function gracefulStopSuite(name: string, tls: () => Tls | undefined) {
  describe(name, { timeout: 30_000 }, () => {
    it('answers a request whose body is still arriving, with Connection: close, then stops', async () => {
      const { app, port } = await startApp(tls());
      const client = await RawClient.open(port, tls());
      client.socket.write(request('/echo', 'first'));
      const [first] = await client.responses(1);
      assert.match(first ?? '', /^HTTP\/1\.1 200 /);
      assert.match(first ?? '', /\r\nconnection: keep-alive\r\n/i);

      // The second request on the same connection: headers and half the body, then the stop.
      const body = 'grant_type=client_credentials';
      client.socket.write(request('/echo', body, 10));
      await sleep(100);
      let stopped = false;
      const stop = closeGracefully([app]).then(() => {
        stopped = true;
      });
      await sleep(150);
      assert.equal(stopped, false, 'the stop waits for the request in flight');

      client.socket.write(body.slice(10));
      const [, second] = await client.responses(2);
      assert.match(second ?? '', /^HTTP\/1\.1 200 /);
      assert.match(second ?? '', /\r\nconnection: close\r\n/i, 'the last response on its connection');
      await client.closed;
      await stop;
    });

    it('answers a request whose handler is still working, with Connection: close', async () => {
      const { app, port, release } = await startApp(tls());
      const client = await RawClient.open(port, tls());
      client.socket.write(request('/slow'));
      await sleep(100);
      const stop = closeGracefully([app]);
      await sleep(100);
      release();
      const [answer] = await client.responses(1);
      assert.match(answer ?? '', /^HTTP\/1\.1 200 /);
      assert.match(answer ?? '', /\r\nconnection: close\r\n/i);
      await client.closed;
      await stop;
    });

    it('closes idle keep-alive connections at once, not after the keep-alive timeout', async () => {
      const { app, port } = await startApp(tls());
      const clients = await Promise.all([1, 2, 3].map(() => RawClient.open(port, tls())));
      for (const client of clients) client.socket.write(request('/echo', 'x'));
      for (const client of clients) await client.responses(1);
      const started = Date.now();
      await closeGracefully([app]);
      await Promise.all(clients.map((client) => client.closed));
      assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
    });

    it('cuts a request that never finishes after the grace period', async () => {
      const { app, port } = await startApp(tls());
      const client = await RawClient.open(port, tls());
      client.socket.write(request('/echo', 'never sent in full', 3));
      await sleep(100);
      const started = Date.now();
      await closeGracefully([app], 300);
      await client.closed;
      const took = Date.now() - started;
      assert.ok(took >= 250 && took < 3_000, `took ${took} ms`);
      assert.equal(client.text, '', 'no response');
    });
  });
}

gracefulStopSuite('closeGracefully over HTTP', () => undefined);

describe('over HTTPS', { skip: opensslMissing() }, () => {
  let dir = '';
  let tls: Tls | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lean-auth-shutdown-'));
    const { cert, key } = selfSignedCertificate(dir);
    tls = { cert, key };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  gracefulStopSuite('closeGracefully over HTTPS', () => tls);
});
