import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type AdminTestServer, startAdminServer } from '../helpers/admin-server.js';
import { randomKeyHex } from '../helpers/child-process.js';
import { runMain } from '../helpers/cli.js';
import { tempDir } from '../helpers/test-server.js';

// The CLI's listings under --json are the admin API's pages, byte for byte as JSON: a script written
// against one works against the other.
describe('CLI listings under --json are the admin API pages', { timeout: 60_000 }, () => {
  const temp = tempDir();
  const env = { DATABASE_URL: `sqlite:${join(temp.dir, 'pages.db')}`, KEY_ENCRYPTION_KEY: randomKeyHex() };
  let server: AdminTestServer;
  let clientId: string;

  /** The CLI's stdout as JSON, and the admin API's body for the same listing. */
  async function both(cliArgs: string[], adminPath: string): Promise<[unknown, unknown]> {
    const run = await runMain([...cliArgs, '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const response = await server.admin('GET', adminPath);
    assert.equal(response.statusCode, 200, response.body);
    return [JSON.parse(run.stdout), response.json()];
  }

  before(async () => {
    server = await startAdminServer({ env });
    for (let n = 0; n < 3; n++) ({ clientId } = await server.createApplication({ name: `app ${n}` }));
    for (const user of ['u1', 'u2', 'u3']) {
      const created = await server.admin('POST', `/applications/${clientId}/customers`, {
        app_user_id: user,
      });
      assert.equal(created.statusCode, 201, created.body);
    }
  });

  after(async () => {
    await server.close();
    temp.remove();
  });

  it('apps list: a full page names the next one in next_after; the last page has null', async () => {
    const [first, firstByApi] = await both(['apps', 'list', '--limit', '2'], '/applications?limit=2');
    assert.deepEqual(first, firstByApi);
    const page = first as { items: { client_id: string }[]; next_after: string | null };
    assert.equal(page.items.length, 2);
    assert.equal(page.next_after, page.items[1]?.client_id);

    const after = page.next_after ?? '';
    const [last, lastByApi] = await both(
      ['apps', 'list', '--limit', '2', '--after', after],
      `/applications?limit=2&after=${after}`,
    );
    assert.deepEqual(last, lastByApi);
    assert.equal((last as { next_after: unknown }).next_after, null);
    assert.equal((last as { items: unknown[] }).items.length, 1);
  });

  it('apps list without --limit: the default page, as the API gives it', async () => {
    const [page, byApi] = await both(['apps', 'list'], '/applications');
    assert.deepEqual(page, byApi);
    assert.equal((page as { items: unknown[] }).items.length, 3);
  });

  it('customers list --app', async () => {
    const [page, byApi] = await both(
      ['customers', 'list', '--app', clientId, '--limit', '2'],
      `/applications/${clientId}/customers?limit=2`,
    );
    assert.deepEqual(page, byApi);
    assert.equal((page as { items: unknown[] }).items.length, 2);
  });

  it('keys list', async () => {
    const [page, byApi] = await both(['keys', 'list'], '/keys');
    assert.deepEqual(page, byApi);
    assert.equal((page as { items: unknown[] }).items.length, 1);
  });
});
