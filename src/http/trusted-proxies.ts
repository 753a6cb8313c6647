import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { TrustedProxies } from '../config/config.js';

/** A rejected X-Forwarded-For entry goes into the log cut to this length. */
const LOGGED_ENTRY_LENGTH = 64;

/** Whether the address `hop` places from the right (0: the socket's peer) is one of our proxies. */
export type ProxyTrust = (address: string, hop: number) => boolean;

/**
 * Cuts off the X-Forwarded-For entries that are not IP addresses (see usableForwardedFor), in the
 * request's own headers, and logs the first such entry once per server. One per server, shared by
 * the framework's hook and the OAuth fast path.
 */
export function forwardedForFilter(): (headers: IncomingHttpHeaders, log: FastifyBaseLogger) => void {
  let warned = false;
  return (headers, log) => {
    const raw = headers['x-forwarded-for'];
    if (raw === undefined) return;
    const header = Array.isArray(raw) ? raw.join(', ') : raw;
    const usable = usableForwardedFor(header);
    if (usable.value === header) return;
    if (usable.value === '') delete headers['x-forwarded-for'];
    else headers['x-forwarded-for'] = usable.value;
    if (usable.rejected !== undefined && !warned) {
      warned = true;
      log.warn(
        { entry: usable.rejected.slice(0, LOGGED_ENTRY_LENGTH) },
        'X-Forwarded-For holds an entry that is not an IP address: it and the entries left of it are ' +
          'ignored (said once; a proxy of ours should append only addresses)',
      );
    }
  };
}

/**
 * With TRUST_PROXY, Fastify's request.ip walks X-Forwarded-For from the right (the socket's peer
 * first) while proxyTrust holds, and the first address it does not trust is the caller. Before it
 * can, the filter cuts off the entries that are not IP addresses.
 */
export function ignoreUnusableForwardedFor(
  app: FastifyInstance,
  filter: ReturnType<typeof forwardedForFilter>,
): void {
  app.addHook('onRequest', (request, _reply, done) => {
    filter(request.raw.headers, request.log);
    done();
  });
}

/**
 * The caller's address as Fastify's request.ip finds it (proxy-addr): the peer, then the filtered
 * X-Forwarded-For from the right, up to the first address `trust` refuses (or the leftmost).
 */
export function callerAddress(raw: IncomingMessage, trust: ProxyTrust | undefined): string {
  const peer = raw.socket.remoteAddress as string;
  const header = raw.headers['x-forwarded-for'];
  if (trust === undefined || typeof header !== 'string') return peer;
  const addresses = [peer];
  const entries = header.split(',');
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = (entries[i] ?? '').trim();
    if (entry !== '') addresses.push(entry);
  }
  for (let hop = 0; hop < addresses.length - 1; hop++) {
    const address = addresses[hop] as string;
    if (!trust(address, hop)) return address;
  }
  return addresses[addresses.length - 1] as string;
}

/** Fastify's trustProxy: whether the address `hop` places from the right is one of our proxies. */
export function proxyTrust(trusted: TrustedProxies): ProxyTrust {
  if ('hops' in trusted) {
    const { hops } = trusted;
    // A hop count cannot check the peer: only right when every connection comes through the proxies.
    return (_address, hop) => hop < hops;
  }
  const proxies = new BlockList();
  for (const subnet of trusted.subnets) {
    const [address = '', prefix] = subnet.split('/');
    proxies.addSubnet(address, Number(prefix), isIP(address) === 4 ? 'ipv4' : 'ipv6');
  }
  return (address) => {
    const family = isIP(address);
    return family !== 0 && proxies.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
}

/**
 * X-Forwarded-For as proxy-addr may read it. proxy-addr returns the first entry it does not trust as
 * the caller's address even when that entry is not an address at all (`unknown`, `x`): a trusted
 * proxy that writes such an entry cannot vouch for anything left of it either. So the rightmost
 * entry that is not an IP address and everything left of it go; the caller is then the last
 * address that stays (the proxy that passed the entry on). `1.2.3.4:80` and `[::1]:80` lose the port.
 */
export function usableForwardedFor(header: string): { value: string; rejected?: string } {
  const entries = header.split(',');
  const kept: string[] = [];
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = (entries[i] ?? '').trim();
    const address = withoutPort(entry);
    if (isIP(address) === 0) return { value: kept.reverse().join(', '), rejected: entry };
    kept.push(address);
  }
  return { value: kept.reverse().join(', ') };
}

function withoutPort(entry: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(entry);
  if (bracketed) return bracketed[1] ?? '';
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(entry);
  return v4 ? (v4[1] ?? '') : entry;
}
