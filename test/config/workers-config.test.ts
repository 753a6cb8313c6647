import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { describe, it } from 'node:test';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../../src/config/config.js';

function workersProblem(value: string): string | undefined {
  try {
    loadConfig({ WORKERS: value }, '/srv/lean-auth');
    return undefined;
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.problems.length, 1, error.message);
    return error.problems[0];
  }
}

describe('WORKERS', () => {
  it('is one process by default, and a CLI flag like every variable', () => {
    assert.equal(loadConfig({}, '/srv/lean-auth').workers, 1);
    assert.ok((CONFIG_VARIABLES as readonly string[]).includes('WORKERS'));
  });

  it('takes a number of processes, or auto for one per CPU', () => {
    assert.equal(loadConfig({ WORKERS: '4' }, '/srv/lean-auth').workers, 4);
    assert.equal(loadConfig({ WORKERS: ' 2 ' }, '/srv/lean-auth').workers, 2);
    assert.equal(loadConfig({ WORKERS: 'auto' }, '/srv/lean-auth').workers, availableParallelism());
  });

  it('refuses anything else, naming the variable and what it takes', () => {
    for (const bad of ['0', '-1', '1.5', 'two', 'AUTO', '257', '1e2']) {
      const problem = workersProblem(bad);
      assert.ok(problem, `WORKERS=${bad} is refused`);
      assert.match(problem, /^WORKERS must be 'auto' or a whole number from 1 to 256/);
      assert.ok(problem.includes(`got '${bad}'`), problem);
    }
  });
});
