import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { FORM_HEADERS, form, startTestServer, TEST_ACTOR, type TestServer } from '../helpers/test-server.js';

/** Everything the server logs during a run, as text. */
class LogCapture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('the log of a run', () => {
  const capture = new LogCapture();
  let server: TestServer;
  const secrets: string[] = [];
  const tokens: string[] = [];

  before(async () => {
    server = await startTestServer({ logger: pino({ level: 'trace' }, capture) });
    const client = await server.createClient();
    const customer = await server.services.customers.create(client.clientId, 'user', TEST_ACTOR);
    secrets.push(client.clientSecret);
    const basic = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
    const requests = [
      {
        payload: form({
          grant_type: 'client_credentials',
          scope: 'api',
          client_id: client.clientId,
          client_secret: client.clientSecret,
        }),
      },
      {
        payload: form({ grant_type: 'client_credentials', scope: `customer.${customer.customerId}` }),
        authorization: basic,
      },
      // Mistakes a careless client makes: the secret in the URL, in both places, in a JSON body.
      {
        payload: form({ grant_type: 'client_credentials' }),
        url: `/oauth2/token?client_secret=${client.clientSecret}`,
      },
      { payload: form({ client_secret: client.clientSecret }), authorization: basic },
      { payload: JSON.stringify({ client_secret: client.clientSecret }), contentType: 'application/json' },
      {
        payload: form({
          grant_type: 'client_credentials',
          scope: 'api',
          client_id: client.clientId,
          client_secret: 'wrong',
        }),
      },
    ];
    for (const request of requests) {
      const response = await server.app.inject({
        method: 'POST',
        url: request.url ?? '/oauth2/token',
        payload: request.payload,
        headers: {
          'content-type': request.contentType ?? FORM_HEADERS['content-type'],
          ...(request.authorization && { authorization: request.authorization }),
        },
      });
      if (response.statusCode === 200) tokens.push(response.json().access_token);
    }
    // Introspection and revocation carry a token in the body; a careless client puts it in the URL.
    const [token = ''] = tokens;
    const credentials = { client_id: client.clientId, client_secret: client.clientSecret };
    for (const [url, payload] of [
      ['/oauth2/introspect', form({ token, ...credentials })],
      ['/oauth2/revoke', form({ token, ...credentials })],
      [`/oauth2/introspect?token=${token}`, form(credentials)],
    ] as const) {
      await server.app.inject({ method: 'POST', url, payload, headers: FORM_HEADERS });
    }
    await server.app.inject({ method: 'GET', url: `/nowhere?client_secret=${client.clientSecret}` });
  });
  after(() => server.close());

  it('has an access line for every request, so the checks below look at real output', () => {
    assert.equal(tokens.length, 2);
    assert.equal(capture.text.match(/"msg":"request completed"/g)?.length, 10);
    assert.match(capture.text, /"path":"\/oauth2\/token","status":200/);
    assert.match(capture.text, /"path":"\/oauth2\/introspect","status":200/);
    assert.match(capture.text, /"path":"\/oauth2\/revoke","status":200/);
    assert.match(capture.text, /"path":"\/oauth2\/introspect","status":400/);
    assert.match(capture.text, /"path":"\/nowhere","status":404/);
  });

  it('never holds a client secret', () => {
    for (const secret of secrets) assert.equal(capture.text.includes(secret), false);
  });

  it('never holds a token, nor even its signature', () => {
    for (const token of tokens) {
      assert.equal(capture.text.includes(token), false);
      assert.equal(capture.text.includes(token.split('.')[2] ?? 'x'), false);
    }
  });

  it('never holds a private key or an Authorization header', () => {
    assert.doesNotMatch(capture.text, /PRIVATE KEY|"d":"|authorization|Basic /i);
  });
});
