import { OPERATION_SETTINGS } from './operations.js';
import { SERVING_SETTINGS } from './serving.js';
import { TOKEN_SETTINGS } from './tokens.js';

/**
 * The configuration table, every setting in the order it is read (a setting may use those above
 * it: the issuer's default names PORT) and documented (docs/configuration.md, `npm run docs:config`).
 */
export const SETTINGS = [...SERVING_SETTINGS, ...TOKEN_SETTINGS, ...OPERATION_SETTINGS] as const;

/** Every environment variable the configuration reads. */
export const CONFIG_VARIABLES: readonly string[] = SETTINGS.map((row) => row.name);
