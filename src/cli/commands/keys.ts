import type { SigningKeySummary } from '../../domain/signing-keys.js';
import { signingKeyView } from '../../views.js';
import type { Command } from '../command.js';
import { table } from '../text.js';
import { CLI_ACTOR, withServices } from '../with-services.js';

const keyTable = (keys: readonly SigningKeySummary[]) =>
  table(
    ['KID', 'ALG', 'STATE', 'SIGNS FROM', 'LEAVES JWKS'],
    keys.map((k) => [
      k.kid,
      k.alg,
      k.state,
      new Date(k.activatesAt).toISOString(),
      k.expiresAt === null ? '-' : new Date(k.expiresAt).toISOString(),
    ]),
  );

/** `lean-auth keys …`: the signing keys. */
export const keysCommands: Record<string, Command> = {
  list: {
    usage: 'keys list',
    summary: 'list the published signing keys (never their private parts)',
    run: ({ config }) =>
      withServices(config, async ({ keys }) => {
        await keys.reload();
        const published = keys.list();
        // The admin API's shape; every key is on the one page.
        return { json: { items: published.map(signingKeyView) }, text: keyTable(published) };
      }),
  },
  rotate: {
    usage: 'keys rotate [--now]',
    summary:
      'publish a new SIGNING_ALG key that signs after the JWKS cache lifetime (--now: at once); the old key stays published until its tokens expire',
    options: { now: { type: 'boolean' } },
    run: ({ config, values }) =>
      withServices(config, async ({ keys }) => {
        await keys.reload();
        const key = await keys.rotate({ immediately: values.now === true }, CLI_ACTOR);
        const published = keys.list();
        return {
          json: published.map(signingKeyView),
          text: `Rotated: ${key.kid} signs new tokens from ${new Date(key.activatesAt).toISOString()}.\n${keyTable(published)}`,
        };
      }),
  },
};
