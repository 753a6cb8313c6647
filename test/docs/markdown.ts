import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The compiled tests run from dist/test/docs; the documentation stays at the repository root.
export const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));

/** README.md and the pages of docs/ (not its subfolders, such as docs/_incoming), by path from the root. */
export function documentationFiles(): string[] {
  const pages = readdirSync(join(REPOSITORY, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...pages];
}

export function readDoc(file: string): string {
  return readFileSync(join(REPOSITORY, file), 'utf8');
}

/**
 * How a fenced block is treated, from its info string (GitHub shows only the first word):
 * - `sh`: commands the docs test runs against a sandbox server, in order, checking the output shown;
 * - `sh stopped`: run with the server stopped; the server starts again after the block, with the
 *   configuration variables the block exported (a restart, an upgrade, a restore);
 * - `sh not-run`: shown, never run (it needs what a test cannot have: production, a long run);
 * - any other language with `file=NAME` (`js file=verify.mjs`): written into the working folder,
 *   for a later command to run;
 * - `text`, `json`, `nginx`, `caddyfile`, `ini`: output, bodies or configuration; not commands.
 */
export type BlockKind = 'run' | 'stopped' | 'not-run' | 'file' | 'inert';

export const INERT_LANGUAGES = new Set(['text', 'json', 'nginx', 'caddyfile', 'ini']);

export interface Block {
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly language: string;
  readonly kind: BlockKind;
  /** For `file` blocks: the file name to write. */
  readonly fileName?: string;
  /** The lines between the fences, without the fence's indentation. */
  readonly body: string;
}

/** One command of a shell block: its text (continuation lines joined) and the output shown after it. */
export interface Command {
  readonly line: number;
  readonly text: string;
  /** The `# ` lines right below the command, without their `# `: what it prints; undefined when none. */
  readonly expected: string | undefined;
}

/** Every fenced block of a Markdown file; throws on a language this page cannot be checked with. */
export function fencedBlocks(file: string, markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)(`{3,})(.*)$/.exec(lines[i] ?? '');
    if (!open) continue;
    const [, indent = '', fence = '', info = ''] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !(lines[j] ?? '').trim().startsWith(fence); j++) {
      body.push(
        (lines[j] ?? '').startsWith(indent) ? (lines[j] ?? '').slice(indent.length) : (lines[j] ?? ''),
      );
    }
    blocks.push(classify(file, i + 1, info.trim(), body.join('\n')));
    i = j;
  }
  return blocks;
}

function classify(file: string, line: number, info: string, body: string): Block {
  const [language = '', ...words] = info.split(/\s+/).filter(Boolean);
  const where = `${file}:${line}`;
  const fileName = words.find((w) => w.startsWith('file='))?.slice('file='.length);
  if (fileName) return { file, line, language, kind: 'file', fileName, body };
  if (language === 'sh') {
    const mode = words[0];
    if (mode === undefined) return { file, line, language, kind: 'run', body };
    if (mode === 'stopped' || mode === 'not-run') return { file, line, language, kind: mode, body };
    throw new Error(`${where}: unknown mode '${mode}' (use sh, sh stopped or sh not-run)`);
  }
  if (INERT_LANGUAGES.has(language)) return { file, line, language, kind: 'inert', body };
  throw new Error(
    `${where}: a fenced block in '${language || '(no language)'}': commands go in sh blocks (run by ` +
      `the docs test, or marked 'sh not-run'), everything else in ${[...INERT_LANGUAGES].join(', ')}`,
  );
}

/**
 * The commands of a shell block. A line ending in `\` continues on the next. `# ` lines right below
 * a command (no blank line between) are its output; other `#` lines are notes.
 */
export function commandsOf(block: Block): Command[] {
  const commands: Command[] = [];
  let current:
    | { line: number; text: string[]; expected: string[] | undefined; continued: boolean }
    | undefined;
  const finish = () => {
    if (current) {
      commands.push({
        line: current.line,
        text: current.text.join('\n'),
        expected: current.expected?.join('\n'),
      });
    }
    current = undefined;
  };
  block.body.split('\n').forEach((text, i) => {
    if (text.trim() === '') {
      finish();
    } else if (text.startsWith('#')) {
      if (current && !current.continued)
        current.expected = [...(current.expected ?? []), text.replace(/^# ?/, '')];
    } else {
      if (current?.continued) current.text.push(text);
      else {
        finish();
        current = { line: block.line + 1 + i, text: [text], expected: undefined, continued: false };
      }
      current.continued = text.endsWith('\\');
    }
  });
  finish();
  return commands;
}

/**
 * Whether `actual` is what `expected` shows: `…` stands for anything, and whitespace does not count
 * (the docs wrap long JSON and leave out the indentation of pretty-printed output).
 */
export function outputMatches(expected: string, actual: string): boolean {
  const squeeze = (text: string) => text.replace(/\s+/g, '');
  const pattern = squeeze(expected)
    .split('…')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[\\s\\S]*?');
  return new RegExp(`^${pattern}$`).test(squeeze(actual));
}

/** The anchors GitHub gives a page's headings. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const match of markdown.matchAll(/^#{1,6} +(.+)$/gm)) {
    const slug = (match[1] ?? '')
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-');
    let anchor = slug;
    for (let n = 1; anchors.has(anchor); n++) anchor = `${slug}-${n}`;
    anchors.add(anchor);
  }
  return anchors;
}

/** The targets of the page's Markdown links that are not absolute URLs, with their anchors. */
export function relativeLinks(markdown: string): string[] {
  const outsideCode = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...outsideCode.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1] ?? '')
    .filter((target) => !/^[a-z]+:/i.test(target));
}
