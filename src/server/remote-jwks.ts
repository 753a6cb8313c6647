import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { JSONWebKeySet } from 'jose';
import type { Client } from '../domain/client.js';
import { validPublicJwks } from '../domain/client-auth-method.js';
import { guardedLookup, refusePrivateLiteral } from './address-guard.js';

export interface RemoteJwksOptions {
  /** Loopback and private addresses allowed (JWKS_URI_ALLOW_PRIVATE): tests and sandboxes only. */
  readonly allowPrivate: boolean;
  /** Only https URIs (production). */
  readonly requireHttps: boolean;
  readonly now: () => number;
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  /** Bounds on what Cache-Control may ask for, and the lifetime without one. */
  readonly minTtlMs?: number;
  readonly maxTtlMs?: number;
  readonly defaultTtlMs?: number;
  /** A kid the cached set lacks refetches it, at most this often per URI. */
  readonly unknownKidIntervalMs?: number;
  /** Told of every failed fetch and the application it was for, for the log (the request sees only a refusal). */
  readonly onError?: (client: Client, uri: string, error: unknown) => void;
}

interface Entry {
  keys: JSONWebKeySet | null;
  fetchedAt: number;
  expiresAt: number;
  inflight: Promise<JSONWebKeySet | null> | null;
}

/**
 * The keys of applications that publish them at a `jwks_uri`, cached. A fresh set answers from
 * memory; a stale one answers too while a refetch runs in the background. Only a cold cache and an
 * unknown kid (at most once a minute per URI) make a request wait for a fetch, bounded by the timeout.
 */
export class RemoteJwks {
  private readonly entries = new Map<string, Entry>();
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly minTtlMs: number;
  private readonly maxTtlMs: number;
  private readonly defaultTtlMs: number;
  private readonly unknownKidIntervalMs: number;

  constructor(private readonly options: RemoteJwksOptions) {
    this.timeoutMs = options.timeoutMs ?? 3_000;
    this.maxBytes = options.maxBytes ?? 64 * 1024;
    this.minTtlMs = options.minTtlMs ?? 60_000;
    this.maxTtlMs = options.maxTtlMs ?? 24 * 3600_000;
    this.defaultTtlMs = options.defaultTtlMs ?? 300_000;
    this.unknownKidIntervalMs = options.unknownKidIntervalMs ?? 60_000;
  }

  async keysOf(client: Client, kid: string | undefined): Promise<JSONWebKeySet | null> {
    if (client.jwksUri === null) return client.jwks;
    const uri = client.jwksUri;
    const now = this.options.now();
    const entry = this.entries.get(uri);
    if (entry === undefined) return this.refresh(uri, client);
    // A URI that has never answered is tried again at most once a minute, whoever asks.
    if (entry.keys === null) {
      if (entry.inflight !== null) return entry.inflight;
      return now - entry.fetchedAt >= this.unknownKidIntervalMs ? this.refresh(uri, client) : null;
    }
    const unknownKid = kid !== undefined && !entry.keys.keys.some((k) => k.kid === kid);
    if (unknownKid && now - entry.fetchedAt >= this.unknownKidIntervalMs) return this.refresh(uri, client);
    if (now >= entry.expiresAt) void this.refresh(uri, client);
    return entry.keys;
  }

  /** One fetch per URI at a time; a failure keeps the keys it had. */
  private refresh(uri: string, client: Client): Promise<JSONWebKeySet | null> {
    let entry = this.entries.get(uri);
    if (entry === undefined) {
      entry = { keys: null, fetchedAt: 0, expiresAt: 0, inflight: null };
      this.entries.set(uri, entry);
    }
    const current = entry;
    current.inflight ??= this.fetch(uri)
      .then(({ keys, ttlMs }) => {
        const now = this.options.now();
        Object.assign(current, { keys, fetchedAt: now, expiresAt: now + ttlMs });
        return keys;
      })
      .catch((error: unknown) => {
        const now = this.options.now();
        // Tried now: the unknown-kid limit counts failures too, so a dead URI is not hammered.
        Object.assign(current, { fetchedAt: now, expiresAt: now + this.minTtlMs });
        this.options.onError?.(client, uri, error);
        return current.keys;
      })
      .finally(() => {
        current.inflight = null;
      });
    return current.inflight;
  }

  private fetch(uri: string): Promise<{ keys: JSONWebKeySet; ttlMs: number }> {
    const url = new URL(uri);
    if (url.protocol !== 'https:' && (this.options.requireHttps || url.protocol !== 'http:')) {
      return Promise.reject(new Error(`jwks_uri must be https, got ${url.protocol}`));
    }
    try {
      if (!this.options.allowPrivate) refusePrivateLiteral(url.hostname);
    } catch (error) {
      return Promise.reject(error);
    }
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'GET',
          headers: { accept: 'application/jwk-set+json, application/json' },
          timeout: this.timeoutMs,
          ...(!this.options.allowPrivate && { lookup: guardedLookup }),
        },
        (response) => {
          if (response.statusCode !== 200) {
            response.resume();
            return reject(new Error(`jwks_uri answered ${response.statusCode}`));
          }
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size <= this.maxBytes) return void chunks.push(chunk);
            reject(new Error(`jwks_uri answered more than ${this.maxBytes} bytes`));
            req.destroy();
          });
          response.on('end', () => {
            if (size > this.maxBytes) return;
            try {
              let body: unknown;
              try {
                body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
              } catch {
                // JSON.parse's message quotes the body: say what was wrong, not what it held.
                throw new Error('jwks_uri answered something that is not JSON');
              }
              const keys = validPublicJwks(body);
              resolve({ keys, ttlMs: this.ttl(response.headers['cache-control']) });
            } catch (error) {
              reject(error);
            }
          });
          response.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`jwks_uri did not answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });
  }

  /** Cache-Control max-age within the bounds; no-store or no-cache the least. */
  private ttl(cacheControl: string | undefined): number {
    if (cacheControl === undefined) return this.defaultTtlMs;
    if (/\bno-(store|cache)\b/i.test(cacheControl)) return this.minTtlMs;
    const maxAge = /\bmax-age=(\d+)/i.exec(cacheControl)?.[1];
    if (maxAge === undefined) return this.defaultTtlMs;
    return Math.min(this.maxTtlMs, Math.max(this.minTtlMs, Number(maxAge) * 1000));
  }
}
