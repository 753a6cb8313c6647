import { BlockList, isIP } from 'node:net';

/** A host name as DNS writes it: dot-separated labels of letters, digits and inner hyphens. */
const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * Reads HOST, the address to listen on: an IP address (`[::1]` is taken as `::1`) or a host name,
 * never a URL or an address with a port (`localhost:18106` would fail later as an unknown host).
 */
export function parseListenHost(raw: string | undefined, problems: string[]): string {
  if (raw === undefined) return '127.0.0.1';
  const host = /^\[.*\]$/.test(raw) ? raw.slice(1, -1) : raw;
  if (isIP(host) !== 0 || HOST_NAME.test(host)) return host;
  const port = /^[^:]+:(\d+)$/.exec(raw)?.[1] ?? /^\[.+\]:(\d+)$/.exec(raw)?.[1];
  problems.push(
    'HOST must be the address to listen on: an IP address such as 127.0.0.1, 0.0.0.0 or ::, or a ' +
      `host name such as localhost, without a scheme or a port, got '${raw}'` +
      (port === undefined ? '' : ` (set the port with PORT=${port})`),
  );
  return '127.0.0.1';
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether `host` is reachable from this machine only: localhost, 127.0.0.0/8 or ::1. */
export function isLoopbackHost(host: string): boolean {
  const lower = host.toLowerCase();
  if (lower === 'localhost' || lower.endsWith('.localhost')) return true;
  const family = isIP(lower);
  return family !== 0 && LOOPBACK.check(lower, family === 4 ? 'ipv4' : 'ipv6');
}
