import type { SigningKeySummary } from '../../domain/signing-keys.js';
import { signingKeyView } from '../../views.js';
import type { Command } from '../command.js';
import { table } from '../text.js';
import { withServices } from '../with-services.js';

const keyTable = (keys: readonly SigningKeySummary[]) =>
  table(
    ['KID', 'ALG', 'STATUS', 'CREATED', 'LEAVES JWKS'],
    keys.map((k) => [
      k.kid,
      k.alg,
      k.status,
      new Date(k.createdAt).toISOString(),
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
        return { json: published.map(signingKeyView), text: keyTable(published) };
      }),
  },
  rotate: {
    usage: 'keys rotate',
    summary: 'make a new SIGNING_ALG key active; the old one stays published until its tokens expire',
    run: ({ config }) =>
      withServices(config, async ({ keys }) => {
        await keys.reload();
        await keys.rotate();
        const published = keys.list();
        return {
          json: published.map(signingKeyView),
          text: `Rotated: ${published[0]?.kid} now signs new tokens.\n${keyTable(published)}`,
        };
      }),
  },
};
