import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type AdminTestServer, startAdminServer } from '../../helpers/admin-server.js';

// Regression tests for a bug the admin fuzzer (test/fuzz/admin-api.fuzz.slow.test.ts) found: JSON may
// carry a lone UTF-16 surrogate ("\ud800"), which is no Unicode text. The admin API accepted it in a
// name or an app_user_id and answered 201, but the store keeps UTF-8, so what was stored and shown
// afterwards was something else ("\ud800" came back as three U+FFFD), and two different app_user_ids
// ("u\ud800", "u\udbff") became two customers of one application with one app_user_id. Fixed: such
// text is refused (400 invalid_request) by isPlainText (src/domain/printable.ts), which validName
// and validAppUserId use.

describe('text that is not well-formed Unicode', () => {
  let server: AdminTestServer;
  before(async () => {
    server = await startAdminServer();
  });
  after(() => server.close());

  it('the control: astral characters (surrogate pairs) are kept as sent', async () => {
    const created = await server.admin('POST', '/applications', { name: 'shop 😀' });
    assert.equal(created.statusCode, 201, created.body);
    const shown = await server.admin('GET', `/applications/${created.json().client_id}`);
    assert.equal(shown.json().name, 'shop 😀');
  });

  it('a name with a lone surrogate is refused, not stored altered', async () => {
    const created = await server.admin('POST', '/applications', { name: 'shop \ud800' });
    assert.equal(
      created.statusCode,
      400,
      `accepted, and stored as ${JSON.stringify(
        created.statusCode === 201
          ? (await server.admin('GET', `/applications/${created.json().client_id}`)).json().name
          : undefined,
      )}`,
    );
  });

  it('an app_user_id with a lone surrogate is refused, not stored as the same text as another one', async () => {
    const app = await server.createApplication();
    const first = await server.admin('POST', `/applications/${app.clientId}/customers`, {
      app_user_id: 'u\ud800',
    });
    const second = await server.admin('POST', `/applications/${app.clientId}/customers`, {
      app_user_id: 'u\udbff',
    });
    assert.equal(first.statusCode, 400, `first: ${first.statusCode} ${first.body}`);
    assert.equal(second.statusCode, 400, `second: ${second.statusCode} ${second.body}`);
  });
});
