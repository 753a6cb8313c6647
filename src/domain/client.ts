import type { TokenClass } from './token-class.js';

/**
 * An application as the protocol sees it once authenticated: what the token endpoint needs to know
 * about a client, resolved once and kept in memory.
 */
export interface Client {
  readonly clientId: string;
  readonly active: boolean;
  readonly tokenClasses: ReadonlySet<TokenClass>;
  /** Lifetimes in seconds, per-application overrides already applied. */
  readonly lifetimes: Readonly<Record<TokenClass, number>>;
  readonly secrets: readonly { readonly digest: Buffer; readonly expiresAt: number | null }[];
  /** May introspect every application's tokens. */
  readonly resourceServer: boolean;
}
