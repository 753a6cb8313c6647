import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONFIG_FLAGS } from '../../src/cli/arguments.js';
import { CONFIG_VARIABLES } from '../../src/config/config.js';
import { SETTINGS } from '../../src/config/settings/index.js';
import { GENERATED_START, renderSettingsPage, withSettings } from '../../src/config/settings-page.js';
import { readDoc } from './markdown.js';

describe('docs/configuration.md', () => {
  it('is what the configuration table generates (npm run docs:config writes it)', () => {
    const page = readDoc('docs/configuration.md');
    assert.equal(
      page,
      withSettings(page),
      'docs/configuration.md is stale: run npm run docs:config and commit the page',
    );
  });

  it('has an entry for every setting, and a stale entry would show', () => {
    const generated = renderSettingsPage();
    for (const name of CONFIG_VARIABLES) assert.match(generated, new RegExp(`^- \`${name}\` \\(`, 'm'));
    const page = readDoc('docs/configuration.md');
    const edited = page.replace(/^- `PORT` \(flag `--port`; default `8080`\)/m, '- `PORT` (default `80`)');
    assert.notEqual(edited, page);
    assert.notEqual(withSettings(edited), edited);
    assert.ok(page.indexOf(GENERATED_START) > 0, 'a hand-written introduction above the generated part');
  });
});

describe('the configuration table', () => {
  it('gives every command its configuration flags, kebab-case names of the variables, no secret among them', () => {
    const secrets = SETTINGS.filter((row) => row.flag === null).map((row) => row.name);
    assert.deepEqual(secrets.sort(), ['ADMIN_TOKEN', 'KEY_ENCRYPTION_KEY']);
    assert.deepEqual(
      Object.entries(CONFIG_FLAGS),
      SETTINGS.filter((row) => row.flag !== null).map((row) => [
        row.name.toLowerCase().replaceAll('_', '-'),
        row.name,
      ]),
    );
  });

  it('names each variable once', () => {
    assert.equal(new Set(CONFIG_VARIABLES).size, CONFIG_VARIABLES.length);
    assert.equal(new Set(SETTINGS.map((row) => row.key)).size, SETTINGS.length);
  });
});
