/**
 * The import rules of docs/architecture.md, enforced in CI (`npm run depcruise`): layers import
 * downwards only (cli → server → http → oauth → domain; store → domain; config below all; only
 * server wires a store in), and no module imports itself in a circle. Type-only imports count.
 */
const layer = (name) => `^src/${name}/`;

/** What each layer must not import: everything above it, and the store unless it is server. */
const FORBIDDEN = {
  config: ['domain', 'store', 'oauth', 'http', 'server', 'cli'],
  domain: ['store', 'oauth', 'http', 'server', 'cli'],
  store: ['oauth', 'http', 'server', 'cli'],
  oauth: ['store', 'http', 'server', 'cli'],
  http: ['store', 'server', 'cli'],
  server: ['cli'],
  cli: ['store'],
};

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle means two modules are one concept, or one of them is in the wrong layer.',
      from: {},
      to: { circular: true },
    },
    ...Object.entries(FORBIDDEN).map(([from, above]) => ({
      name: `${from}-imports-downwards`,
      severity: 'error',
      comment: `${from}/ must not import ${above.join(', ')}/ (see docs/architecture.md).`,
      from: { path: layer(from) },
      to: { path: `^src/(${above.join('|')})/` },
    })),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
