import { Counter, collectDefaultMetrics, Registry } from 'prom-client';

/**
 * Prometheus metrics, served on the admin surface at /admin/v1/metrics. Token issuance is counted
 * here, not stored: a counter increment is all the token path pays.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly tokensIssued = new Counter({
    name: 'lean_auth_tokens_issued_total',
    help: 'Access tokens issued, by token class',
    labelNames: ['token_class'] as const,
    registers: [this.registry],
  });
  private readonly oauthErrors = new Counter({
    name: 'lean_auth_oauth_errors_total',
    help: 'Refusals of the OAuth endpoints, by error code',
    labelNames: ['error'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'lean_auth_' });
  }

  tokenIssued(scope: string): void {
    this.tokensIssued.inc({ token_class: scope === 'api' ? 'api' : 'customer' });
  }

  oauthError(error: string): void {
    this.oauthErrors.inc({ error });
  }
}
