import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { pino } from 'pino';
import { unsealPrivateKey } from '../../../src/domain/signing-key-material.js';
import { ADMIN_ACTOR } from '../../../src/http/admin/admin-context.js';
import { ADMIN_ERRORS } from '../../../src/http/admin/admin-error.js';
import { OAUTH_ERROR_CODES } from '../../../src/oauth/errors.js';
import { ADMIN, ADMIN_TOKEN, type AdminTestServer, startAdminServer } from '../../helpers/admin-server.js';
import type { ClientCredentials } from '../../helpers/test-server.js';
import { Watchlist } from './watchlist.js';

/**
 * Everything the server logs, captured in memory: what arrived since the last check is kept
 * until `take()`, and only a bounded tail after that, so that an hour-long fuzz run stays small.
 */
export class LogCapture extends Writable {
  private pending = '';
  private tail = '';
  /** Log lines written so far. */
  lines = 0;
  /** Access log lines ("request completed") written so far. */
  accessLines = 0;

  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    const text = chunk.toString();
    this.pending += text;
    this.lines += text.split('\n').length - 1;
    this.accessLines += text.split('"msg":"request completed"').length - 1;
    done();
  }

  /** The text logged since the last take(). */
  take(): string {
    const taken = this.pending;
    this.pending = '';
    this.tail = (this.tail + taken).slice(-20_000);
    return taken;
  }

  /** The last lines logged, for a failure message. */
  recent(): string {
    return (this.tail + this.pending).slice(-2_000);
  }
}

/** One request as the fuzzers send it through `app.inject()`. */
export interface FuzzRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer | string | undefined;
  readonly remoteAddress: string;
}

/** The applications, customers and tokens every fuzz run starts from. */
export interface Fixture {
  /** Both token classes; its customers are `customers`. */
  readonly appA: ClientCredentials;
  /** api only, a resource server (may introspect any application's tokens). */
  readonly appB: ClientCredentials;
  /** Disabled. */
  readonly disabled: ClientCredentials;
  /** Active customers of appA. */
  readonly customers: readonly string[];
  /** A disabled customer of appA. */
  readonly disabledCustomer: string;
  /** A customer of appB (appB has no customer token class: a scope naming it is refused). */
  readonly foreignCustomer: string;
  /** Tokens issued before the run: appA api, appA customer, appB api. */
  readonly tokens: { readonly appA: string; readonly appACustomer: string; readonly appB: string };
  /** An appA token that was revoked. */
  readonly revokedToken: string;
}

/**
 * Bugs the fuzzers found and that are reported, not yet fixed (each has a regression test marked
 * `todo` that names it). Answers they explain are still checked for 5xx and leaks, not for their
 * shape, so that the fuzzers keep looking for new problems. Delete an entry once its bug is fixed.
 */
export const KNOWN_BUGS: readonly {
  readonly name: string;
  readonly explains: (response: LightMyRequestResponse, request: FuzzRequest) => boolean;
}[] = [
  // None now. Fixed: Fastify's own answers to undecodable paths and over-long route parameters
  // (test/http/framework-errors.test.ts).
];

/** RFC 6749 §5.2 codes the OAuth endpoints may answer with, and `not_found` for an unknown path. */
export const DOCUMENTED_OAUTH_ERRORS: ReadonlySet<string> = new Set([...OAUTH_ERROR_CODES, 'not_found']);

/**
 * A server (public and admin surface, one app for inject()) over a temporary SQLite store, with a
 * log captured in memory, a fixture of applications and tokens, and what must never leak.
 */
export class FuzzTarget {
  /**
   * Client secrets and their digests, the admin token, the key encryption key, private key parts:
   * never in the log, never in an answer to a request that did not carry them. The fixture's stay
   * watched; of the secrets the fuzzers make, the latest 20,000.
   */
  private readonly secrets = new Watchlist(20_000);
  /** Signatures of the access tokens seen (the latest 10,000, and the fixture's): likewise. */
  private readonly tokens = new Watchlist(10_000);
  private tokensSeen = 0;
  private jwks: ReturnType<typeof createLocalJWKSet> | undefined;
  /** How many answers of each status each path prefix got (to show what the fuzzing reached). */
  readonly statuses = new Map<string, number>();
  /** How many answers each known bug explained. */
  readonly knownBugHits = new Map<string, number>();

