import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, RunningProcess, randomKeyHex } from '../helpers/child-process.js';
import { tempDir } from '../helpers/test-server.js';
import { opensslMissing, selfSignedCertificate } from '../helpers/tls.js';
import { waitFor } from '../helpers/waiting.js';

// HTTPS served by the server itself when TLS_CERT_FILE and TLS_KEY_FILE are set: a certificate
// made for the test with openssl, the compiled `lean-auth serve`, node:https trusting just that
// certificate. The limits are those of plain HTTP (the TLS server is built apart, so checked apart).

const skip = opensslMissing();

interface Answer {
  readonly status: number;
  readonly headers: Record<string, unknown>;
  readonly body: string;
  readonly protocol: string | undefined;
}

describe('HTTPS with TLS_CERT_FILE and TLS_KEY_FILE', { skip, timeout: 60_000 }, () => {
  const temp = tempDir();
  let server: RunningProcess | undefined;
  let port = 0;
  let ca: Buffer;

  const send = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
    new Promise<Answer>((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port, path, method, headers, ca, servername: 'localhost', agent: false },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: text,
              protocol:
                (res.socket as { getProtocol?: () => string | null } | null)?.getProtocol?.() ?? undefined,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  before(async () => {
    const certificate = selfSignedCertificate(temp.dir);
    ca = certificate.cert;
    port = await freePort();
    server = new RunningProcess(['serve'], {
      LEAN_AUTH_ENV: 'sandbox',
      DATABASE_URL: `sqlite:${join(temp.dir, 'lean-auth.db')}`,
      KEY_ENCRYPTION_KEY: randomKeyHex(),
      ADMIN_TOKEN: randomBytes(32).toString('hex'),
      HOST: '127.0.0.1',
      PORT: String(port),
      ISSUER: `https://localhost:${port}`,
      TLS_CERT_FILE: certificate.certFile,
      TLS_KEY_FILE: certificate.keyFile,
    });
    await server.waitForOutput('lean-auth is listening');
  });
  after(async () => {
    await server?.kill();
    temp.remove();
  });

  it('says it listens on https, never http, and serves the demo a token over TLS', async () => {
    assert.match(server?.stdout ?? '', new RegExp(`"url":"https://127\\.0\\.0\\.1:${port}"`));
    assert.match(server?.stdout ?? '', new RegExp(`Server listening at https://127\\.0\\.0\\.1:${port}`));
    assert.doesNotMatch(server?.stdout ?? '', /http:\/\/127/, 'no log line says http');
    // The first-start banner is on stderr.
    const field = (name: string) =>
      new RegExp(`^\\s*${name}\\s+(\\S+)$`, 'm').exec(server?.stderr ?? '')?.[1] ?? '';
    const answer = await send(
      'POST',
      '/oauth2/token',
      { 'content-type': 'application/x-www-form-urlencoded' },
      new URLSearchParams({
        grant_type: 'client_credentials',
        scope: 'api',
        client_id: field('client_id'),
        client_secret: field('client_secret'),
      }).toString(),
    );
    assert.equal(answer.status, 200, answer.body);
    assert.match(answer.protocol ?? '', /^TLSv1\.[23]$/);
    assert.equal(answer.headers['cache-control'], 'no-store');
    assert.equal(answer.headers['x-content-type-options'], 'nosniff');
    assert.equal(answer.headers['strict-transport-security'], 'max-age=31536000');
    assert.ok(JSON.parse(answer.body).access_token);
  });

  it('publishes https URLs in its metadata', async () => {
    const answer = await send('GET', '/.well-known/oauth-authorization-server');
    assert.equal(answer.status, 200);
    assert.equal(JSON.parse(answer.body).token_endpoint, `https://localhost:${port}/oauth2/token`);
  });

  it('keeps the HTTP limits: 431 over 16 KiB of headers, keep-alive 72 s and 10,000 requests', async () => {
    const big = await send('GET', '/healthz', { 'x-padding': 'a'.repeat(17 * 1024) });
    assert.equal(big.status, 431);
    const fits = await send('GET', '/healthz', {
      'x-padding': 'a'.repeat(15 * 1024),
      connection: 'keep-alive',
    });
    assert.equal(fits.status, 200);
    assert.equal(fits.headers['strict-transport-security'], 'max-age=31536000', 'HSTS on every answer');
    assert.equal(fits.headers['keep-alive'], 'timeout=72, max=10000');
  });

  it('does not answer plain HTTP on the TLS port', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
        res.resume();
        resolve(`status ${res.statusCode}`);
      });
      req.on('error', (error) => resolve(`error ${(error as NodeJS.ErrnoException).code ?? error.message}`));
      req.setTimeout(5_000, () => req.destroy(new Error('timeout')));
      req.end();
    });
    assert.doesNotMatch(outcome, /^status 2/, outcome);
  });

  it('refuses a client that does not trust the certificate', async () => {
    await assert.rejects(
      new Promise((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port, path: '/healthz', agent: false }, resolve);
        req.on('error', reject);
        req.end();
      }),
      /self-signed|unable to verify|SELF_SIGNED/i,
    );
    await waitFor(() => server?.running === true, 1_000, 'the server to keep running');
  });
});
