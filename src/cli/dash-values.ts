import type { ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Key ids are RFC 7638 thumbprints in base64url, so one in 64 begins with '-', and a customer id may
 * too; node's parseArgs would take `keys withdraw -Fx…` for an option and `--after -Fx…` for a
 * missing value. Every option of ours but -h is long, so a single-dash word longer than two
 * characters can only be such a value: it is joined to the string option before it
 * (`--after=-Fx…`), or else kept as a positional behind a stand-in that `restore` undoes.
 */
export function protectDashValues(
  args: readonly string[],
  options: Options,
): { args: string[]; restore: (positional: string) => string } {
  const out: string[] = [];
  const held = new Map<string, string>();
  for (const arg of args) {
    if (!/^-[^-]./.test(arg)) {
      out.push(arg);
      continue;
    }
    const previous = out.at(-1);
    const name = previous?.startsWith('--') && !previous.includes('=') ? previous.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === 'string') {
      out[out.length - 1] = `${previous}=${arg}`;
      continue;
    }
    const standIn = `\u0000${held.size}`;
    held.set(standIn, arg);
    out.push(standIn);
  }
  return { args: out, restore: (positional) => held.get(positional) ?? positional };
}