  private constructor(
    readonly server: AdminTestServer,
    readonly fixture: Fixture,
    readonly log: LogCapture,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<FuzzTarget> {
    const log = new LogCapture();
    const server = await startAdminServer({ env, logger: pino({ level: 'trace' }, log) });
    const admin = async (path: string, body: unknown, status: number) => {
      const response = await server.admin('POST', path, body);
      assert.equal(response.statusCode, status, response.body);
      return response.json() as Record<string, string>;
    };
    const appA = await server.createApplication({ name: 'fuzz A' });
    const appB = await server.createApplication({
      name: 'fuzz B',
      token_classes: ['api'],
      resource_server: true,
    });
    const disabled = await server.createApplication({ name: 'fuzz disabled' });
    await admin(`/applications/${disabled.clientId}/disable`, undefined, 200);
    const customer = async (app: ClientCredentials, appUserId: string) =>
      String(
        (await admin(`/applications/${app.clientId}/customers`, { app_user_id: appUserId }, 201)).customer_id,
      );
    const customers = [await customer(appA, 'user-1'), await customer(appA, 'user-2')];
    const disabledCustomer = await customer(appA, 'user-3');
    await admin(`/customers/${disabledCustomer}/disable`, undefined, 200);
    const foreignCustomer = await customer(appB, 'user-b');

    const issue = async (client: ClientCredentials, scope: string) => {
      const response = await server.requestToken(client, scope);
      assert.equal(response.statusCode, 200, response.body);
      return String(response.json().access_token);
    };
    const tokens = {
      appA: await issue(appA, 'api'),
      appACustomer: await issue(appA, `customer.${customers[0]}`),
      appB: await issue(appB, 'api'),
    };
    const revokedToken = await issue(appA, 'api');
    const revoked = await server.app.inject({
      method: 'POST',
      url: '/oauth2/revoke',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        token: revokedToken,
        client_id: appA.clientId,
        client_secret: appA.clientSecret,
      }).toString(),
    });
    assert.equal(revoked.statusCode, 200, revoked.body);

