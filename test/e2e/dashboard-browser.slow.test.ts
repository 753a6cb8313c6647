import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { type CryptoKey, exportJWK, generateKeyPair } from 'jose';
import * as client from 'openid-client';
import { pino } from 'pino';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { totpCode } from '../../src/domain/operators/totp.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { freePort } from '../helpers/child-process.js';
import { tempDir, testConfig } from '../helpers/test-server.js';

// The Application Dashboard in Debian's Chromium, driven by playwright-core, against a real server
// on loopback over a real SQLite file. Every page is checked with axe-core (no serious or critical
// violation) and for CSP reports, and saved as a screenshot to docs/dashboard/.

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];
const SCREENSHOTS = new URL('../../../docs/dashboard/', import.meta.url);
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const ADMIN = { email: 'admin@example.com', password: 'correct horse battery staple' };
const VIEWER = { email: 'viewer@example.com', password: 'viewer password 12345' };

/** The server's clock, which the test can move forward. */
const clock = { shift: 0, now: () => Date.now() + clock.shift };

function base32Decode(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const c of text) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

describe('the dashboard in Chromium', { timeout: 240_000 }, () => {
  const temp = tempDir();
  let server: RunningServer;
  let url = '';
  const contexts: BrowserContext[] = [];
  const cspViolations: string[] = [];
  const app = { name: 'Checkout service', clientId: '', secret: '', oldSecret: '', customerId: '' };

  async function newPage(): Promise<Page> {
    const context = await chromium.launchPersistentContext(tempDir().dir, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
    });
    contexts.push(context);
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    return page;
  }

  /** axe-core on the page as it is: no serious or critical violation; then a screenshot (unless `save` is false). */
  async function check(page: Page, name: string, save = true): Promise<void> {
    await page.evaluate(AXE);
    const violations = (await page.evaluate(async () => {
      const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: unknown[] }> } }).axe;
      return (await axe.run()).violations;
    })) as { id: string; impact: string; nodes: { target: string[] }[] }[];
    const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(
      bad.map((v) => `${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
      [],
      `axe on ${name}`,
    );
    if (!save) return;
    await page.screenshot({
      path: new URL(`${name}.png`, SCREENSHOTS).pathname,
      fullPage: true,
      caret: 'initial',
    });
  }

  async function signIn(page: Page, who: { email: string; password: string }): Promise<void> {
    await page.goto(`${url}/dashboard`);
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/dashboard\/(overview|sign-in\/totp)/);
  }

  const nav = (page: Page, name: string) =>
    page.getByRole('navigation').getByRole('link', { name, exact: true }).click();

  async function token(clientId: string, clientSecret: string, scope = 'api') {
    const response = await fetch(`${url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
        scope,
      }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, string> };
  }

  before(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const config = testConfig(temp.dir, { PORT: String(port), HOST: '127.0.0.1', ISSUER: url });
    server = await startServer(config, pino({ level: 'silent' }), clock);
    await server.services.operators.create({ ...ADMIN, role: 'admin' }, 'test');
    await server.services.operators.create({ ...VIEWER, role: 'viewer' }, 'test');
  });

  after(async () => {
    for (const context of contexts) await context.close();
    await server?.close();
    temp.remove();
  });

  it('signs in with Email and Password, and shows the overview', async () => {
    const page = await newPage();
    await page.goto(`${url}/dashboard`);
    await page.getByLabel('Email').waitFor();
    await check(page, 'sign-in');
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill('wrong password!!');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Wrong email, password or code.').waitFor();
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.locator('.chart svg').waitFor();
    await check(page, 'overview');
  });

  it('creates an application, shows the secret once, and the secret gets a token', async () => {
    const page = await newPage();
    await signIn(page, ADMIN);
    await nav(page, 'Applications');
    await page.getByRole('button', { name: 'New application' }).waitFor();
    await check(page, 'applications');
    await page.getByRole('button', { name: 'New application' }).click();
    await page.getByLabel('Name', { exact: true }).fill('   ');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByText(/name must be 1 to 200 characters/).waitFor();
    await page.getByLabel('Name', { exact: true }).fill(app.name);
    await check(page, 'new-application');
    await page.getByRole('button', { name: 'Create' }).click();
    app.clientId = (await page.locator('#client-id').textContent()) ?? '';
    app.secret = (await page.locator('#client-secret').textContent()) ?? '';
    assert.match(app.clientId, /^[0-9a-f-]{36}$/);
    await check(page, 'application-created');
    const issued = await token(app.clientId, app.secret);
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    assert.equal(issued.body.token_type, 'bearer');
  });

  const keyed = { clientId: '', privateKey: undefined as CryptoKey | undefined };

  it('creates a private_key_jwt application with a pasted JWKS, and openid-client gets a token by its key', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'browser-key' }] });
    const page = await newPage();
    await signIn(page, ADMIN);
    await page.goto(`${url}/dashboard/applications/new`);
    await page.getByLabel('Name', { exact: true }).fill('Keyed service');
    await page.getByLabel('Method', { exact: true }).selectOption('private_key_jwt');
    // First without keys: the error stands next to the keys' fieldset, and nothing is created.
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByText(/private_key_jwt needs the application’s public keys/).waitFor();
    await check(page, 'new-application-error', false);
    await page.getByLabel('JWKS (JSON)').fill(jwks);
    await page.getByRole('button', { name: 'Create' }).click();
    keyed.clientId = (await page.locator('#client-id').textContent()) ?? '';
    const secret = (await page.locator('#client-secret').textContent()) ?? '';
    await page.getByText('This application authenticates with private_key_jwt').waitFor();
    await check(page, 'application-created-keyed', false);

    const config = await client.discovery(
      new URL(url),
      keyed.clientId,
      undefined,
      client.PrivateKeyJwt({ key: privateKey, kid: 'browser-key' }),
      { execute: [client.allowInsecureRequests] },
    );
    const tokens = await client.clientCredentialsGrant(config, { scope: 'api' });
    assert.equal(tokens.token_type, 'bearer');
    // The setting took effect: the secret it was given is not a way in.
    const bySecret = await token(keyed.clientId, secret);
    assert.equal(bySecret.status, 401);
    assert.match(bySecret.body.error_description ?? '', /authenticates with private_key_jwt/);
    keyed.privateKey = privateKey;
  });

  it('switches the application to DPoP-bound tokens; its page shows it and tokens need a proof', async () => {
    const page = await newPage();
    await signIn(page, ADMIN);
    await page.goto(`${url}/dashboard/applications/${keyed.clientId}`);
    await page.getByText('none (bearer tokens)').waitFor();
    await page.getByLabel('DPoP-bound tokens').check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    await page.getByText('DPoP-bound (every token request needs a DPoP proof)').waitFor();
    assert.equal(await page.getByLabel('DPoP-bound tokens').isChecked(), true);
    await check(page, 'application-dpop-bound', false);

    assert.ok(keyed.privateKey);
    const config = await client.discovery(
      new URL(url),
      keyed.clientId,
      undefined,
      client.PrivateKeyJwt({ key: keyed.privateKey, kid: 'browser-key' }),
      { execute: [client.allowInsecureRequests] },
    );
    // Without a proof, refused with a DPoP challenge naming what is missing.
    await assert.rejects(client.clientCredentialsGrant(config, { scope: 'api' }), (error: Error) => {
      const [challenge] = (error.cause ?? []) as { scheme: string; parameters: Record<string, string> }[];
      assert.equal(challenge?.scheme, 'dpop', String(error));
      assert.match(challenge.parameters.error_description ?? '', /must send a DPoP proof/);
      return true;
    });
    const dpop = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
    const tokens = await client.clientCredentialsGrant(config, { scope: 'api' }, { DPoP: dpop });
    assert.equal(tokens.token_type, 'dpop');
  });

  /** What has the focus: its tag, and its label or text (for links and buttons). */
  // Page scripts as strings: this project's TypeScript has no DOM types.
  const focused = (page: Page): Promise<string> =>
    page.evaluate(`(() => {
      const e = document.activeElement;
      if (!e || e === document.body) return 'body';
      return e.tagName.toLowerCase() + ':' + (e.getAttribute('name') ?? e.textContent?.trim() ?? '');
    })()`);

  /** Presses Tab (or `key`) until `target` has the focus (at most 40 times): the keyboard's way to a control. */
  async function tabTo(page: Page, target: string, key = 'Tab'): Promise<string[]> {
    const path: string[] = [];
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press(key);
      path.push(await focused(page));
      if (path.at(-1) === target) return path;
    }
    assert.fail(`Tab never reached ${target}: ${path.join(', ')}`);
  }

  const NAV = ['Overview', 'Applications', 'Customers', 'Signing keys', 'Audit log', 'Try it', 'Account'];

  it('signs in and creates an application with the keyboard only', async () => {
    const page = await newPage();
    await page.goto(`${url}/dashboard`);
    await tabTo(page, 'input:email');
    await page.keyboard.type(ADMIN.email);
    await tabTo(page, 'input:password');
    await page.keyboard.type(ADMIN.password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Overview' }).waitFor();

    // From the top of the page: the skip link, then the navigation's links in order.
    const path = await tabTo(page, 'a:Account');
    assert.deepEqual(path, ['a:Skip to content', ...NAV.map((label) => `a:${label}`)]);
    await page.keyboard.press('Shift+Tab');
    assert.equal(await focused(page), 'a:Try it');

    await tabTo(page, 'a:Applications', 'Shift+Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Applications' }).waitFor();
    await tabTo(page, 'button:New application');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'New application' }).waitFor();
    await tabTo(page, 'input:name');
    await page.keyboard.type('Keyboard service');
    await page.keyboard.press('Enter');
    const clientId = (await page.locator('#client-id').textContent()) ?? '';
    const secret = (await page.locator('#client-secret').textContent()) ?? '';
    assert.match(clientId, /^[0-9a-f-]{36}$/);
    assert.equal((await token(clientId, secret)).status, 200);
  });

  it('reaches every interactive element of every page with Tab', async () => {
    const page = await newPage();
    await signIn(page, ADMIN);
    for (const path of [
      'overview',
      'applications',
      'applications/new',
      'customers',
      'keys',
      'audit',
      'try-it',
      'account',
    ]) {
      await page.goto(`${url}/dashboard/${path}`);
      // Number every visible control the page has, then Tab through the page twice over.
      const count: number = await page.evaluate(`(() => {
        const controls = [...document.querySelectorAll(
          'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])',
        )].filter((e) => e.getClientRects().length > 0 && !e.disabled);
        controls.forEach((e, i) => { e.dataset.control = String(i); });
        return controls.length;
      })()`);
      assert.ok(count > NAV.length + 1, `${path}: ${count} controls`);
      const reached = new Set<string>();
      const order: string[] = [];
      for (let i = 0; i < count * 2 + 4; i++) {
        await page.keyboard.press('Tab');
        const index: string | undefined = await page.evaluate('document.activeElement?.dataset.control');
        if (index !== undefined) reached.add(index);
        if (i < NAV.length + 1) order.push(await focused(page));
      }
      assert.equal(reached.size, count, `${path}: ${reached.size} of ${count} controls reached with Tab`);
      assert.deepEqual(order, ['a:Skip to content', ...NAV.map((label) => `a:${label}`)], path);
    }
  });

  /** Bytes on the wire (headers and bodies, as Chromium counts them) of every request `load` makes. */
  async function bytesTransferred(page: Page, load: () => Promise<void>): Promise<number> {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    let bytes = 0;
    let requests = 0;
    cdp.on('Network.loadingFinished', (event) => {
      bytes += event.encodedDataLength;
      requests++;
    });
    await load();
    await page.waitForLoadState('networkidle');
    await cdp.detach();
    assert.ok(requests >= 4, `${requests} requests: the page, its CSS and scripts`);
    return bytes;
  }

  it('loads the sign-in page and the Overview in 200 KB or less each, with no cache', async (t) => {
    const page = await newPage();
    const signInBytes = await bytesTransferred(page, async () => {
      await page.goto(`${url}/dashboard/sign-in`);
      await page.getByLabel('Email').waitFor();
    });
    await signIn(page, ADMIN);
    const overviewBytes = await bytesTransferred(page, async () => {
      await page.goto(`${url}/dashboard/overview`);
      await page.locator('.chart svg').waitFor();
    });
    t.diagnostic(`sign-in page: ${signInBytes} bytes; Overview: ${overviewBytes} bytes`);
    assert.ok(signInBytes <= 200 * 1024, `sign-in page: ${signInBytes} bytes`);
    assert.ok(overviewBytes <= 200 * 1024, `Overview: ${overviewBytes} bytes`);
  });

  it('creates a customer of the application and gets a customer token', async () => {
    const page = await newPage();
    await signIn(page, ADMIN);
    await page.goto(`${url}/dashboard/applications/${app.clientId}`);
    await page.getByRole('link', { name: `Customers of ${app.name}` }).click();
    await page.getByLabel('App user id').fill('user-42');
    await page.getByRole('button', { name: 'Add customer' }).click();
    app.customerId =
      (await page.getByRole('region', { name: 'New customer' }).locator('code').first().textContent()) ?? '';
    await check(page, 'customers');
    const issued = await token(app.clientId, app.secret, `customer.${app.customerId}`);
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
  });

  it('rotates the secret: the old one works until the grace period ends', async () => {
    const page = await newPage();
    await signIn(page, ADMIN);
    await page.goto(`${url}/dashboard/applications/${app.clientId}`);
    await check(page, 'application');
    await page.getByLabel('Grace period (seconds) for the old secret').fill('60');
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.locator('[data-countdown]').getByText(/left/).waitFor();
    app.oldSecret = app.secret;
    app.secret = (await page.locator('#client-secret').textContent()) ?? '';
    assert.notEqual(app.secret, app.oldSecret);
    assert.equal((await token(app.clientId, app.secret)).status, 200);
    assert.equal((await token(app.clientId, app.oldSecret)).status, 200);
    clock.shift += 61_000;
    assert.equal((await token(app.clientId, app.oldSecret)).status, 401);
    assert.equal((await token(app.clientId, app.secret)).status, 200);
  });

  it('Try it shows a token’s header and claims, verified against the JWKS', async () => {
    const page = await newPage();
    await signIn(page, ADMIN);
    await nav(page, 'Try it');
    await page.getByLabel('client_id').fill(app.clientId);
    await page.getByLabel('client_secret').fill(app.secret);
    await page.getByRole('button', { name: 'Request a token' }).click();
    await page.getByText('Signature verified against the JWKS.').waitFor();
    await check(page, 'try-it');
  });

  it('disables the application: its tokens are refused', async () => {
    const page = await newPage();
    await signIn(page, ADMIN);
    await page.goto(`${url}/dashboard/applications/${app.clientId}`);
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByText('Disabled: its tokens are refused.').waitFor();
    const refused = await token(app.clientId, app.secret);
    assert.notEqual(refused.status, 200);
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByText('Enabled.').waitFor();
  });

  it('rotates the signing key, and the audit log names the operator for each change', async () => {
    const page = await newPage();
    await signIn(page, ADMIN);
    await nav(page, 'Signing keys');
    await page.getByRole('button', { name: 'Rotate signing key' }).click();
    await page.getByText(/^New key /).waitFor();
    await check(page, 'signing-keys');
    await nav(page, 'Audit log');
    await page.getByLabel('Actor').fill(ADMIN.email);
    await page.getByRole('button', { name: 'Filter' }).click();
    const table = page.getByRole('table');
    for (const action of [
      'application.create',
      'customer.create',
      'application.rotate_secret',
      'application.disable',
      'key.rotate',
    ]) {
      await table.getByRole('cell', { name: action, exact: true }).first().waitFor();
    }
    await check(page, 'audit-log');
  });

  it('a viewer sees no write controls, and the server refuses its writes (403)', async () => {
    const page = await newPage();
    await signIn(page, VIEWER);
    await nav(page, 'Applications');
    await page.getByRole('link', { name: app.name }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'New application' }).count(), 0);
    await page.getByRole('link', { name: app.name }).click();
    await page.getByRole('heading', { name: app.name }).waitFor();
    for (const name of ['Save', 'Rotate secret', 'Disable', 'Enable']) {
      assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, name);
    }
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const refused = await page.request.post(`${url}/dashboard/applications`, {
      form: { _csrf: csrf, name: 'Viewer wrote this' },
      headers: { Origin: url },
    });
    assert.equal(refused.status(), 403);
    assert.match(await refused.text(), /viewer/);
  });

  it('refuses a form posted from another site', async () => {
    const page = await newPage();
    await signIn(page, ADMIN);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    const attacker: Server = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end(
        `<!doctype html><title>x</title><form method="post" action="${url}/dashboard/applications"><input name="name" value="Planted"><button>Go</button></form>`,
      );
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (attacker.address() as { port: number }).port;
      await page.goto(`http://127.0.0.1:${port}/`);
      const [response] = await Promise.all([
        page.waitForResponse(`${url}/dashboard/applications`),
        page.getByRole('button', { name: 'Go' }).click(),
      ]);
      assert.equal(response.status(), 403);
      const names = (await server.services.applications.list()).map((a) => a.name);
      assert.ok(!names.includes('Planted'));
    } finally {
      attacker.close();
    }
  });

  it('turns TOTP on, and then signing in asks for the code', async () => {
    const page = await newPage();
    await signIn(page, ADMIN);
    await nav(page, 'Account');
    await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
    const key = (await page.locator('.card code').first().textContent()) ?? '';
    const secret = base32Decode(key);
    await check(page, 'account-totp');
    await page.getByLabel('Code from your authenticator app').fill('000000');
    await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
    await page.getByText('That code is not right').waitFor();
    await page
      .getByLabel('Code from your authenticator app')
      .fill(totpCode(secret, Math.floor(clock.now() / 30_000)));
    await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
    await page.getByText('Two-factor sign-in is on.').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await signIn(page, ADMIN);
    await page
      .getByLabel('Code from your authenticator app')
      .fill(totpCode(secret, Math.floor(clock.now() / 30_000)));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
  });

  it('an expired session returns to sign-in', async () => {
    const page = await newPage();
    await signIn(page, VIEWER);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    clock.shift += 31 * 60_000;
    await page.goto(`${url}/dashboard/applications`);
    await page.getByText('Your session ended: sign in again.').waitFor();
    assert.match(page.url(), /\/dashboard\/sign-in/);
  });

  it('ran with no Content-Security-Policy violation', () => {
    assert.deepEqual(cspViolations, []);
  });
});
