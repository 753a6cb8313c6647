import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { appsCommands } from '../../src/cli/commands/apps.js';
import { customersCommands } from '../../src/cli/commands/customers.js';
import { keysCommands } from '../../src/cli/commands/keys.js';
import { CONFIG_VARIABLES } from '../../src/config/config.js';
import { OAUTH_ERROR_CODES } from '../../src/oauth/errors.js';

// The compiled test runs from dist/test/docs; the README stays at the repository root.
const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');

describe('README.md stays true to the code', () => {
  it('documents every error code the token endpoint answers with', () => {
    for (const code of OAUTH_ERROR_CODES) assert.match(readme, new RegExp(`\\| \`${code}\` +\\|`), code);
  });

  it('documents every configuration variable', () => {
    for (const name of CONFIG_VARIABLES) assert.match(readme, new RegExp(`\\| \`${name}\` +\\|`), name);
  });

  it('documents every CLI command with its exact usage', () => {
    const commands = [appsCommands, customersCommands, keysCommands].flatMap((group) => Object.values(group));
    for (const command of commands) {
      assert.ok(readme.includes(`\`lean-auth ${command.usage.replaceAll('|', '\\|')}\``), command.usage);
    }
  });

  it('shows the two setup commands', () => {
    assert.ok(readme.includes('npm install && npm start'));
    assert.ok(readme.includes('npm test'));
  });
});