    const fixture = {
      appA,
      appB,
      disabled,
      customers,
      disabledCustomer,
      foreignCustomer,
      tokens,
      revokedToken,
    };
    const target = new FuzzTarget(server, fixture, log);
    for (const app of [appA, appB, disabled]) target.addSecret(app.clientSecret, true);
    target.addSecret(ADMIN_TOKEN, true);
    const kek = server.config.keyEncryptionKey;
    if (kek) {
      target.addSecret(kek.toString('hex'), true);
      target.addSecret(kek.toString('base64'), true);
    }
    for (const token of [...Object.values(tokens), revokedToken]) target.addToken(token, true);
    await target.collectKeyMaterial();
    return target;
  }

  get app() {
    return this.server.app;
  }

  /** Sends one fuzz request through inject(). */
  send(request: FuzzRequest): Promise<LightMyRequestResponse> {
    return this.app.inject({
      method: request.method as 'GET',
      url: request.url,
      headers: { ...request.headers },
      remoteAddress: request.remoteAddress,
      ...(request.body !== undefined && { payload: request.body }),
    });
  }

  /** A client secret (shown once by the server): from now on it must never leak or be logged. */
  addSecret(secret: string, permanent = false): void {
    this.secrets.add(secret, permanent);
    this.secrets.add(createHash('sha256').update(secret, 'utf8').digest('hex'), permanent);
  }

  /** An access token: from now on its signature must never be logged or leak. */
  addToken(token: string, permanent = false): void {
    const signature = token.split('.')[2];
    if (signature && signature.length >= 16) this.tokens.add(signature, permanent);
    this.tokensSeen++;
  }

  /** The private parts of every signing key in the store (after rotations too): never to be seen. */
  async collectKeyMaterial(): Promise<void> {
    const kek = this.server.config.keyEncryptionKey;
    if (!kek) return;
    for (const row of await this.server.services.store.listSigningKeys()) {
      this.secrets.add(row.sealedPrivateKey.slice(-48), true);
      const privateKey = unsealPrivateKey(row.sealedPrivateKey, row.kid, kek);
      const jwk = privateKey.export({ format: 'jwk' }) as Record<string, string | undefined>;
      for (const part of ['d', 'p', 'q', 'dp', 'dq', 'qi']) {
        const value = jwk[part];
        if (value) this.secrets.add(value.slice(0, 40), true);
      }
      const der = privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
      this.secrets.add(der.slice(-64), true);
    }
  }

  /**
   * The invariants every answer keeps, whatever was asked: no 5xx; nosniff and no X-Powered-By;
   * a 4xx is a well-formed error of its surface, with no-store; no secret, key or token that the
   * request did not carry itself.
   */
  checkAnswer(request: FuzzRequest, response: LightMyRequestResponse): void {
    const what = `${request.method} ${request.url.slice(0, 120)} → ${response.statusCode} ${response.body.slice(0, 300)}`;
    const key = `${request.url.split(/[?#]/, 1)[0]?.split('/').slice(0, 3).join('/').slice(0, 24)} ${response.statusCode}`;
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
    assert.ok(response.statusCode < 500, `a 5xx: ${what}`);
    assert.ok(response.statusCode >= 200, `not a final status: ${what}`);
    const known = this.knownBug(request, response);
    if (known) {
      this.knownBugHits.set(known.name, (this.knownBugHits.get(known.name) ?? 0) + 1);
      this.checkNoLeak(request, response, what);
      return;
    }
    assert.equal(response.headers['x-content-type-options'], 'nosniff', `no nosniff: ${what}`);
    assert.equal(response.headers['x-powered-by'], undefined, `X-Powered-By: ${what}`);
    if (response.statusCode >= 400 && request.method !== 'HEAD')
      this.checkErrorShape(request, response, what);
    this.checkNoLeak(request, response, what);
  }

  /** The known bug that explains this answer, if one does. */
  knownBug(request: FuzzRequest, response: LightMyRequestResponse): (typeof KNOWN_BUGS)[number] | undefined {
    return KNOWN_BUGS.find((bug) => bug.explains(response, request));
  }

  private checkErrorShape(request: FuzzRequest, response: LightMyRequestResponse, what: string): void {
    assert.match(String(response.headers['content-type']), /^application\/json/, `not JSON: ${what}`);
    assert.equal(response.headers['cache-control'], 'no-store', `no no-store: ${what}`);
    let body: unknown;
    try {
      body = JSON.parse(response.body);
    } catch {
      assert.fail(`an error body that is not JSON: ${what}`);
    }
    assert.ok(typeof body === 'object' && body !== null && !Array.isArray(body), `not an object: ${what}`);
    const keys = Object.keys(body).sort().join(',');
    const fields = body as Record<string, unknown>;
    const path = request.url.split('?', 1)[0] ?? '';
    if (keys === 'error,message') {
      // The admin API's shape: only under its prefix, with a code whose status it answers with.
      assert.ok(path.startsWith(`${ADMIN}/`) || path === ADMIN, `an admin error outside ${ADMIN}: ${what}`);
      assert.equal(typeof fields.message, 'string', what);
      const status = ADMIN_ERRORS[fields.error as keyof typeof ADMIN_ERRORS];
      assert.equal(response.statusCode, status, `admin error code and status disagree: ${what}`);
    } else {
      assert.equal(keys, 'error,error_description', `neither error shape: ${what}`);
      assert.ok(!path.startsWith(`${ADMIN}/`), `an OAuth-shaped error inside ${ADMIN}: ${what}`);
      assert.equal(typeof fields.error_description, 'string', what);
      assert.ok(DOCUMENTED_OAUTH_ERRORS.has(String(fields.error)), `undocumented error code: ${what}`);
      if (fields.error === 'not_found') assert.equal(response.statusCode, 404, what);
    }
  }

  private checkNoLeak(request: FuzzRequest, response: LightMyRequestResponse, what: string): void {
    const sent = requestText(request);
    const answered = `${JSON.stringify(response.headers)}\n${response.body}`;
    const secret = this.secrets.findIn(answered);
    if (secret !== undefined && !sent.includes(secret))
      assert.fail(`a secret leaked (${secret.slice(0, 4)}…): ${what}`);
    const signature = this.tokens.findIn(answered);
    if (signature !== undefined && !sent.includes(signature)) assert.fail(`a known token leaked: ${what}`);
    assert.doesNotMatch(answered, /PRIVATE KEY|"d":"/, `key material: ${what}`);
  }

  /** Harvests what a successful answer reveals: new client secrets and tokens, to be watched for. */
  harvest(response: LightMyRequestResponse): void {
    if (response.statusCode >= 300) return;
    let body: unknown;
    try {
      body = JSON.parse(response.body);
    } catch {
      return;
    }
    if (typeof body !== 'object' || body === null) return;
    const fields = body as Record<string, unknown>;
    if (typeof fields.client_secret === 'string') this.addSecret(fields.client_secret);
    if (typeof fields.access_token === 'string') this.addToken(fields.access_token);
  }

  /**
   * Verifies an access token against the server's own JWKS (fetched through inject, and again when
   * a key rotation made since has signed the token).
   */
  async verify(token: string): Promise<Record<string, unknown>> {
    const fetchKeys = async () => {
      const response = await this.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
      this.jwks = createLocalJWKSet(response.json() as JSONWebKeySet);
      return this.jwks;
    };
    try {
      return (await jwtVerify(token, this.jwks ?? (await fetchKeys()), { typ: 'at+jwt' })).payload;
    } catch {
      return (await jwtVerify(token, await fetchKeys(), { typ: 'at+jwt' })).payload;
    }
  }

  /**
   * Asserts that what was logged since the last check holds no client secret or digest, key
   * material, admin token, access token or token signature, and no Authorization header.
   */
  async checkLog(what = ''): Promise<void> {
    // The access log line is written when the response finishes, which may be a tick after inject().
    await new Promise((resolve) => setImmediate(resolve));
    const text = this.log.take();
    if (text === '') return;
    const fail = (leak: string) =>
      assert.fail(`the log holds ${leak}${what ? ` after ${what}` : ''}:\n${text.slice(0, 2000)}`);
    const secret = this.secrets.findIn(text);
    if (secret !== undefined) fail(`a secret (${secret.slice(0, 4)}…)`);
    if (this.tokens.findIn(text) !== undefined) fail('an access token');
    if (/PRIVATE KEY|"d":"|"authorization"|Basic [A-Za-z0-9+/=]{8}/i.test(text))
      fail('key material or credentials');
  }

  /**
   * What the store holds that a request could change, cheaply (the admin fuzzers create many
   * applications): the fixture's applications with every secret digest (live or not, so that time
   * passing changes nothing) and customers, the signing keys, and the newest audit events of
   * changes made through the admin API (every change is audited, with its actor).
   */
  async storeState(): Promise<unknown> {
    const { store } = this.server.services;
    const { appA, appB, disabled } = this.fixture;
    const applications = [];
    for (const { clientId } of [appA, appB, disabled]) {
      applications.push({
        application: await store.findApplication(clientId),
        secrets: (await store.listLiveSecrets(clientId, 0)).map((s) => s.digest),
        customers: await store.listCustomers(clientId, { limit: 1000 }),
      });
    }
    const keys = (await store.listSigningKeys()).map((k) => [k.kid, k.activatesAt, k.expiresAt]);
    const audit = (await store.listAuditEvents({ actor: ADMIN_ACTOR }, { limit: 10 })).map((e) => e.id);
    return { applications, keys, audit };
  }

  /** What the run reached: answers by path and status, known bugs met, secrets and tokens watched. */
  summary(): string {
    const statuses = [...this.statuses].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}: ${n}`);
    const bugs = [...this.knownBugHits].map(([name, n]) => `${name}: ${n}`);
    return [
      `answers by path and status: ${statuses.join(', ')}`,
      `known bugs met: ${bugs.length === 0 ? 'none' : bugs.join(', ')}`,
      `watched: ${this.secrets.size} secrets, digests and key parts, ${this.tokens.size} token signatures (${this.tokensSeen} tokens seen); ${this.log.accessLines} access log lines checked`,
    ].join('\n');
  }

  close(): Promise<void> {
    return this.server.close();
  }
}

/** Everything a request carried, as text, to tell an echo of the caller's own input from a leak. */
function requestText(request: FuzzRequest): string {
  const body =
    request.body === undefined
      ? ''
      : typeof request.body === 'string'
        ? request.body
        : `${request.body.toString('latin1')}\n${request.body.toString('utf8')}`;
  let decoded = '';
  try {
    decoded = decodeURIComponent(`${request.url}\n${body}`.replaceAll('+', ' '));
  } catch {
    decoded = '';
  }
  const basic = Object.values(request.headers)
    .map((value) => /^\s*basic\s+(\S+)/i.exec(value)?.[1])
    .filter((value): value is string => value !== undefined)
    .map((value) => Buffer.from(value, 'base64').toString('utf8'));
  return [request.url, JSON.stringify(request.headers), body, decoded, ...basic].join('\n');
}
