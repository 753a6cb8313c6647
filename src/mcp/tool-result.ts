import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** A tool's answer: the JSON as text (what every host shows) and as structured content. */
export function toolAnswer(value: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }], structuredContent: value };
}

/** A refusal as a tool error (not a protocol error): the server's `error` and `error_description`. */
function toolRefusal(error: string, errorDescription: string): CallToolResult {
  const value = { error, error_description: errorDescription };
  return {
    isError: true,
    content: [{ type: 'text', text: JSON.stringify(value, null, 2) }],
    structuredContent: value,
  };
}

/**
 * Runs a tool's work; whatever it throws becomes a tool error carrying the message, which the kit
 * and the HTTP calls here keep free of the client secret.
 */
export async function answering(work: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await work();
  } catch (error) {
    const refusal = error as {
      error?: unknown;
      code?: unknown;
      errorDescription?: unknown;
      description?: unknown;
    };
    if (typeof refusal.error === 'string')
      return toolRefusal(refusal.error, String(refusal.errorDescription ?? refusal.error));
    if (error instanceof Error && error.name === 'BearerTokenError') {
      return toolRefusal(String(refusal.code), String(refusal.description));
    }
    return toolRefusal('server_unreachable', error instanceof Error ? error.message : String(error));
  }
}
