import type { Customer } from '../../domain/customer.js';
import { validPage } from '../../domain/page.js';
import { customerView, pageView } from '../../domain/views.js';
import { optional, required, wholeNumber } from '../arguments.js';
import type { Command } from '../command.js';
import { CONFIRM_OPTION, confirmed, unconfirmed } from '../confirm.js';
import { fields, table } from '../text.js';
import { CLI_ACTOR, withServices } from '../with-services.js';

function describe(c: Customer): string {
  return fields([
    ['customer_id', c.customerId],
    ['client_id', c.clientId],
    ['app_user_id', c.appUserId],
    ['status', c.status],
  ]);
}

/** `lean-auth customers …`: the end users of an application, for customer tokens. */
export const customersCommands: Record<string, Command> = {
  create: {
    usage: 'customers create --app CLIENT_ID --app-user-id ID',
    summary: 'register an end user of an application; prints its customer_id',
    options: { app: { type: 'string' }, 'app-user-id': { type: 'string' } },
    run: ({ config, io, values }) =>
      withServices({ config, io }, async ({ customers }) => {
        const customer = await customers.create(
          required(values, 'app'),
          required(values, 'app-user-id'),
          CLI_ACTOR,
        );
        return { json: customerView(customer), text: `Created customer.\n${describe(customer)}` };
      }),
  },
  list: {
    usage: 'customers list --app CLIENT_ID [--limit N] [--after CUSTOMER_ID]',
    summary: 'list the customers of an application, ordered by customer_id',
    options: { app: { type: 'string' }, limit: { type: 'string' }, after: { type: 'string' } },
    run: ({ config, io, values }) =>
      withServices({ config, io }, async ({ customers }) => {
        const page = validPage({
          limit: wholeNumber(values, 'limit') ?? undefined,
          after: optional(values, 'after'),
        });
        const rows = await customers.list(required(values, 'app'), page);
        return {
          json: pageView(rows, page.limit, (c) => c.customerId, customerView),
          text: table(
            ['CUSTOMER_ID', 'STATUS', 'APP_USER_ID'],
            rows.map((c) => [c.customerId, c.status, c.appUserId]),
          ),
        };
      }),
  },
  disable: {
    usage: 'customers disable CUSTOMER_ID',
    summary: 'stop issuing customer tokens for this customer',
    positionals: 1,
    run: ({ config, io, positionals: [customerId = ''] }) =>
      withServices({ config, io }, async ({ customers }) => {
        const customer = await customers.disable(customerId, CLI_ACTOR);
        return { json: customerView(customer), text: `Disabled customer ${customer.customerId}.` };
      }),
  },
  enable: {
    usage: 'customers enable CUSTOMER_ID',
    summary: 'issue customer tokens for a disabled customer again',
    positionals: 1,
    run: ({ config, io, positionals: [customerId = ''] }) =>
      withServices({ config, io }, async ({ customers }) => {
        const customer = await customers.enable(customerId, CLI_ACTOR);
        return { json: customerView(customer), text: `Enabled customer ${customer.customerId}.` };
      }),
  },
  delete: {
    usage: 'customers delete CUSTOMER_ID --yes',
    summary:
      'delete an end user’s data (on request), for good; the customer’s tokens stop introspecting as active',
    options: CONFIRM_OPTION,
    positionals: 1,
    run: ({ config, io, values, positionals: [customerId = ''] }) =>
      withServices({ config, io }, async ({ customers, deletions }) => {
        if (!confirmed(values)) {
          const { appUserId, clientId } = await customers.get(customerId);
          throw unconfirmed(
            `this deletes customer ${customerId} (app_user_id '${appUserId}' of application ${clientId})`,
          );
        }
        const deleted = await deletions.deleteCustomer(customerId, CLI_ACTOR);
        return {
          json: { customer_id: deleted.customerId, client_id: deleted.clientId },
          text: `Deleted customer ${deleted.customerId} of application ${deleted.clientId}.`,
        };
      }),
  },
};
