import type { Connection } from './connection.js';

/** The server said no: its error code and description (the admin API's `message`). */
class ServerRefusal extends Error {
  override name = 'ServerRefusal';
  constructor(
    readonly error: string,
    readonly errorDescription: string,
  ) {
    super(`${error}: ${errorDescription}`);
  }
}

/** The HTTP calls the tools make beside the token client: introspection and the admin API. */
export class ServerCalls {
  private readonly base: string;
  constructor(private readonly environment: Connection) {
    this.base = environment.issuer.replace(/\/+$/, '');
  }

  /** RFC 7662 introspection, as the configured application. */
  introspect(token: string): Promise<Record<string, unknown>> {
    const { clientId, clientSecret } = this.environment;
    return this.call('/oauth2/introspect', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, client_id: clientId, client_secret: clientSecret }).toString(),
    });
  }

  /** A call to the admin API (under /admin/v1) with LEAN_AUTH_ADMIN_TOKEN. */
  admin(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown>> {
    return this.call(`/admin/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.environment.adminToken}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  }

  private async call(path: string, init: RequestInit): Promise<Record<string, unknown>> {
    // Every call carries the client secret or the admin token: a redirect is refused, not followed.
    const response = await fetch(`${this.base}${path}`, {
      ...init,
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
    const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (response.ok) return answer;
    const description = answer.error_description ?? answer.message ?? `HTTP ${response.status}`;
    throw new ServerRefusal(String(answer.error ?? `http_${response.status}`), String(description));
  }
}
