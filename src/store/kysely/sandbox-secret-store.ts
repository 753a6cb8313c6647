import type { SandboxSecretStore } from '../../domain/store.js';
import type { KyselyContext } from './context.js';

/** The secrets a sandbox made for itself, over Kysely. */
export function kyselySandboxSecretStore({ db }: KyselyContext): SandboxSecretStore {
  return {
    async sandboxSecret(name, generate) {
      const inserted = await db
        .insertInto('sandbox_secrets')
        .values({ name, value: generate() })
        .onConflict((conflict) => conflict.column('name').doNothing())
        .executeTakeFirst();
      const { value } = await db
        .selectFrom('sandbox_secrets')
        .select('value')
        .where('name', '=', name)
        .executeTakeFirstOrThrow();
      return { value, created: Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0 };
    },
  };
}
