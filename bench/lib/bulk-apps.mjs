// Many applications at once, for the start-to-first-token measurement with a full client directory:
// written through the store of the build under test (its own schema and rules), a thousand to a
// transaction, instead of ten thousand CLI calls.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SNAPSHOT } from './settings.mjs';

const BATCH = 1000;

/** Adds `count` active applications (each with a secret) to the database at `location`. */
export async function createApplications(location, count) {
  const { openStore } = await import(pathToFileURL(join(SNAPSHOT, 'src/store/open-store.js')).href);
  const store = await openStore(location);
  try {
    for (let done = 0; done < count; done += BATCH) {
      const now = Date.now();
      await store.transaction(async (tx) => {
        for (let i = done; i < Math.min(count, done + BATCH); i++) {
          const clientId = randomUUID();
          await tx.insertApplication(
            {
              clientId,
              name: `bench app ${i}`,
              status: 'active',
              tokenClasses: ['api', 'customer'],
              apiTokenTtl: null,
              customerTokenTtl: null,
              resourceServer: false,
              dpopBoundAccessTokens: false,
              tokenEndpointAuthMethod: null,
              jwks: null,
              jwksUri: null,
              createdAt: now,
              updatedAt: now,
            },
            {
              id: randomUUID(),
              clientId,
              digest: createHash('sha256').update(randomBytes(32)).digest('hex'),
              createdAt: now,
              expiresAt: null,
            },
          );
        }
      });
    }
    return await store.countApplications();
  } finally {
    await store.close();
  }
}
