import type { Migration, MigrationProvider } from 'kysely';
import { initial } from './0001-initial.js';

/** Every migration, in order; the names are recorded in the database and must never change. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
