import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { generateTotpSecret, totpCode } from '../../../src/domain/operators/totp.js';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';

// The dashboard's guards without a browser (the browser suite is test/e2e/dashboard-browser.slow.test.ts).
describe('dashboard guards', () => {
  let server: TestServer;
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

  before(async () => {
    server = await startTestServer();
    await server.services.operators.create(
      { email: 'a@example.com', role: 'admin', password: 'right password 1' },
      't',
    );
  });
  after(() => server.close());

  async function signIn(): Promise<{ cookie: string; csrf: string }> {
    const response = await server.app.inject({
      method: 'POST',
      url: '/dashboard/sign-in',
      headers: FORM,
      payload: form({ email: 'a@example.com', password: 'right password 1' }),
    });
    assert.equal(response.statusCode, 303);
    const cookie = String(response.headers['set-cookie']).split(';')[0] ?? '';
    assert.match(String(response.headers['set-cookie']), /HttpOnly; SameSite=Strict/);
    const page = await server.app.inject({ url: '/dashboard/overview', headers: { cookie } });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    return { cookie, csrf };
  }

  it('sends a request without a session to sign in, with a CSP and no-store', async () => {
    const response = await server.app.inject({ url: '/dashboard/applications' });
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/dashboard/sign-in');
    assert.match(String(response.headers['content-security-policy']), /script-src 'self'/);
    assert.equal(response.headers['cache-control'], 'no-store');
  });

  it('shows the QR code of a TOTP enrolment (its library loaded on that first use)', async () => {
    const { cookie, csrf } = await signIn();
    const response = await server.app.inject({
      method: 'POST',
      url: '/dashboard/account/totp/start',
      headers: { ...FORM, cookie },
      payload: form({ _csrf: csrf }),
    });
    assert.equal(response.statusCode, 200);
    assert.match(
      response.body,
      /<div class="qr"><svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*>.*<\/svg>/s,
    );
  });

  it('refuses a write without the CSRF token, or from another origin, and saves nothing', async () => {
    const { cookie, csrf } = await signIn();
    const before = await server.services.applications.count();
    const noToken = await server.app.inject({
      method: 'POST',
      url: '/dashboard/applications',
      headers: { ...FORM, cookie },
      payload: form({ name: 'x' }),
    });
    assert.equal(noToken.statusCode, 403);
    const crossOrigin = await server.app.inject({
      method: 'POST',
      url: '/dashboard/applications',
      headers: { ...FORM, cookie, origin: 'http://evil.example' },
      payload: form({ name: 'x', _csrf: csrf }),
    });
    assert.equal(crossOrigin.statusCode, 403);
    assert.equal(await server.services.applications.count(), before);
    const ok = await server.app.inject({
      method: 'POST',
      url: '/dashboard/applications',
      headers: { ...FORM, cookie },
      payload: form({ name: 'Made here', _csrf: csrf, token_classes: 'api' }),
    });
    assert.equal(ok.statusCode, 201);
    assert.match(ok.body, /id="client-secret"/);
  });

  it('shows a bad field’s message next to it and saves nothing', async () => {
    const { cookie, csrf } = await signIn();
    const before = await server.services.applications.count();
    const response = await server.app.inject({
      method: 'POST',
      url: '/dashboard/applications',
      headers: { ...FORM, cookie },
      payload: form({ name: 'ok', _csrf: csrf, token_classes: 'api', api_token_ttl: '5' }),
    });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /id="field-api_token_ttl-error" role="alert">api token lifetime must be/);
    assert.equal(await server.services.applications.count(), before);
  });

  it('throttles failed sign-ins (429, Retry-After), counts them, and still lets the right password in', async () => {
    const attempt = (password: string) =>
      server.app.inject({
        method: 'POST',
        url: '/dashboard/sign-in',
        headers: FORM,
        remoteAddress: '192.0.2.7',
        payload: form({ email: 'a@example.com', password }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await attempt('wrong password!!')).statusCode);
    assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
    const throttled = await attempt('wrong password!!');
    assert.equal(throttled.statusCode, 429);
    assert.ok(Number(throttled.headers['retry-after']) > 0);
    assert.equal((await attempt('right password 1')).statusCode, 303);
  });

  it('refuses TOTP codes past 5 wrong ones in 5 minutes, even a right one, from any session, and audits them', async () => {
    const email = 'totp@example.com';
    const password = 'totp password 1';
    const secret = generateTotpSecret();
    const created = await server.services.operators.create({ email, role: 'admin', password }, 't');
    await server.services.operators.setTotp(created.operator, secret, 't');
    const passwordStep = async () => {
      const response = await server.app.inject({
        method: 'POST',
        url: '/dashboard/sign-in',
        headers: FORM,
        remoteAddress: '192.0.2.8',
        payload: form({ email, password }),
      });
      assert.equal(response.headers.location, '/dashboard/sign-in/totp');
      const cookie = String(response.headers['set-cookie']).split(';')[0] ?? '';
      const page = await server.app.inject({ url: '/dashboard/sign-in/totp', headers: { cookie } });
      return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '' };
    };
    const totp = (session: { cookie: string; csrf: string }, code: string) =>
      server.app.inject({
        method: 'POST',
        url: '/dashboard/sign-in/totp',
        headers: { ...FORM, cookie: session.cookie },
        remoteAddress: '192.0.2.8',
        payload: form({ code, _csrf: session.csrf }),
      });
    const now = server.services.clock.now();
    const step = Math.floor(now / 30_000);
    const right = () => totpCode(secret, step);
    // A code right at no step near now.
    const wrong = String((Number(totpCode(secret, step)) + 1) % 1_000_000).padStart(6, '0');
    assert.notEqual(wrong, totpCode(secret, step - 1));
    assert.notEqual(wrong, totpCode(secret, step + 1));

    // A right code after a few wrong ones is let in, and starts the count afresh.
    const first = await passwordStep();
    for (let i = 0; i < 3; i++) assert.equal((await totp(first, wrong)).statusCode, 401);
    assert.equal((await totp(first, right())).statusCode, 303);

    // Five wrong codes, spread over two sign-in attempts: then a right code is refused too.
    const one = await passwordStep();
    const two = await passwordStep();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await totp(i % 2 === 0 ? one : two, wrong)).statusCode);
    assert.deepEqual(statuses, [401, 401, 401, 401, 401]);
    const refused = await totp(await passwordStep(), right());
    assert.equal(refused.statusCode, 429);
    const wait = Number(refused.headers['retry-after']);
    assert.ok(wait > 0 && wait <= 300, `Retry-After ${wait}`);
    assert.match(refused.body, new RegExp(`Too many wrong codes: try again in ${wait} s`));
    assert.equal((await totp(one, wrong)).statusCode, 429);
    // The password step is not refused: its throttle is its own.
    await passwordStep();

    // In the audit log: one event per operator and address and flush, the refusals counted as
    // throttled. The timed flush may have run midway on a slow machine: the events add up.
    await server.services.failedTotpCodes.flush();
    const events = await server.services.audit.list(
      server.services.store,
      { action: 'operator.totp_failed' },
      { limit: 100 },
    );
    assert.ok(events.length >= 1);
    for (const event of events) {
      assert.equal(event.targetId, email);
      assert.equal(event.actor, '192.0.2.8');
    }
    const total = (member: string) => events.reduce((sum, e) => sum + Number(e.detail?.[member] ?? 0), 0);
    assert.deepEqual(
      [total('count'), total('throttled')],
      [3 + 5 + 2, 2],
      'wrong codes and refusals, not the right one let in',
    );
  });

  it('escapes what operators typed', async () => {
    const { cookie, csrf } = await signIn();
    const created = await server.app.inject({
      method: 'POST',
      url: '/dashboard/applications',
      headers: { ...FORM, cookie },
      payload: form({ name: '<img src=x onerror=alert(1)>', _csrf: csrf, token_classes: 'api' }),
    });
    assert.equal(created.statusCode, 201);
    assert.ok(!created.body.includes('<img src=x'));
    assert.match(created.body, /&lt;img src=x onerror=alert\(1\)&gt;/);
  });
});

