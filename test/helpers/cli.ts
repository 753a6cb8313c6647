import { Readable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import { type CliResult, childEnv } from './child-process.js';

/**
 * Runs `lean-auth ...args` in this process: `main` over captured streams, with the environment a
 * child would get (`childEnv(env)`) and `stdin` as its input. The result has the shape of a spawned
 * run's, so a test reads both alike.
 */
export async function runMain(
  args: readonly string[],
  env: Record<string, string>,
  stdin = '',
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: {
      write: (text: string) => {
        stdout += text;
      },
    },
    stderr: {
      write: (text: string) => {
        stderr += text;
      },
    },
    stdin: Readable.from([stdin]),
    env: childEnv(env),
  });
  return { code, signal: null, stdout, stderr };
}
