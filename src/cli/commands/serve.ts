import type { Command } from '../command.js';

/** `lean-auth serve`: runs the server (WORKERS processes of it) until SIGTERM or SIGINT. */
export const serveCommand: Command = {
  usage: 'serve',
  summary: 'run the authorization server (what npm start runs)',
  async run({ config }) {
    // Loaded here, not with the CLI: the server's modules are most of what a start loads, and
    // --help or `apps list` need none of them (issue 15, start to first token).
    const { serve } = await import('./serving.js');
    await serve(config);
    return { json: null, text: '' };
  },
};