describe('dashboard in production', () => {
  let server: TestServer;
  const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
  const secret = generateTotpSecret();

  before(async () => {
    server = await startTestServer({
      env: {
        LEAN_AUTH_ENV: 'production',
        ISSUER: 'https://auth.example.com',
        ADMIN_TOKEN: randomBytes(32).toString('base64url'),
        KEY_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      },
    });
    for (const role of ['admin', 'viewer']) {
      const created = await server.services.operators.create(
        { email: `${role}@example.com`, role, password: 'right password 1' },
        't',
      );
      await server.services.operators.setTotp(created.operator, secret, 't');
    }
  });
  after(() => server.close());

  /** Password, then the TOTP code: a full session in production. */
  async function signIn(email: string): Promise<{ cookie: string; csrf: string }> {
    const password = await server.app.inject({
      method: 'POST',
      url: '/dashboard/sign-in',
      headers: FORM,
      payload: new URLSearchParams({ email, password: 'right password 1' }).toString(),
    });
    assert.equal(password.headers.location, '/dashboard/sign-in/totp');
    const half = String(password.headers['set-cookie']).split(';')[0] ?? '';
    const totpPage = await server.app.inject({ url: '/dashboard/sign-in/totp', headers: { cookie: half } });
    const code = totpCode(secret, Math.floor(server.services.clock.now() / 30_000));
    const totp = await server.app.inject({
      method: 'POST',
      url: '/dashboard/sign-in/totp',
      headers: { ...FORM, cookie: half },
      payload: new URLSearchParams({ code, _csrf: csrfOf(totpPage.body) }).toString(),
    });
    assert.equal(totp.statusCode, 303);
    const cookie = String(totp.headers['set-cookie']).split(';')[0] ?? '';
    const account = await server.app.inject({ url: '/dashboard/account', headers: { cookie } });
    assert.equal(account.statusCode, 200);
    return { cookie, csrf: csrfOf(account.body) };
  }
  const csrfOf = (body: string) => /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? '';
  const turnOff = (session: { cookie: string; csrf: string }) =>
    server.app.inject({
      method: 'POST',
      url: '/dashboard/account/totp/disable',
      headers: { ...FORM, cookie: session.cookie },
      payload: new URLSearchParams({ _csrf: session.csrf }).toString(),
    });

  it('refuses an admin turning TOTP off, says why next to the control, and keeps it on', async () => {
    const response = await turnOff(await signIn('admin@example.com'));
    assert.equal(response.statusCode, 400);
    assert.match(
      response.body,
      /Turn off two-factor sign-in<\/button><\/form><p class="error" id="totp-disable-error" role="alert">Production requires admins/,
    );
    assert.match(response.body, /<dt>Two-factor sign-in<\/dt><dd>on<\/dd>/);
    const admin = await server.services.store.operators.findOperatorByEmail('admin@example.com');
    assert.notEqual(admin?.totpSecret, null);
  });

  it('lets a viewer turn TOTP off', async () => {
    const response = await turnOff(await signIn('viewer@example.com'));
    assert.equal(response.statusCode, 200);
    assert.match(response.body, /Two-factor sign-in is off\./);
    const viewer = await server.services.store.operators.findOperatorByEmail('viewer@example.com');
    assert.equal(viewer?.totpSecret, null);
  });
});
