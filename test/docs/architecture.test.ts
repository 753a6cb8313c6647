import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPOSITORY, readDoc } from './markdown.js';

const page = readDoc('docs/architecture.md');

describe('docs/architecture.md', () => {
  it('names only source files that exist', () => {
    const named = [...page.matchAll(/`((?:cli|server|http|oauth|domain|store|config)\/[\w/.-]+\.ts)`/g)].map(
      (match) => match[1] ?? '',
    );
    assert.ok(named.length > 20, `only ${named.length} files named`);
    const missing = [...new Set(named)].filter((file) => !existsSync(join(REPOSITORY, 'src', file)));
    assert.deepEqual(missing, [], `files the page names that src/ does not have: ${missing.join(', ')}`);
  });

  it('walks a token request from the socket to the signed JWT in at most 12 files', () => {
    const walk = page.slice(page.indexOf('## One token request'), page.indexOf('On the way back'));
    const steps = [...walk.matchAll(/^\d+\. `([\w/.-]+\.ts)`/gm)].map((match) => match[1]);
    assert.ok(steps.length >= 10 && steps.length <= 12, `${steps.length} steps: ${steps.join(', ')}`);
    assert.equal(new Set(steps).size, steps.length, 'each file once');
    assert.equal(steps.at(-1), 'domain/jws-signer.ts');
  });
});
