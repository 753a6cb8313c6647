import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { KyselyNodeSqlite, loadNodeSqlite, unsupportedNode } from '../../src/store/node-sqlite.js';

const NODE_SQLITE = new URL('../../src/store/node-sqlite.js', import.meta.url).href;

describe('node:sqlite for Kysely', () => {
  it('says which Node.js versions cannot run the SQLite store', () => {
    for (const old of ['v20.20.2', 'v22.12.0', 'v22.15.1', 'v21.7.3']) {
      assert.match(
        unsupportedNode(old) ?? '',
        new RegExp(`needs Node.js 22.16 or later \\(24 recommended\\); this is Node.js ${old}$`),
      );
    }
    for (const fine of ['v22.16.0', 'v22.23.5', 'v24.0.0', 'v24.22.3', 'v25.1.0']) {
      assert.equal(unsupportedNode(fine), undefined, fine);
    }
  });

  it('loads without an ExperimentalWarning (Node.js 22 prints one), and other warnings still show', () => {
    const script = `
      const { loadNodeSqlite } = await import(${JSON.stringify(NODE_SQLITE)});
      new (loadNodeSqlite().DatabaseSync)(':memory:').close();
      process.emitWarning('another warning', 'ExperimentalWarning');`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /SQLite is an experimental feature/);
    assert.match(run.stderr, /ExperimentalWarning: another warning/);
  });

  it('tells reading statements (rows) from writing ones (changes), and reuses prepared statements', () => {
    const database = new KyselyNodeSqlite(new (loadNodeSqlite().DatabaseSync)(':memory:'));
    try {
      database.prepare('create table t (id integer primary key, name text)').run([]);
      const insert = database.prepare('insert into t (name) values (?)');
      assert.equal(insert.reader, false);
      assert.deepEqual(insert.run(['a']), { changes: 1, lastInsertRowid: 1 });
      const returning = database.prepare('insert into t (name) values (?) returning id');
      assert.equal(returning.reader, true);
      assert.deepEqual(
        returning.all(['b']).map((row) => ({ ...(row as object) })),
        [{ id: 2 }],
      );
      assert.equal(database.prepare('pragma data_version').reader, true);
      const select = database.prepare('select name from t where id > ? order by id');
      assert.deepEqual(
        [...select.iterate([0])].map((row) => (row as { name: string }).name),
        ['a', 'b'],
      );
      assert.equal(
        database.prepare('select name from t where id > ? order by id'),
        select,
        'the same statement',
      );
      // The cache is bounded: after 200 other statements the first is prepared anew.
      for (let n = 0; n < 200; n++) database.prepare(`select ${n}`);
      assert.notEqual(database.prepare('select name from t where id > ? order by id'), select);
    } finally {
      database.close();
    }
  });
});
