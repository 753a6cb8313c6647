import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, it } from 'node:test';
import { appsCommands } from '../../src/cli/commands/apps.js';
import { customersCommands } from '../../src/cli/commands/customers.js';
import { keysCommands } from '../../src/cli/commands/keys.js';
import { serveCommand } from '../../src/cli/commands/serve.js';
import { ADMIN_ERRORS } from '../../src/http/admin/admin-error.js';
import { OAUTH_ERROR_CODES } from '../../src/oauth/errors.js';
import {
  commandsOf,
  documentationFiles,
  fencedBlocks,
  headingAnchors,
  REPOSITORY,
  readDoc,
  relativeLinks,
} from './markdown.js';

// What the pages must cover, and how they are kept readable. Their commands run in commands.slow.test.ts.

const README_MAX_BYTES = 10 * 1024;
/** Prose is wrapped; a longer line is table padding or an unwrapped paragraph (the old README had 600). */
const MAX_LINE_LENGTH = 180;

const hasEntry = (page: string, name: string) => new RegExp(`^\\s*- \`${name}\``, 'm').test(page);

describe('the documentation', () => {
  const files = documentationFiles();

  it('keeps the README short: at most 10 KB', () => {
    const size = statSync(join(REPOSITORY, 'README.md')).size;
    assert.ok(size <= README_MAX_BYTES, `README.md is ${size} bytes`);
  });

  it('shows the two setup commands in the README, and links every page of docs/', () => {
    const readme = readDoc('README.md');
    assert.ok(readme.includes('npm install && npm start'));
    assert.ok(readme.includes('npm test'));
    for (const page of files.filter((file) => file.startsWith('docs/'))) {
      assert.ok(readme.includes(`](${page})`), `README.md does not link ${page}`);
    }
  });

  it('has no line longer than 180 characters', () => {
    for (const file of files) {
      readDoc(file)
        .split('\n')
        .forEach((line, i) => {
          assert.ok(line.length <= MAX_LINE_LENGTH, `${file}:${i + 1} is ${line.length} characters long`);
        });
    }
  });

  it('marks every fenced block as run, not run, a file, or not a command', () => {
    for (const file of files) assert.doesNotThrow(() => fencedBlocks(file, readDoc(file)));
  });

  it('runs every file it saves (file=NAME) with a later command of the same page', () => {
    for (const file of files) {
      const blocks = fencedBlocks(file, readDoc(file));
      blocks.forEach((block, i) => {
        if (block.kind !== 'file') return;
        const later = blocks
          .slice(i + 1)
          .filter((b) => b.kind === 'run' || b.kind === 'stopped')
          .flatMap(commandsOf);
        assert.ok(
          later.some((command) => command.text.includes(block.fileName ?? '')),
          `${file}:${block.line} saves ${block.fileName}, which no later command runs`,
        );
      });
    }
  });

  it('links only to files and headings that exist', () => {
    for (const file of files) {
      for (const link of relativeLinks(readDoc(file))) {
        const [path = '', anchor] = link.split('#');
        const target = path === '' ? file : normalize(join(dirname(file), path));
        assert.ok(existsSync(join(REPOSITORY, target)), `${file} links to ${link}: no such file`);
        if (anchor !== undefined && target.endsWith('.md')) {
          assert.ok(headingAnchors(readDoc(target)).has(anchor), `${file} links to ${link}: no such heading`);
        }
      }
    }
  });

  it('lists every error code of the OAuth endpoints and of the admin API in docs/errors.md', () => {
    const errors = readDoc('docs/errors.md');
    for (const code of [...OAUTH_ERROR_CODES, ...Object.keys(ADMIN_ERRORS)]) {
      assert.ok(hasEntry(errors, code), code);
    }
  });

  it('lists every CLI command with its exact usage in docs/cli.md', () => {
    const cli = readDoc('docs/cli.md');
    const commands = [
      serveCommand,
      ...[appsCommands, customersCommands, keysCommands].flatMap(Object.values),
    ];
    for (const command of commands)
      assert.ok(hasEntry(cli, `lean-auth ${escapeRegExp(command.usage)}`), command.usage);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
