import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

type NodeSqlite = typeof import('node:sqlite');

/**
 * Why this Node.js cannot run the SQLite store, or undefined when it can: the store uses what
 * node:sqlite has from 22.16 on (statement.columns(), the busy timeout, isTransaction).
 */
export function unsupportedNode(version: string): string | undefined {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 16)) return undefined;
  return `the SQLite store needs Node.js 22.16 or later (24 recommended); this is Node.js ${version}`;
}

/**
 * The built-in `node:sqlite` module. Node.js 22 (and 24 before 24.15) print an ExperimentalWarning
 * when it loads, on every CLI command and in every worker; that one warning is dropped here, any
 * other goes on as usual. (Node.js emits it through process.emitWarning, synchronously, on load.)
 */
export function loadNodeSqlite(): NodeSqlite {
  const unsupported = unsupportedNode(process.version);
  if (unsupported) throw new Error(unsupported);
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning).startsWith('SQLite is an experimental feature')) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return process.getBuiltinModule('node:sqlite');
  } finally {
    process.emitWarning = emitWarning;
  }
}

/** How many prepared statements a database keeps for reuse (the store's queries are fewer). */
const STATEMENT_CACHE_SIZE = 200;

/**
 * A `node:sqlite` database as Kysely's SqliteDialect expects one (the shape of better-sqlite3's):
 * statements take their parameters as one array, and say whether they return rows. Kysely prepares
 * every query anew, and preparing costs several times what running a point read does
 * (docs/_incoming/runtime.md): the statements are kept, by their SQL, and reused. Kysely runs one
 * query at a time on the connection, so no statement is ever in use twice.
 */
export class KyselyNodeSqlite implements SqliteDatabase {
  private readonly statements = new Map<string, KyselyNodeStatement>();

  constructor(private readonly database: DatabaseSync) {}

  close(): void {
    this.statements.clear();
    if (this.database.isOpen) this.database.close();
  }

  prepare(sql: string): SqliteStatement {
    let statement = this.statements.get(sql);
    if (statement) {
      // Most recently used last: the first in the map is the one to drop when full.
      this.statements.delete(sql);
    } else {
      statement = new KyselyNodeStatement(this.database.prepare(sql));
      if (this.statements.size >= STATEMENT_CACHE_SIZE) {
        this.statements.delete(this.statements.keys().next().value as string);
      }
    }
    this.statements.set(sql, statement);
    return statement;
  }
}

class KyselyNodeStatement implements SqliteStatement {
  /** A statement returns rows when it has result columns (a SELECT, a PRAGMA, a RETURNING clause). */
  readonly reader: boolean;

  constructor(private readonly statement: StatementSync) {
    this.reader = statement.columns().length > 0;
  }

  all(parameters: readonly unknown[]): unknown[] {
    return this.statement.all(...(parameters as SQLInputValue[]));
  }

  run(parameters: readonly unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint } {
    return this.statement.run(...(parameters as SQLInputValue[]));
  }

  iterate(parameters: readonly unknown[]): IterableIterator<unknown> {
    return this.statement.iterate(...(parameters as SQLInputValue[]));
  }
}
