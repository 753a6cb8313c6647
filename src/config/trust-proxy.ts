import { isIP } from 'node:net';

/**
 * TRUST_PROXY, read: how many proxies stand in front of lean-auth, or the addresses they have.
 * The caller's address is the rightmost X-Forwarded-For entry that is not one of them.
 */
export type TrustedProxies =
  | { readonly hops: number }
  /** CIDRs (`10.0.0.0/8`, `::1/128`), the named ranges expanded. */
  | { readonly subnets: readonly string[] };

/** The names proxy-addr knows, for the ranges private networks use. */
const NAMED_RANGES: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/** More proxies than any real chain has; a bigger count is a mistake. */
const MAX_HOPS = 16;

const FORMS =
  `the number of proxies in front of lean-auth (1 to ${MAX_HOPS}), or a comma-separated list of ` +
  `their addresses or CIDRs (such as 10.0.0.5,192.168.0.0/16; the names ${Object.keys(NAMED_RANGES).join(', ')} too)`;

/** Reads TRUST_PROXY; unset, `false` or `0` trust no proxy (X-Forwarded-For is ignored). */
export function parseTrustProxy(raw: string | undefined, problems: string[]): TrustedProxies | undefined {
  if (raw === undefined || raw === 'false' || raw === '0') return undefined;
  if (raw === 'true') {
    problems.push(
      'TRUST_PROXY=true is refused: it believes every X-Forwarded-For, so any caller could choose the ' +
        'address that the throttle and the audit log see. Give ' +
        `${FORMS}: TRUST_PROXY=1 for one load balancer`,
    );
    return undefined;
  }
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops <= MAX_HOPS) return { hops };
    problems.push(`TRUST_PROXY must be ${FORMS}, got '${raw}'`);
    return undefined;
  }
  const subnets: string[] = [];
  for (const item of raw.split(',').map((entry) => entry.trim())) {
    const subnet = NAMED_RANGES[item] ?? cidr(item);
    if (subnet === undefined) {
      problems.push(`TRUST_PROXY must be ${FORMS}, got '${raw}' ('${item}' is none of these)`);
      return undefined;
    }
    subnets.push(...subnet);
  }
  return { subnets };
}

/** `10.0.0.5` → [`10.0.0.5/32`], `fc00::/7` → itself; undefined if not an address or CIDR. */
function cidr(item: string): string[] | undefined {
  const [address = '', prefix, extra] = item.split('/');
  const family = isIP(address);
  const bits = family === 4 ? 32 : 128;
  if (family === 0 || extra !== undefined) return undefined;
  if (prefix === undefined) return [`${address}/${bits}`];
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > bits) return undefined;
  return [`${address}/${Number(prefix)}`];
}
