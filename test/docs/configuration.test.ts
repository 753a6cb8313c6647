import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CONFIG_VARIABLES } from '../../src/config/config.js';
import { REPOSITORY, readDoc } from './markdown.js';

// docs/configuration.md is written by hand from src/config/config.ts for now; this holds it to the
// code until the page is generated from a table of the settings.

/** Every variable the configuration module names: its list, and every `read('NAME')` in its source. */
function settingsReadByTheCode(): string[] {
  const source = readFileSync(join(REPOSITORY, 'src/config/config.ts'), 'utf8');
  const read = [...source.matchAll(/\bread\('([A-Z][A-Z0-9_]*)'\)/g)].map((match) => match[1] ?? '');
  return [...new Set([...CONFIG_VARIABLES, ...read])];
}

describe('docs/configuration.md', () => {
  it('has an entry for every setting src/config/config.ts reads', () => {
    const page = readDoc('docs/configuration.md');
    const settings = settingsReadByTheCode();
    assert.ok(settings.length >= CONFIG_VARIABLES.length);
    const missing = settings.filter(
      // An entry is a list item that begins with the name (or with a pair: `A` and `B`).
      (name) => !new RegExp(`^\\s*- (\`[A-Z0-9_]+\` and )?\`${name}\``, 'm').test(page),
    );
    assert.deepEqual(
      missing,
      [],
      `settings without an entry in docs/configuration.md: ${missing.join(', ')}`,
    );
  });
});
