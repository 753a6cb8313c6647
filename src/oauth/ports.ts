import type { Client } from '../domain/client-directory.js';
import type { Clock } from '../domain/clock.js';
import type { JwsSigner } from '../domain/jws-signer.js';
import type { CustomerRow } from '../store/store.js';

/** What the protocol needs from the rest of the server; each is a cached, in-memory answer. */
export interface TokenEndpointContext {
  readonly clients: { find(clientId: string): Promise<Client | null> };
  readonly customers: { find(customerId: string): Promise<CustomerRow | null> };
  readonly keys: { activeSigner(): JwsSigner };
  readonly clock: Clock;
  readonly issuer: string;
  readonly audience: string;
}
