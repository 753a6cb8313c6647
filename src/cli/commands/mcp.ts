import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createLeanAuthMcpServer } from '../../mcp/mcp-server.js';
import type { Command } from '../command.js';
import { readKitEnvironment } from '../kit-environment.js';

/** `lean-auth mcp`: the Model Context Protocol over stdio, until the host closes stdin. */
export const mcpCommand: Command = {
  usage: 'mcp',
  summary:
    'serve the Model Context Protocol over stdio (LEAN_AUTH_URL, LEAN_AUTH_CLIENT_ID, LEAN_AUTH_CLIENT_SECRET)',
  async run() {
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
