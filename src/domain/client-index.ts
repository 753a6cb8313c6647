import type { Client } from './client.js';

/**
 * The clients held in memory, and what is known of those not held. After a full load (`complete`)
 * an id neither held nor `stale` (named by a change notice since) does not exist. Pure state: the
 * directory decides when it changes.
 */
export class ClientIndex {
  private clients = new Map<string, Client>();
  /** Ids named by a change notice since the last full load: read through, never answered from memory. */
  private readonly stale = new Set<string>();
  /** The ids changed while a full load reads: they stay stale when it lands. */
  private changedDuringLoad: Set<string> | undefined;
  /** `clients` and `stale` account for every application: an id in neither does not exist. */
  complete = false;

  get(clientId: string): Client | undefined {
    return this.clients.get(clientId);
  }

  /** Whether `clientId` is known to name no application (given that notices arrive). */
  knownAbsent(clientId: string): boolean {
    return this.complete && !this.clients.has(clientId) && !this.stale.has(clientId);
  }

  /** A change notice named `clientId`: what is held of it is gone, and it is read through from now. */
  changed(clientId: string): void {
    this.clients.delete(clientId);
    this.stale.add(clientId);
    this.changedDuringLoad?.add(clientId);
  }

  /**
   * Anything may have changed: an id not held is no longer known to be absent (read it through),
   * but the held clients are still answered until the next full load replaces them.
   */
  markIncomplete(): void {
    this.complete = false;
  }

  /** A read-through's answer, kept (or the absence noted) until the next change to the id. */
  keep(clientId: string, client: Client | null): void {
    if (client !== null) this.clients.set(clientId, client);
    this.stale.delete(clientId);
  }

  /** A full load begins: changes from now on are remembered, to stay stale when it lands. */
  beginLoad(): Set<string> {
    const changed = new Set<string>();
    this.changedDuringLoad = changed;
    return changed;
  }

  /** The full load begun with `changed` is over, landed or not. */
  endLoad(changed: Set<string>): void {
    if (this.changedDuringLoad === changed) this.changedDuringLoad = undefined;
  }

  /** Every application, as a full load read it; ids changed while it read stay stale (read through). */
  replaceAll(clients: Map<string, Client>, changed: ReadonlySet<string>): void {
    this.stale.clear();
    for (const id of changed) {
      clients.delete(id);
      this.stale.add(id);
    }
    this.clients = clients;
    this.complete = true;
  }
}
