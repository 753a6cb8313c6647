import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/test-server.js';

// dist/test/scripts/ → the repository root is three up.
const SCRIPT = fileURLToPath(new URL('../../../scripts/audit.mjs', import.meta.url));

const temp = tempDir();
after(() => temp.remove());

/**
 * Runs scripts/audit.mjs with an `npm` first on PATH that answers `npm audit` with `output` and
 * exits with `status`, as a registry would make the real one do.
 */
function auditWith(output: string, status = 0) {
  const answer = join(temp.dir, `answer-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(answer, output);
  const npm = join(temp.dir, 'npm');
  writeFileSync(npm, `#!/bin/sh\ncat '${answer}'\nexit ${status}\n`);
  chmodSync(npm, 0o755);
  const run = spawnSync(process.execPath, [SCRIPT], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${temp.dir}${delimiter}${process.env.PATH ?? ''}` },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const BANNER = /^!{78}\n!! audit NOT checked: the registry’s advisory endpoint could not be reached\.\n/;

describe('scripts/audit.mjs', () => {
  it('a registry without the advisory endpoint (405): "audit NOT checked" on stderr, and CI goes on', () => {
    const { code, stdout, stderr } = auditWith(
      JSON.stringify({
        message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
        statusCode: 405,
        error: { summary: '', detail: '' },
      }),
      1,
    );
    assert.equal(code, 0);
    assert.equal(stdout, '');
    assert.match(stderr, BANNER);
    assert.match(stderr, /405 Method Not Allowed/);
    assert.match(stderr, /No dependency was checked/);
  });

  it('no report at all (npm unreachable, or its output cut off): the same banner', () => {
    for (const output of ['', 'npm ERR! network request failed', '{"truncated":']) {
      const { code, stderr } = auditWith(output, 1);
      assert.equal(code, 0, output);
      assert.match(stderr, BANNER, output);
      assert.match(stderr, /npm audit gave no report \(exit 1\)/);
    }
    const { stderr } = auditWith('{"auditReportVersion": 2}');
    assert.match(stderr, BANNER);
  });

  it('a real report: the counts on stdout; high or critical advisories fail the build', () => {
    const report = (counts: Record<string, number>) =>
      JSON.stringify({ metadata: { vulnerabilities: { info: 0, low: 0, moderate: 0, ...counts } } });
    const clean = auditWith(report({ high: 0, critical: 0 }));
    assert.equal(clean.code, 0);
    assert.equal(clean.stderr, '');
    assert.match(
      clean.stdout,
      /^npm audit --omit=dev: \{"info":0,"low":0,"moderate":0,"high":0,"critical":0\}\n$/,
    );
    assert.equal(auditWith(report({ moderate: 3, high: 0, critical: 0 }), 1).code, 0);
    assert.equal(auditWith(report({ high: 1, critical: 0 }), 1).code, 1);
    assert.equal(auditWith(report({ high: 0, critical: 2 }), 1).code, 1);
  });
});
