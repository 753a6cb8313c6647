// Writes the settings part of docs/configuration.md from the configuration table (src/config/settings/).
// Run through `npm run docs:config`, which builds first; test/docs/configuration.test.ts fails when
// the committed page differs from what this would write.
import { readFileSync, writeFileSync } from 'node:fs';
import { withSettings } from '../dist/src/config/settings-page.js';

const PAGE = new URL('../docs/configuration.md', import.meta.url);
writeFileSync(PAGE, withSettings(readFileSync(PAGE, 'utf8')));
