import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/config.js';
import { DomainError } from '../domain/domain-error.js';
import { CONFIG_FLAGS, refusePasswordsInFlags } from './arguments.js';
import { type Command, UsageError } from './command.js';
import { appsCommands } from './commands/apps.js';
import { customersCommands } from './commands/customers.js';
import { keysCommands } from './commands/keys.js';
import { mcpCommand } from './commands/mcp.js';
import { operatorsCommands } from './commands/operators.js';
import { serveCommand } from './commands/serve.js';
import { tokenCommand } from './commands/token.js';
import { protectDashValues } from './dash-values.js';
import type { CliIo } from './io.js';

/** Commands of one word; the groups' commands take two. */
const SINGLE: Record<string, Command> = { serve: serveCommand, token: tokenCommand, mcp: mcpCommand };

const GROUPS: Record<string, Record<string, Command>> = {
  apps: appsCommands,
  customers: customersCommands,
  keys: keysCommands,
  operators: operatorsCommands,
};

function help(): string {
  const lines = ['Usage: lean-auth <command> [options]', '', 'Commands:'];
  for (const commands of [SINGLE, ...Object.values(GROUPS)]) {
    for (const command of Object.values(commands))
      lines.push(`  ${command.usage.padEnd(60)} ${command.summary}`);
  }
  lines.push(
    '',
    'A command’s --help says more, such as the SETTINGS of apps create and apps update.',
    'Every command takes, before or after the command words, --json (machine-readable output) and',
    'the configuration flags',
    `  ${Object.keys(CONFIG_FLAGS)
      .map((f) => `--${f}`)
      .join(' ')}`,
    'which override the environment variables of the same name (see docs/cli.md).',
  );
  return lines.join('\n');
}

/**
 * Runs one command line over `io`; resolves to the exit code (src/cli/bin.ts gives it to the
 * process, a test reads it).
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const { leading, words } = splitLeadingOptions(argv);
  const [first, second] = words;
  if (first === undefined || first === 'help') {
    io.stdout.write(`${help()}\n`);
    const asked = first === 'help' || leading.includes('--help') || leading.includes('-h');
    return asked ? 0 : 2;
  }
  const single = Object.hasOwn(SINGLE, first);
  const command = single ? SINGLE[first] : GROUPS[first]?.[second ?? ''];
  // Options given before the command are the command's as much as those after it.
  const rest = [...leading, ...words.slice(single ? 1 : 2)];
  const json = rest.includes('--json');
  try {
    if (!command) {
      throw new UsageError(`unknown command '${words.slice(0, 2).join(' ')}'; run 'lean-auth --help'`);
    }
    // A command's own option wins over a configuration flag of the same name (apps --api-token-ttl
    // sets the application's lifetime, not the server default).
    const configFlags = Object.entries(CONFIG_FLAGS).filter(([flag]) => !(flag in (command.options ?? {})));
    const options: NonNullable<ParseArgsConfig['options']> = {
      ...Object.fromEntries(configFlags.map(([flag]) => [flag, { type: 'string' as const }])),
      ...command.options,
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    };
    const { values, positionals } = parseUsage(rest, options);
    if (values.help) {
      const details = command.details === undefined ? '' : `${command.details}\n`;
      io.stdout.write(`Usage: lean-auth ${command.usage}\n  ${command.summary}\n${details}`);
      return 0;
    }
    if (positionals.length !== (command.positionals ?? 0)) {
      throw new UsageError(`usage: lean-auth ${command.usage}`);
    }
    const overrides = Object.fromEntries(
      configFlags.flatMap(([flag, name]) => (typeof values[flag] === 'string' ? [[name, values[flag]]] : [])),
    );
    refusePasswordsInFlags(overrides);
    const config = loadConfig({ ...io.env, ...overrides });
    const output = await command.run({
      config,
      values: values as Record<string, string | boolean>,
      positionals,
      io,
    });
    // serve and mcp own stdout while they run: nothing is printed after them.
    if (command !== serveCommand && command !== mcpCommand) {
      io.stdout.write(json ? `${JSON.stringify(output.json, null, 2)}\n` : `${output.text}\n`);
    }
    return 0;
  } catch (error) {
    return reportError(error, json, io);
  }
}

/**
 * The options before the command words (`lean-auth --json apps list`), and the rest. A configuration
 * flag there takes the next argument as its value unless written `--flag=value`.
 */
function splitLeadingOptions(argv: readonly string[]): { leading: string[]; words: string[] } {
  let i = 0;
  while (i < argv.length && argv[i]?.startsWith('-')) {
    const [flag = '', value] = (argv[i] ?? '').replace(/^--?/, '').split('=');
    i += flag in CONFIG_FLAGS && value === undefined ? 2 : 1;
  }
  return { leading: argv.slice(0, i), words: argv.slice(i) };
}

function parseUsage(args: readonly string[], options: NonNullable<ParseArgsConfig['options']>) {
  try {
    const protectedArgs = protectDashValues(args, options);
    const parsed = parseArgs({ args: protectedArgs.args, options, allowPositionals: true, strict: true });
    return { ...parsed, positionals: parsed.positionals.map(protectedArgs.restore) };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function reportError(error: unknown, json: boolean, io: CliIo): number {
  const [code, message, exitCode] =
    error instanceof DomainError
      ? [error.code, error.message, 1]
      : error instanceof UsageError
        ? ['usage', error.message, 2]
        : error instanceof ConfigError
          ? ['config', error.message, 2]
          : ['internal', error instanceof Error ? error.message : String(error), 1];
  io.stderr.write(json ? `${JSON.stringify({ error: code, message })}\n` : `lean-auth: ${message}\n`);
  return exitCode;
}
