import type { DatabaseLocation } from '../config/config.js';
import { openPostgresStore } from './postgres-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

/** Opens the store DATABASE_URL names and brings its schema up to date. */
export async function openStore(location: DatabaseLocation): Promise<Store> {
  const store =
    location.kind === 'sqlite' ? openSqliteStore(location.path) : await openPostgresStore(location.url);
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
