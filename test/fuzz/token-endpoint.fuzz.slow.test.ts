import { describeFuzzSuite } from './support/suite-test.js';
import { TOKEN_SUITE } from './support/token-properties.js';

// Property-based fuzzing through app.inject(); FUZZ_SEED, FUZZ_RUNS and FUZZ_PATH replay a failure,
// `npm run fuzz` runs the same properties for long with random seeds.
describeFuzzSuite(TOKEN_SUITE);
