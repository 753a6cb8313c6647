import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
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
