import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { AUTHENTICATION_FAILED } from '../../src/oauth/client-authentication.js';
import { FORM_HEADERS, form, startTestServer, type TestServer } from '../helpers/test-server.js';

/** The server's log lines, parsed. */
class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString().split('\n')) if (line !== '') this.lines.push(JSON.parse(line));
    done();
  }
}

/**
 * An unknown client and a wrong secret get the same answer, byte for byte, while the log, which
 * only the operator reads, tells them apart (oidc-provider's err_out: a public description and a
 * private detail).
 */
describe('a refused client authentication', () => {
  const capture = new LogCapture();
  let server: TestServer;
  let clientId = '';

  before(async () => {
    server = await startTestServer({ logger: pino({ level: 'info' }, capture) });
    ({ clientId } = await server.createClient());
  });
  after(() => server.close());

  async function attempt(id: string, path = '/oauth2/token') {
    const before = capture.lines.length;
    const response = await server.app.inject({
      method: 'POST',
      url: path,
      headers: FORM_HEADERS,
      payload: form({
        grant_type: 'client_credentials',
        scope: 'api',
        client_id: id,
        client_secret: 'wrong',
      }),
    });
    const line = capture.lines.slice(before).find((entry) => entry.msg === 'request completed');
    assert.ok(line, 'an access log line');
    const { date: _date, ...headers } = response.headers;
    return { status: response.statusCode, headers, body: response.rawPayload, line };
  }

  for (const path of ['/oauth2/token', '/oauth2/introspect', '/oauth2/revoke']) {
    it(`answers ${path} identically and logs which it was`, async () => {
      const unknown = await attempt('33333333-3333-4333-8333-333333333333', path);
      const wrong = await attempt(clientId, path);
      assert.equal(unknown.status, 401);
      assert.deepEqual(unknown.headers, wrong.headers);
      assert.ok(unknown.body.equals(wrong.body), 'the same bytes');
      assert.equal(unknown.line.detail, 'unknown client_id');
      assert.equal(wrong.line.detail, 'wrong client_secret');
      assert.equal(JSON.parse(unknown.body.toString()).error_description, AUTHENTICATION_FAILED);
    });
  }

  it('logs no detail for a request that went well', async () => {
    const { clientSecret, clientId: id } = await server.createClient();
    const before = capture.lines.length;
    const response = await server.app.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: FORM_HEADERS,
      payload: form({
        grant_type: 'client_credentials',
        scope: 'api',
        client_id: id,
        client_secret: clientSecret,
      }),
    });
    assert.equal(response.statusCode, 200);
    const line = capture.lines.slice(before).find((entry) => entry.msg === 'request completed');
    assert.equal(line?.detail, undefined);
  });
});
