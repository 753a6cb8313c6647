/** Where a command line reads and writes: the process's own streams, or a test's. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** For input a command reads (a secret piped in rather than put in argv). */
  readonly stdin: NodeJS.ReadableStream;
  /** The environment the configuration is read from. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The process's streams and environment (what src/cli/bin.ts runs with). */
export const processIo: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  // A getter: process.stdin opens the stream, which a command that reads nothing should not do.
  get stdin() {
    return process.stdin;
  },
  env: process.env,
};
