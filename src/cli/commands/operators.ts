import { text } from 'node:stream/consumers';
import { type Operator, operatorView } from '../../domain/operators/operators.js';
import { required } from '../arguments.js';
import type { Command } from '../command.js';
import type { CliIo } from '../io.js';
import { table } from '../text.js';
import { CLI_ACTOR, withServices } from '../with-services.js';

const PASSWORD_STDIN = { 'password-stdin': { type: 'boolean' } } as const;

/** The password piped in with --password-stdin (its last line break dropped), or undefined. */
async function passwordFromStdin(values: Record<string, string | boolean | undefined>, io: CliIo) {
  if (values['password-stdin'] !== true) return undefined;
  return (await text(io.stdin)).replace(/\r?\n$/, '');
}

function shownOnce(operator: Operator, password: string, generated: boolean, what: string) {
  return {
    json: { ...operatorView(operator), ...(generated && { password }) },
    text: generated
      ? `${what} ${operator.email} (${operator.role}). The password is shown only this once:\n  ${password}`
      : `${what} ${operator.email} (${operator.role}).`,
  };
}

/** `lean-auth operators …`: the people who sign in to the dashboard. */
export const operatorsCommands: Record<string, Command> = {
  create: {
    usage: 'operators create --email EMAIL --role admin|viewer [--password-stdin]',
    summary: 'add a dashboard operator; prints a generated password once (or reads one from stdin)',
    options: { email: { type: 'string' }, role: { type: 'string' }, ...PASSWORD_STDIN },
    run: async ({ config, io, values }) => {
      const password = await passwordFromStdin(values, io);
      return withServices({ config, io }, async ({ operators }) => {
        const created = await operators.create(
          { email: required(values, 'email'), role: required(values, 'role'), password },
          CLI_ACTOR,
        );
        return shownOnce(created.operator, created.password, password === undefined, 'Created operator');
      });
    },
  },
  list: {
    usage: 'operators list',
    summary: 'list the dashboard operators',
    run: ({ config, io }) =>
      withServices({ config, io }, async ({ operators }) => {
        const all = await operators.list();
        return {
          json: { items: all.map(operatorView) },
          text: table(
            ['EMAIL', 'ROLE', 'STATUS', 'TOTP'],
            all.map((o) => [o.email, o.role, o.status, o.totpSecret === null ? 'off' : 'on']),
          ),
        };
      }),
  },
  disable: {
    usage: 'operators disable EMAIL',
    summary: 'stop an operator signing in; their sessions end',
    positionals: 1,
    run: ({ config, io, positionals: [email = ''] }) =>
      withServices({ config, io }, async ({ operators }) => {
        const operator = await operators.disable(email, CLI_ACTOR);
        return { json: operatorView(operator), text: `Disabled operator ${operator.email}.` };
      }),
  },
  enable: {
    usage: 'operators enable EMAIL',
    summary: 'let a disabled operator sign in again',
    positionals: 1,
    run: ({ config, io, positionals: [email = ''] }) =>
      withServices({ config, io }, async ({ operators }) => {
        const operator = await operators.enable(email, CLI_ACTOR);
        return { json: operatorView(operator), text: `Enabled operator ${operator.email}.` };
      }),
  },
  'reset-password': {
    usage: 'operators reset-password EMAIL [--password-stdin]',
    summary: 'give an operator a new password (printed once unless read from stdin); their sessions end',
    options: PASSWORD_STDIN,
    positionals: 1,
    run: async ({ config, io, values, positionals: [email = ''] }) => {
      const password = await passwordFromStdin(values, io);
      return withServices({ config, io }, async ({ operators }) => {
        const reset = await operators.resetPassword(email, password, CLI_ACTOR);
        return shownOnce(reset.operator, reset.password, password === undefined, 'New password for');
      });
    },
  },
};
