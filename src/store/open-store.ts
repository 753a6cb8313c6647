import type { DatabaseLocation } from '../config/config.js';
import type { Store } from '../domain/store.js';

/**
 * Opens the store DATABASE_URL names and brings its schema up to date. Each backend's driver is
 * loaded only when it is the one named: a process holds one, not both (pg alone is megabytes).
 */
export async function openStore(location: DatabaseLocation): Promise<Store> {
  const store =
    location.kind === 'sqlite'
      ? (await import('./sqlite-store.js')).openSqliteStore(location.path)
      : await (await import('./postgres-store.js')).openPostgresStore(location.url);
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
