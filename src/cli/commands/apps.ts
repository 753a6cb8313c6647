import type { Application } from '../../domain/application.js';
import { validPage } from '../../domain/page.js';
import { DEFAULT_TOKEN_CLASSES_TEXT } from '../../domain/token-class.js';
import { applicationView, pageView } from '../../domain/views.js';
import { durationSeconds, list, optional, required, wholeNumber } from '../arguments.js';
import {
  CLIENT_AUTH_HELP,
  CLIENT_AUTH_USAGE,
  clientAuthOptions,
  clientAuthSettings,
  switchValue,
} from '../client-auth-options.js';
import type { Command } from '../command.js';
import { CONFIRM_OPTION, confirmed, unconfirmed } from '../confirm.js';
import { fields, table } from '../text.js';
import { CLI_ACTOR, withServices } from '../with-services.js';

const settingsOptions = {
  'resource-server': { type: 'boolean' },
  'no-resource-server': { type: 'boolean' },
  'token-classes': { type: 'string' },
  'api-token-ttl': { type: 'string' },
  'customer-token-ttl': { type: 'string' },
  ...clientAuthOptions,
} as const;

/** The SETTINGS of `apps create` and `apps update`, one a line in `--help` (the usage lines stay short). */
const SETTINGS_DETAILS = [
  'SETTINGS:',
  ...[
    `--token-classes LIST       ${DEFAULT_TOKEN_CLASSES_TEXT} (the default), api, or customer`,
    '--api-token-ttl S          lifetime of api tokens (default: the server setting)',
    '--customer-token-ttl S     lifetime of customer tokens (default: the server setting)',
    '--[no-]resource-server     may introspect every application’s tokens',
    ...CLIENT_AUTH_USAGE.map((flag) => `${flag.padEnd(26)} ${CLIENT_AUTH_HELP[flag] ?? ''}`),
  ].map((line) => `  ${line}`),
].join('\n');

const lifetime = (seconds: number | null) => (seconds === null ? 'server default' : `${seconds} s`);

function describe(a: Application): string {
  return fields([
    ['client_id', a.clientId],
    ['name', a.name],
    ['status', a.status],
    ['token classes', a.tokenClasses.join(', ')],
    ['api token ttl', lifetime(a.apiTokenTtl)],
    ['customer token ttl', lifetime(a.customerTokenTtl)],
    ['resource server', a.resourceServer ? 'yes (may introspect any token)' : 'no'],
    ['auth method', a.tokenEndpointAuthMethod ?? 'client_secret_basic or client_secret_post'],
    ['dpop bound', a.dpopBoundAccessTokens ? 'yes (every token request needs a DPoP proof)' : 'no'],
    ...(a.jwks === null ? [] : [['jwks', `${a.jwks.keys.length} public key(s)`] as [string, string]]),
    ...(a.tlsSubject === null
      ? []
      : [
          ['tls subject', `${a.tlsSubject.field.slice('tls_client_auth_'.length)} ${a.tlsSubject.value}`] as [
            string,
            string,
          ],
        ]),
    ...(a.certificateBoundAccessTokens
      ? [['bound to', 'the TLS client certificate'] as [string, string]]
      : []),
    ['created', new Date(a.createdAt).toISOString()],
  ]);
}

