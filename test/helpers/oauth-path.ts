import type { RequestListener } from 'node:http';
import type { FastifyInstance } from 'fastify';
import inject from 'light-my-request';

/**
 * The OAuth HTTP suite runs twice (npm test): through the fast path in front of the framework (the
 * default), and with LEAN_AUTH_TEST_FRAMEWORK_PATH=1 through the framework's own routes
 * (OAUTH_FAST_PATH=false), so that both answer every test alike.
 */
export const FRAMEWORK_PATH = process.env.LEAN_AUTH_TEST_FRAMEWORK_PATH === '1';

/** The configuration a test server or child process gets for the path under test. */
export function oauthPathEnv(): Record<string, string> {
  return FRAMEWORK_PATH ? { OAUTH_FAST_PATH: 'false' } : {};
}

/**
 * Makes `app.inject()` go through the server's own request listener, as a request on the socket
 * does: Fastify's inject calls its router directly, past the fast path in front of it.
 */
export async function injectThroughServer(app: FastifyInstance): Promise<void> {
  await app.ready();
  const [listener] = app.server.listeners('request') as RequestListener[];
  if (listener === undefined) throw new Error('the server has no request listener');
  const dispatch = listener as unknown as inject.DispatchFunc;
  Object.defineProperty(app, 'inject', {
    value: (options: string | inject.InjectOptions) => inject(dispatch, options),
  });
}
