import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { Connection } from './connection.js';
import type { ServerCalls } from './server-calls.js';
import { answering, toolAnswer } from './tool-result.js';

const CLIENT_ID = z
  .uuid()
  .optional()
  .describe("an application's client_id; by default the configured application (LEAN_AUTH_CLIENT_ID)");

/** The operator's tools, over the admin API (only with LEAN_AUTH_ADMIN_TOKEN). */
export function registerOperatorTools(server: McpServer, environment: Connection, calls: ServerCalls): void {
  const application = (clientId: string | undefined) => encodeURIComponent(clientId ?? environment.clientId);

  server.registerTool(
    'create_customer',
    {
      title: 'Register a customer',
      description:
        "Registers an end user of an application by the application's own id for them (app_user_id).",
      inputSchema: {
        app_user_id: z
          .string()
          .min(1)
          .max(255)
          .describe("the application's own id for the end user (1 to 255 characters)"),
        client_id: CLIENT_ID,
      },
    },
    ({ app_user_id, client_id }) =>
      answering(async () =>
        toolAnswer(
          await calls.admin('POST', `/applications/${application(client_id)}/customers`, { app_user_id }),
        ),
      ),
  );

  server.registerTool(
    'list_customers',
    {
      title: 'List customers',
      description: "Lists an application's customers, a page at a time, in customer_id order.",
      inputSchema: {
        client_id: CLIENT_ID,
        limit: z.number().int().min(1).max(1000).optional().describe('page size, 1 to 1000 (default 100)'),
        after: z.uuid().optional().describe('the next_after of the previous page'),
      },
    },
    ({ client_id, limit, after }) =>
      answering(async () => {
        const query = new URLSearchParams({
          ...(limit !== undefined && { limit: String(limit) }),
          ...(after !== undefined && { after }),
        });
        return toolAnswer(
          await calls.admin('GET', `/applications/${application(client_id)}/customers?${query}`),
        );
      }),
  );

  server.registerTool(
    'get_application',
    {
      title: 'Show an application',
      description: 'Shows an application: name, status, token classes and lifetimes (never its secrets).',
      inputSchema: { client_id: CLIENT_ID },
    },
    ({ client_id }) =>
      answering(async () => toolAnswer(await calls.admin('GET', `/applications/${application(client_id)}`))),
  );
}
