import { DomainError, type DomainErrorCode } from '../../domain/domain-error.js';
import { TokenRequestError } from '../../kit/client/errors.js';
import { createTokenClient } from '../../kit/client/token-client.js';
import { type Command, UsageError } from '../command.js';
import { readKitEnvironment } from '../kit-environment.js';

/**
 * `lean-auth token --scope SCOPE`: an access token from the server at LEAN_AUTH_URL for the
 * application LEAN_AUTH_CLIENT_ID, as a backend (or an agent) gets one. Prints the token, or with
 * --json the token response; a refusal exits 1 with the server's error.
 */
export const tokenCommand: Command = {
  usage: 'token --scope SCOPE [--json]',
  summary: 'get an access token (api or customer.<customer_id>) from LEAN_AUTH_URL as LEAN_AUTH_CLIENT_ID',
  options: { scope: { type: 'string' } },
  async run({ values }) {
    if (typeof values.scope !== 'string' || values.scope === '')
      throw new UsageError('--scope is required (api or customer.<customer_id>)');
    const environment = readKitEnvironment();
    const client = createTokenClient({ ...environment, retry: { attempts: 2 } });
    try {
      const token = await client.getToken({ scope: values.scope });
      const json = {
        access_token: token.accessToken,
        token_type: 'bearer',
        expires_in: Math.round((token.expiresAt - Date.now()) / 1000),
        scope: token.scope,
      };
      return { json, text: token.accessToken };
    } catch (error) {
      // The server's own code (invalid_client, invalid_scope, …) is what the caller needs to read.
      if (error instanceof TokenRequestError) {
        throw new DomainError(
          error.error as DomainErrorCode,
          `${error.error}: ${error.errorDescription ?? 'refused'}`,
        );
      }
      throw error;
    }
  },
};