/** `lean-auth apps …`: applications (OAuth clients). */
export const appsCommands: Record<string, Command> = {
  create: {
    usage: 'apps create --name NAME [SETTINGS]',
    details: SETTINGS_DETAILS,
    summary: 'register an application; prints its client_secret once',
    options: { name: { type: 'string' }, ...settingsOptions },
    run: ({ config, io, values }) =>
      withServices({ config, io }, async ({ applications }) => {
        const { application, clientSecret } = await applications.create(
          {
            name: required(values, 'name'),
            tokenClasses: list(values, 'token-classes'),
            apiTokenTtl: durationSeconds(values, 'api-token-ttl') ?? null,
            customerTokenTtl: durationSeconds(values, 'customer-token-ttl') ?? null,
            resourceServer: switchValue(values, 'resource-server') === true,
            ...clientAuthSettings(values),
          },
          CLI_ACTOR,
        );
        return {
          json: { ...applicationView(application), client_secret: clientSecret },
          text: `Created application.\n${describe(application)}\n  client_secret       ${clientSecret}\n\nThe client_secret is shown only this once: store it now.`,
        };
      }),
  },
  list: {
    usage: 'apps list [--limit N] [--after CLIENT_ID]',
    summary: 'list applications, ordered by client_id',
    options: { limit: { type: 'string' }, after: { type: 'string' } },
    run: ({ config, io, values }) =>
      withServices({ config, io }, async ({ applications }) => {
        const page = validPage({
          limit: wholeNumber(values, 'limit') ?? undefined,
          after: optional(values, 'after'),
        });
        const rows = await applications.list(page);
        return {
          json: pageView(rows, page.limit, (a) => a.clientId, applicationView),
          text: table(
            ['CLIENT_ID', 'STATUS', 'TOKEN CLASSES', 'NAME'],
            rows.map((a) => [a.clientId, a.status, a.tokenClasses.join(','), a.name]),
          ),
        };
      }),
  },
  show: {
    usage: 'apps show CLIENT_ID',
    summary: 'show one application',
    positionals: 1,
    run: ({ config, io, positionals: [clientId = ''] }) =>
      withServices({ config, io }, async ({ applications }) => {
        const application = await applications.get(clientId);
        return { json: applicationView(application), text: describe(application) };
      }),
  },
  update: {
    usage: 'apps update CLIENT_ID [--name NAME] [SETTINGS]',
    details: SETTINGS_DETAILS,
    summary: 'change an application’s name, token classes, token lifetimes (S or default) or authentication',
    options: { name: { type: 'string' }, ...settingsOptions },
    positionals: 1,
    run: ({ config, io, values, positionals: [clientId = ''] }) =>
      withServices({ config, io }, async ({ applications }) => {
        const application = await applications.update(
          clientId,
          {
            name: optional(values, 'name'),
            tokenClasses: list(values, 'token-classes'),
            apiTokenTtl: durationSeconds(values, 'api-token-ttl', true),
            customerTokenTtl: durationSeconds(values, 'customer-token-ttl', true),
            resourceServer: switchValue(values, 'resource-server'),
            ...clientAuthSettings(values),
          },
          CLI_ACTOR,
        );
        return { json: applicationView(application), text: `Updated application.\n${describe(application)}` };
      }),
  },
  'rotate-secret': {
    usage: 'apps rotate-secret CLIENT_ID [--grace S]',
    summary:
      'issue a new client_secret (shown once); the old one works for the grace period (default SECRET_ROTATION_GRACE)',
    options: { grace: { type: 'string' } },
    positionals: 1,
    run: ({ config, io, values, positionals: [clientId = ''] }) =>
      withServices({ config, io }, async ({ applications }) => {
        const rotated = await applications.rotateSecret(
          clientId,
          { graceSeconds: durationSeconds(values, 'grace') ?? undefined },
          CLI_ACTOR,
        );
        const until =
          rotated.previousSecretExpiresAt === null
            ? 'The previous secret stopped working now.'
            : `The previous secret works until ${new Date(rotated.previousSecretExpiresAt).toISOString()}.`;
        return {
          json: {
            client_id: clientId,
            client_secret: rotated.clientSecret,
            previous_secret_expires_at:
              rotated.previousSecretExpiresAt === null
                ? null
                : new Date(rotated.previousSecretExpiresAt).toISOString(),
          },
          text: `New client_secret for ${clientId}:\n  ${rotated.clientSecret}\n\nShown only this once: store it now. ${until}`,
        };
      }),
  },
  disable: {
    usage: 'apps disable CLIENT_ID',
    summary: 'stop issuing tokens to an application',
    positionals: 1,
    run: ({ config, io, positionals: [clientId = ''] }) =>
      withServices({ config, io }, async ({ applications }) => {
        const application = await applications.disable(clientId, CLI_ACTOR);
        return { json: applicationView(application), text: `Disabled application ${application.clientId}.` };
      }),
  },
  enable: {
    usage: 'apps enable CLIENT_ID',
    summary: 'issue tokens to a disabled application again',
    positionals: 1,
    run: ({ config, io, positionals: [clientId = ''] }) =>
      withServices({ config, io }, async ({ applications }) => {
        const application = await applications.enable(clientId, CLI_ACTOR);
        return { json: applicationView(application), text: `Enabled application ${application.clientId}.` };
      }),
  },
  delete: {
    usage: 'apps delete CLIENT_ID --yes',
    summary:
      'delete an application with its secrets and customers, for good; its tokens stop introspecting as active',
    options: CONFIRM_OPTION,
    positionals: 1,
    run: ({ config, io, values, positionals: [clientId = ''] }) =>
      withServices({ config, io }, async ({ applications, deletions }) => {
        if (!confirmed(values)) {
          const { name } = await applications.get(clientId);
          throw unconfirmed(`this deletes application ${clientId} ('${name}') with its customers`);
        }
        const deleted = await deletions.deleteApplication(clientId, CLI_ACTOR);
        return {
          json: { client_id: deleted.clientId, customers_deleted: deleted.customersDeleted },
          text: `Deleted application ${deleted.clientId} and its ${deleted.customersDeleted} customer(s).`,
        };
      }),
  },
};
