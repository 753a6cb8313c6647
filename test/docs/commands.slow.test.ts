import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { DocSession } from './doc-session.js';
import {
  type Block,
  type Command,
  commandsOf,
  documentationFiles,
  fencedBlocks,
  outputMatches,
  readDoc,
} from './markdown.js';

// Every command the documentation shows runs here, as a reader would run it, page by page: a first
// `npm start` in a fresh folder (a sandbox on SQLite), then each `sh` block's commands in order, in
// one shell, each output the page shows checked against what the command printed. See markdown.ts
// for how a block says how it is run.

/** Runs a command and holds it to the page: exit status 0, and the output shown, if any. */
async function check(session: DocSession, command: Command): Promise<void> {
  const result = await session.run(command.text);
  const printed = `--- stdout ---\n${result.stdout}--- stderr ---\n${result.stderr}`;
  assert.equal(
    result.code,
    0,
    `the command failed (exit status ${result.code}):\n${command.text}\n${printed}`,
  );
  if (command.expected === undefined) return;
  const expected = session.withPorts(command.expected);
  assert.ok(
    outputMatches(expected, result.stdout) || outputMatches(expected, result.stderr),
    `the command printed something other than the page shows:\n${command.text}\n--- shown ---\n${expected}\n${printed}`,
  );
}

const title = (block: Block, text: string) => `${block.file}:${block.line} ${text.split('\n')[0]}`;

/** The tools the pages' commands use beside node and npx; a machine without one skips (CI fails). */
const TOOLS = ['bash', 'curl', 'jq', 'openssl', 'sqlite3'];
const missing = TOOLS.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
if (missing.length > 0 && process.env.CI) throw new Error(`the docs test needs ${missing.join(', ')} in CI`);
const skip = missing.length > 0 && `the commands of the docs need ${missing.join(', ')}`;

for (const file of documentationFiles()) {
  const blocks = fencedBlocks(file, readDoc(file));
  const live = blocks.filter((b) => b.kind === 'run' || b.kind === 'stopped' || b.kind === 'file');

  describe(`the commands of ${file}`, { timeout: 300_000, skip }, () => {
    for (const block of blocks.filter((b) => b.kind === 'not-run')) {
      it(title(block, block.body), { skip: 'marked `sh not-run` on the page' }, () => {});
    }
    if (live.length === 0) return;

    let session: DocSession;
    // The README starts from nothing; every other page where the README's quick start leaves a reader.
    before(async () => {
      session = await DocSession.open(file !== 'README.md');
    });
    after(() => session?.close());

    for (const block of live) {
      if (block.kind === 'file') {
        it(`${block.file}:${block.line} is saved as ${block.fileName}`, () => {
          session.writeFile(block.fileName ?? '', block.body);
        });
      } else if (block.kind === 'stopped') {
        it(`${title(block, block.body)} (with the server stopped)`, async () => {
          await session.stopServer();
          for (const command of commandsOf(block)) await check(session, command);
          await session.startServer();
        });
      } else {
        for (const command of commandsOf(block)) {
          it(`${block.file}:${command.line} ${command.text.split('\n')[0]}`, () => check(session, command));
        }
      }
    }
  });
}
