import type { Command } from '../command.js';
import { readKitEnvironment } from '../kit-environment.js';

/** `lean-auth mcp`: the Model Context Protocol over stdio, until the host closes stdin. */
export const mcpCommand: Command = {
  usage: 'mcp',
  summary:
    'serve the Model Context Protocol over stdio (LEAN_AUTH_URL, LEAN_AUTH_CLIENT_ID, LEAN_AUTH_CLIENT_SECRET)',
  async run() {
    // Loaded here, not with the CLI: the MCP SDK and zod are ~100 ms and ~10 MB that `serve` and
    // every other command would otherwise pay at start (issue 15, start to first token).
    const [{ StdioServerTransport }, { createLeanAuthMcpServer }] = await Promise.all([
      import('@modelcontextprotocol/sdk/server/stdio.js'),
      import('../../mcp/mcp-server.js'),
    ]);
    const server = createLeanAuthMcpServer(readKitEnvironment(), '0.1.0');
    const transport = new StdioServerTransport();
    const closed = new Promise<void>((resolve) => {
      transport.onclose = resolve;
      process.stdin.once('end', resolve);
    });
    await server.connect(transport);
    await closed;
    await server.close();
    return { json: null, text: '' };
  },
};
