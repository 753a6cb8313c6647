import { SECTIONS } from './setting.js';
import { SETTINGS } from './settings/index.js';

/** Where the generated part of docs/configuration.md starts and ends. */
export const GENERATED_START =
  '<!-- Generated from src/config/settings/ by `npm run docs:config`: edit there. -->';
const GENERATED_END = '<!-- End of the generated part. -->';

/** The settings part of docs/configuration.md: one section per heading, one entry per setting. */
export function renderSettingsPage(): string {
  const sections = SECTIONS.map((section) => {
    const entries = SETTINGS.filter((row) => row.section === section).map((row) => {
      const flag = row.flag === null ? 'no flag: a secret' : `flag \`${row.flag}\``;
      const fallback = row.default === undefined ? `unset: ${row.unset}` : `default \`${row.default}\``;
      return [
        `- \`${row.name}\` (${flag}; ${fallback}):`,
        ...row.description.map((line) => `  ${line}`),
      ].join('\n');
    });
    return `## ${section}\n\n${entries.join('\n')}\n`;
  });
  return `${GENERATED_START}\n\n${sections.join('\n')}\n${GENERATED_END}\n`;
}

/** The page with its generated part replaced by what the table says now. */
export function withSettings(page: string): string {
  const start = page.indexOf(GENERATED_START);
  const end = page.indexOf(GENERATED_END);
  if (start === -1 || end === -1)
    throw new Error('docs/configuration.md has lost its generated-part markers');
  return page.slice(0, start) + renderSettingsPage() + page.slice(end + GENERATED_END.length + 1);
}
