import { DomainError } from '../../domain/domain-error.js';
import type { SigningKeySummary } from '../../domain/signing-keys.js';
import { signingKeyView } from '../../domain/views.js';
import type { Command } from '../command.js';
import { CONFIRM_OPTION, confirmed, unconfirmed } from '../confirm.js';
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
    run: ({ config, io }) =>
      withServices({ config, io }, async ({ keys }) => {
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
    run: ({ config, io, values }) =>
      withServices({ config, io }, async ({ keys }) => {
        await keys.reload();
        const key = await keys.rotate({ immediately: values.now === true }, CLI_ACTOR);
        const published = keys.list();
        return {
          json: published.map(signingKeyView),
          text: `Rotated: ${key.kid} signs new tokens from ${new Date(key.activatesAt).toISOString()}.\n${keyTable(published)}`,
        };
      }),
  },
  withdraw: {
    usage: 'keys withdraw KID --yes',
    summary:
      'withdraw a compromised key: out of the JWKS at once, its tokens inactive; if it signs, a new key signs from now on',
    options: CONFIRM_OPTION,
    positionals: 1,
    run: ({ config, io, values, positionals: [kid = ''] }) =>
      withServices({ config, io }, async ({ keys }) => {
        if (!confirmed(values)) {
          await keys.reload();
          const state = keys.list().find((k) => k.kid === kid)?.state;
          if (state === undefined)
            throw new DomainError('not_found', `no published signing key has kid '${kid.slice(0, 80)}'`);
          throw unconfirmed(
            `this takes the ${state} key ${kid} out of the JWKS now: no token it signed verifies after`,
          );
        }
        const withdrawn = await keys.withdraw(kid, CLI_ACTOR);
        const replacement = withdrawn.replacement;
        const published = keys.list();
        return {
          json: {
            kid: withdrawn.kid,
            state: withdrawn.state,
            replacement: replacement ? signingKeyView(replacement) : null,
          },
          text: [
            `Withdrew ${withdrawn.kid} (it was ${withdrawn.state}): it is out of the JWKS now.`,
            ...(replacement ? [`${replacement.kid} signs new tokens from now on.`] : []),
            keyTable(published),
          ].join('\n'),
        };
      }),
  },
};
