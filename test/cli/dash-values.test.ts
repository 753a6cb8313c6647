import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArgs } from 'node:util';
import { protectDashValues } from '../../src/cli/dash-values.js';

const OPTIONS = {
  after: { type: 'string' },
  yes: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parse(args: string[]) {
  const shielded = protectDashValues(args, OPTIONS);
  const parsed = parseArgs({ args: shielded.args, options: OPTIONS, allowPositionals: true, strict: true });
  return { values: { ...parsed.values }, positionals: parsed.positionals.map(shielded.restore) };
}

describe('values that begin with a dash on the command line', () => {
  it('keeps a single-dash word as a positional, in its place', () => {
    assert.deepEqual(parse(['withdraw', '-Fx1', '--yes', 'second']), {
      values: { yes: true },
      positionals: ['withdraw', '-Fx1', 'second'],
    });
  });

  it('gives a string option the dash value that follows it', () => {
    assert.deepEqual(parse(['list', '--after', '-abc']).values, { after: '-abc' });
  });

  it('leaves -h, --options and plain words alone, and still refuses an unknown long option', () => {
    assert.deepEqual(parse(['-h', 'x']), { values: { help: true }, positionals: ['x'] });
    assert.throws(() => parse(['--nope']), /Unknown option '--nope'/);
  });
});
