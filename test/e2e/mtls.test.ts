import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { pino } from 'pino';
import { verifyCertificateBinding } from '../../src/kit/verify/index.js';
import { CERTIFICATE_FAILED } from '../../src/oauth/certificate-authentication.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { freePort } from '../helpers/child-process.js';
import { type Issued, issuedBy, selfSigned } from '../helpers/client-certificates.js';
import { TEST_ACTOR, tempDir, testConfig } from '../helpers/test-server.js';
import { opensslMissing, selfSignedCertificate } from '../helpers/tls.js';

// RFC 8705 end to end: openid-client over real TLS presents client certificates made by openssl;
// a second server, plain HTTP behind a "proxy" on loopback, reads RFC 9440 Client-Cert headers.

const skip = opensslMissing();
const SUBJECT = 'CN=client-a,O=Lean Test,C=SA';

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

describe('mutual TLS (RFC 8705) with openid-client', { skip, timeout: 90_000 }, () => {
  const temp = tempDir();
  let server: RunningServer;
  let proxied: RunningServer;
  let port: number;
  let issuer: string;
  let alias: string;
  let serverCa: Buffer;
  let clientA: Issued; // CA 1, the registered subject
  let otherCa: Issued; // CA 2, the same subject
  let otherSubject: Issued; // CA 1, another subject
  let self: Issued; // self-signed, registered in the JWKS
  let stranger: Issued; // self-signed, registered nowhere
  const ids: Record<string, string> = {};
  const proxiedIds: Record<string, string> = {};
  let secretApp: { id: string; secret: string };

  before(async () => {
    const tls = selfSignedCertificate(temp.dir);
    serverCa = tls.cert;
    const ca1 = selfSigned(temp.dir, 'ca1', '/CN=Test CA 1');
    const ca2 = selfSigned(temp.dir, 'ca2', '/CN=Test CA 2');
    clientA = issuedBy(ca1, temp.dir, 'a', '/C=SA/O=Lean Test/CN=client-a', 'DNS:client-a.example');
    otherCa = issuedBy(ca2, temp.dir, 'b', '/C=SA/O=Lean Test/CN=client-a', 'DNS:client-a.example');
    otherSubject = issuedBy(ca1, temp.dir, 'c', '/C=SA/O=Lean Test/CN=client-c', 'DNS:client-c.example');
    self = selfSigned(temp.dir, 'self', '/CN=self-signed client');
    stranger = selfSigned(temp.dir, 'stranger', '/CN=self-signed client');

    port = await freePort();
    issuer = `https://localhost:${port}`;
    alias = `https://127.0.0.1:${port}`;
    server = await startServer(
      testConfig(temp.dir, {
        PORT: String(port),
        ISSUER: issuer,
        TLS_CERT_FILE: tls.certFile,
        TLS_KEY_FILE: tls.keyFile,
        TLS_CLIENT_CA_FILE: ca1.certFile,
        MTLS_BASE_URL: alias,
      }),
      pino({ level: 'silent' }),
    );
    const proxiedPort = await freePort();
    proxied = await startServer(
      testConfig(`${temp.dir}/proxied`, {
        PORT: String(proxiedPort),
        ISSUER: `http://127.0.0.1:${proxiedPort}`,
        TRUST_PROXY: 'loopback',
      }),
      pino({ level: 'silent' }),
    );
    const certificateJwk = (issued: Issued) => {
      const x509 = new X509Certificate(issued.cert);
      return { ...x509.publicKey.export({ format: 'jwk' }), x5c: [x509.raw.toString('base64')] };
    };
    for (const [target, names] of [
      [server, ids],
      [proxied, proxiedIds],
    ] as const) {
      const create = async (settings: object) =>
        (await target.services.applications.create({ name: 'mtls', ...settings }, TEST_ACTOR)).application
          .clientId;
      names.pki = await create({
        tokenEndpointAuthMethod: 'tls_client_auth',
        tlsSubject: { tls_client_auth_subject_dn: SUBJECT },
      });
      names.san = await create({
        tokenEndpointAuthMethod: 'tls_client_auth',
        tlsSubject: { tls_client_auth_san_dns: 'CLIENT-A.example' },
        certificateBoundAccessTokens: true,
      });
      names.self = await create({
        tokenEndpointAuthMethod: 'self_signed_tls_client_auth',
        jwks: { keys: [certificateJwk(self)] },
      });
    }
    const secret = await server.services.applications.create(
      { name: 'secret, bound', certificateBoundAccessTokens: true },
      TEST_ACTOR,
    );
    secretApp = { id: secret.application.clientId, secret: secret.clientSecret };
  });

  after(async () => {
    await server?.close();
    await proxied?.close();
    temp.remove();
  });

  const called: string[] = [];
  /** fetch over node:https, presenting `certificate` (if any) and trusting only the server's own. */
  const mtlsFetch =
    (certificate: Issued | undefined, extra: Record<string, string> = {}) =>
    (url: string, options: { method: string; headers: Record<string, string>; body?: unknown }) =>
      new Promise<Response>((resolve, reject) => {
        called.push(url);
        const req = httpsRequest(
          url,
          {
            method: options.method,
            headers: { ...options.headers, ...extra },
            ca: serverCa,
            ...(certificate && { cert: certificate.cert, key: certificate.key }),
            agent: false,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => {
              const headers = new Headers();
              for (let i = 0; i < res.rawHeaders.length; i += 2) {
                headers.append(res.rawHeaders[i] ?? '', res.rawHeaders[i + 1] ?? '');
              }
              resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 0, headers }));
            });
          },
        );
        req.on('error', reject);
        req.end(options.body === undefined ? undefined : String(options.body));
      });

  async function configuration(clientId: string, certificate: Issued, aliases = false) {
    // openid-client 6 has one TlsClientAuth for both methods: client_id in the body, the certificate on TLS.
    const auth = client.TlsClientAuth();
    const options = { [client.customFetch]: mtlsFetch(certificate) };
    const config = await client.discovery(
      new URL(issuer),
      clientId,
      { use_mtls_endpoint_aliases: aliases },
      auth,
      options,
    );
    config[client.customFetch] = mtlsFetch(certificate);
    return config;
  }

  /** A token request by hand: the form, a certificate to present, extra headers. */
  async function token(
    form: Record<string, string>,
    certificate?: Issued,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const response = await mtlsFetch(certificate, headers)(`${issuer}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api', ...form }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  const thumbprint = (issued: Issued) =>
    createHash('sha256').update(new X509Certificate(issued.cert).raw).digest('base64url');

  it('issues a token by tls_client_auth (subject DN), also at the mtls_endpoint_aliases', async () => {
    for (const aliases of [false, true]) {
      const config = await configuration(ids.pki ?? '', clientA, aliases);
      const tokens = await client.clientCredentialsGrant(config, { scope: 'api' });
      assert.equal(called.at(-1), `${aliases ? alias : issuer}/oauth2/token`);
      assert.equal(decodeJwt(tokens.access_token).client_id, ids.pki);
      assert.equal(decodeJwt(tokens.access_token).cnf, undefined, 'not bound unless registered so');
    }
  });

  it('issues a token by self_signed_tls_client_auth', async () => {
    const tokens = await client.clientCredentialsGrant(await configuration(ids.self ?? '', self), {
      scope: 'api',
    });
    assert.equal(decodeJwt(tokens.access_token).sub, ids.self);
  });

  it('binds the token to the certificate (cnf.x5t#S256), in the token and at introspection', async () => {
    const config = await configuration(ids.san ?? '', clientA);
    const tokens = await client.clientCredentialsGrant(config, { scope: 'api' });
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    const claims = decodeJwt(tokens.access_token);
    assert.deepEqual(claims.cnf, { 'x5t#S256': thumbprint(clientA) });
    const introspected = await client.tokenIntrospection(config, tokens.access_token);
    assert.equal(introspected.active, true);
    assert.deepEqual(introspected.cnf, { 'x5t#S256': thumbprint(clientA) });
  });

  it('binds a secret client’s token to the certificate it presents, and refuses it without one', async () => {
    const form = { client_id: secretApp.id, client_secret: secretApp.secret };
    const bound = await token(form, otherCa); // any certificate: it proves nothing, it binds
    assert.equal(bound.status, 200, JSON.stringify(bound.body));
    assert.deepEqual(decodeJwt(String(bound.body.access_token)).cnf, { 'x5t#S256': thumbprint(otherCa) });
    const refused = await token(form);
    assert.equal(refused.status, 400);
    assert.match(String(refused.body.error_description), /bound to its TLS client certificate/);
  });

  it('lets the kit check the presented certificate against cnf', async () => {
    const tokens = await client.clientCredentialsGrant(await configuration(ids.san ?? '', clientA), {
      scope: 'api',
    });
    const claims = decodeJwt(tokens.access_token) as Parameters<typeof verifyCertificateBinding>[0];
    verifyCertificateBinding(claims, new X509Certificate(clientA.cert));
    verifyCertificateBinding(claims, clientA.cert.toString());
    assert.throws(() => verifyCertificateBinding(claims, otherSubject.cert), /another client certificate/);
    assert.throws(() => verifyCertificateBinding(claims, undefined), /none was presented/);
    assert.throws(() =>
      verifyCertificateBinding({ ...claims, cnf: undefined }, clientA.cert, { required: true }),
    );
  });

  const refused = async (answer: Answer, description: string | RegExp) => {
    assert.equal(answer.status, 401, JSON.stringify(answer.body));
    assert.equal(answer.body.error, 'invalid_client');
    if (typeof description === 'string') assert.equal(answer.body.error_description, description);
    else assert.match(String(answer.body.error_description), description);
  };

  it('refuses a client_id without a certificate', async () => {
    await refused(await token({ client_id: ids.pki ?? '' }), /no TLS client certificate was presented/);
  });

  it('refuses a certificate of another CA, naming that it is not trusted', async () => {
    await refused(
      await token({ client_id: ids.pki ?? '' }, otherCa),
      /not issued by a CA this server trusts/,
    );
  });

  it('refuses another subject, and an unknown client_id alike', async () => {
    await refused(await token({ client_id: ids.pki ?? '' }, otherSubject), CERTIFICATE_FAILED);
    await refused(await token({ client_id: ids.san ?? '' }, otherSubject), CERTIFICATE_FAILED);
    await refused(
      await token({ client_id: '00000000-0000-4000-8000-000000000000' }, clientA),
      CERTIFICATE_FAILED,
    );
    await refused(await token({ client_id: secretApp.id }, clientA), CERTIFICATE_FAILED);
  });

  it('refuses a self-signed certificate that is not in the JWKS', async () => {
    await refused(await token({ client_id: ids.self ?? '' }, stranger), /^client authentication failed/);
    await refused(await token({ client_id: ids.self ?? '' }, clientA), CERTIFICATE_FAILED);
  });

  it('refuses a client secret for a tls_client_auth application, naming its method', async () => {
    const created = await server.services.applications.create(
      {
        name: 'pki 2',
        tokenEndpointAuthMethod: 'tls_client_auth',
        tlsSubject: { tls_client_auth_san_dns: 'x.example' },
      },
      TEST_ACTOR,
    );
    await refused(
      await token({ client_id: created.application.clientId, client_secret: created.clientSecret }),
      'this application authenticates with tls_client_auth, not client_secret_post',
    );
  });

  it('ignores a Client-Cert header from an address that is not a trusted proxy', async () => {
    const header = `:${new X509Certificate(clientA.cert).raw.toString('base64')}:`;
    await refused(
      await token({ client_id: ids.pki ?? '' }, undefined, { 'Client-Cert': header }),
      /no TLS client certificate/,
    );
  });

  it('reads the Client-Cert header of a trusted proxy, and refuses a malformed one clearly', async () => {
    const base = proxied.url;
    const send = async (clientId: string, header: string) => {
      const response = await fetch(`${base}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'Client-Cert': header },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api', client_id: clientId }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const der = (issued: Issued) => new X509Certificate(issued.cert).raw.toString('base64');
    const pki = await send(proxiedIds.pki ?? '', `:${der(clientA)}:`);
    assert.equal(pki.status, 200, JSON.stringify(pki.body));
    const bound = await send(proxiedIds.san ?? '', `:${der(clientA)}:`);
    assert.deepEqual(decodeJwt(String(bound.body.access_token)).cnf, { 'x5t#S256': thumbprint(clientA) });
    assert.equal((await send(proxiedIds.self ?? '', `:${der(self)}:`)).status, 200);
    await refused(await send(proxiedIds.pki ?? '', `:${der(otherSubject)}:`), CERTIFICATE_FAILED);
    for (const malformed of [der(clientA), `:${der(clientA).slice(1)}:`, ':bm90IGEgY2VydA==:']) {
      const answer = await send(proxiedIds.pki ?? '', malformed);
      assert.equal(answer.status, 400, malformed.slice(0, 20));
      assert.equal(answer.body.error, 'invalid_request');
      assert.match(String(answer.body.error_description), /Client-Cert header/);
    }
  });

  it('advertises the mTLS methods, bound tokens and the endpoint aliases', async () => {
    const response = await mtlsFetch(undefined)(`${issuer}/.well-known/oauth-authorization-server`, {
      method: 'GET',
      headers: {},
    });
    const metadata = (await response.json()) as Record<string, unknown>;
    const methods = metadata.token_endpoint_auth_methods_supported as string[];
    assert.ok(methods.includes('tls_client_auth') && methods.includes('self_signed_tls_client_auth'));
    assert.equal(metadata.tls_client_certificate_bound_access_tokens, true);
    assert.deepEqual(metadata.mtls_endpoint_aliases, {
      token_endpoint: `${alias}/oauth2/token`,
      introspection_endpoint: `${alias}/oauth2/introspect`,
      revocation_endpoint: `${alias}/oauth2/revoke`,
    });
  });
});
