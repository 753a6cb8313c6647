import { ADMIN_SUITE } from './admin-properties.js';
import { INTROSPECTION_SUITE } from './introspection-properties.js';
import type { FuzzSuite } from './property.js';
import { TOKEN_SUITE } from './token-properties.js';

/** Every suite, by name (scripts/fuzz.mjs runs them). */
export const SUITES: readonly FuzzSuite[] = [TOKEN_SUITE, INTROSPECTION_SUITE, ADMIN_SUITE];
