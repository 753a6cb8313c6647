import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Connection } from './connection.js';
import { registerOperatorTools } from './operator-tools.js';
import { ServerCalls } from './server-calls.js';
import { registerTokenTools } from './token-tools.js';

/** The MCP server of one lean-auth application; with an admin token, the operator's tools too. */
export function createLeanAuthMcpServer(environment: Connection, version: string): McpServer {
  const server = new McpServer({ name: 'lean-auth', version });
  const calls = new ServerCalls(environment);
  registerTokenTools(server, environment, calls);
  if (environment.adminToken !== undefined) registerOperatorTools(server, environment, calls);
  return server;
}
