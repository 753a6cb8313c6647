import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { type LevelWithSilent, pino } from 'pino';
import { AccessLog } from '../../src/http/access-log.js';
import { handleError } from '../../src/http/error-reply.js';
import { lazyChildLoggerFactory } from '../../src/http/request-logger.js';

// lazyChildLoggerFactory: the request logger makes its pino child only when a line is to be written,
// and every line is the same as with Fastify's own child logger, request id included.

class LogCapture extends Writable {
  lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString().split('\n')) if (line) this.lines.push(JSON.parse(line));
    done();
  }
}

async function run(level: LevelWithSilent, lazy: boolean) {
  const capture = new LogCapture();
  const app = Fastify({
    loggerInstance: pino({ level }, capture) as FastifyBaseLogger,
    logController: new AccessLog(),
    ...(lazy && { childLoggerFactory: lazyChildLoggerFactory }),
  });
  // Fastify's own logger, the parent of every request's (a child of the instance given).
  // Counted: the children of Fastify's logger (request loggers); pino's children inherit the spy.
  let children = 0;
  const root = app.log;
  const child = root.child;
  root.child = function (this: FastifyBaseLogger, ...args) {
    if (this === root) children++;
    return child.apply(this, args);
  };
  app.get('/ok', async () => 'ok');
  // The app's error handler (build-app.ts) on a second path; Fastify's own on /boom.
  await app.register(async (scoped) => {
    scoped.setErrorHandler(handleError);
    scoped.get('/scoped/boom', async () => {
      throw new Error('scoped boom');
    });
  });
  app.get('/boom', async () => {
    throw new Error('boom');
  });
  app.get('/chatty', async (request, reply) => {
    request.log.debug({ step: 1 }, 'debug line');
    request.log.warn('warn line %s', 'formatted');
    reply.log.info({ nested: { a: 1 } }, 'info line');
    request.log.child({ part: 'x' }).warn('from a child');
    return { level: request.log.level };
  });
  await app.ready();
  children = 0; // only those made for requests
  const answers = [];
  for (const url of ['/ok', '/boom', '/chatty', '/nowhere', '/scoped/boom', '/ok']) {
    const response = await app.inject({ method: 'GET', url });
    answers.push([response.statusCode, response.body]);
  }
  await app.close();
  // What differs from run to run: the time, durations, and the stack of an error (its line numbers).
  const lines = capture.lines.map(
    ({ time, ms, responseTime, err, ...rest }): Record<string, unknown> => ({
      ...rest,
      ...(err !== undefined && { err: { ...(err as object), stack: undefined } }),
    }),
  );
  return { lines, answers, children };
}

describe('lazyChildLoggerFactory', () => {
  for (const level of ['trace', 'info', 'warn', 'error', 'silent'] as const) {
    it(`writes the same lines as Fastify's child logger at level ${level}`, async () => {
      const eager = await run(level, false);
      const lazy = await run(level, true);
      assert.deepEqual(lazy.answers, eager.answers);
      assert.deepEqual(lazy.lines, eager.lines);
      if (level !== 'silent') {
        // The error lines carry the request id: Fastify's error handler's and the app's.
        assert.equal(lazy.lines.find((line) => line.msg === 'boom')?.reqId, 'req-2');
        assert.equal(lazy.lines.find((line) => line.msg === 'unexpected error')?.reqId, 'req-5');
      }
    });
  }

  it('makes no child for a request that logs nothing at the level set, and one for an error', async () => {
    const { children, lines } = await run('warn', true);
    // /boom and /scoped/boom (their error lines) and /chatty (its warn lines) only.
    assert.equal(children, 3);
    assert.equal(lines.find((line) => line.msg === 'from a child')?.part, 'x');
    assert.deepEqual(
      lines.map((line) => [line.reqId, line.msg]),
      [
        ['req-2', 'boom'],
        ['req-3', 'warn line formatted'],
        ['req-3', 'from a child'],
        ['req-5', 'unexpected error'],
      ],
    );
  });

  it('reports the level of the logger it would make', async () => {
    const { answers } = await run('info', true);
    assert.deepEqual(answers[2], [200, '{"level":"info"}']);
  });
});
