import pg from 'pg';
import type { StoreChange } from '../domain/store.js';

const RECONNECT_DELAY_MS = 500;
/** How often the listening connection proves it is alive: a database that stops answering sends no error. */
const HEARTBEAT_MS = 2_000;

/**
 * One dedicated connection that LISTENs. When it is lost it reconnects, and then reports
 * `anything`: notices sent while it was away are gone, so every cache must start over.
 */
export class ChangeListener {
  private client: pg.Client | undefined;
  private running = false;
  private retry: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channel: string,
    private readonly onChange: (change: StoreChange) => void,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.connect(false);
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.retry);
    clearInterval(this.heartbeat);
    const client = this.client;
    this.client = undefined;
    client?.end().catch(() => {});
  }

  private async connect(reconnecting: boolean): Promise<void> {
    const client = new pg.Client(this.config);
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.onChange(parseChange(message.payload));
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch {
      this.lost(client);
      return;
    }
    if (!this.running) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    if (reconnecting) this.onChange({ entity: 'anything' });
    clearInterval(this.heartbeat);
    // query_timeout bounds each beat: a frozen server makes it fail, which counts as a lost connection.
    this.heartbeat = setInterval(() => {
      if (this.client === client) client.query('select 1').catch(() => this.lost(client));
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  private lost(client: pg.Client): void {
    if (this.client !== undefined && this.client !== client) return;
    if (this.client === client && this.running) this.onChange({ entity: 'lost' });
    clearInterval(this.heartbeat);
    this.client = undefined;
    client.end().catch(() => {});
    if (!this.running || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (this.running) void this.connect(true);
    }, RECONNECT_DELAY_MS);
    this.retry.unref();
  }
}

function parseChange(payload: string | undefined): StoreChange {
  try {
    const change = JSON.parse(payload ?? '') as StoreChange;
    if (['application', 'customer', 'signing_key'].includes(change.entity)) return change;
  } catch {}
  return { entity: 'anything' };
}
