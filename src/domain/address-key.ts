import { isIPv4, isIPv6 } from 'node:net';
import { printable } from './printable.js';

/** The longest text of an IP address: IPv6 with an IPv4 tail, as in ffff:…:255.255.255.255. */
export const MAX_ADDRESS_LENGTH = 45;

/**
 * Whom a source address stands for, as the throttle counts it: an IPv4 address as it is (written
 * IPv4-mapped too, as a dual-stack socket reports it), an IPv6 address by its /64, the smallest
 * block one subscriber is given (an attacker rotating addresses within it stays one caller).
 * Anything else (no address we are handed should be) is kept short and printable.
 */
export function addressKey(address: string): string {
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return printable(address, MAX_ADDRESS_LENGTH);
  const groups = ipv6Groups(address);
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    const [high = 0, low = 0] = groups.slice(6);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (zone dropped, `::` and an IPv4 tail expanded). */
function ipv6Groups(address: string): number[] {
  let text = (address.split('%', 1)[0] ?? '').toLowerCase();
  const tailStart = text.lastIndexOf(':') + 1;
  const tail = text.slice(tailStart);
  if (tail.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    text = `${text.slice(0, tailStart)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const before = head === '' ? [] : head.split(':');
  const after = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = rest === undefined ? [] : Array<string>(8 - before.length - after.length).fill('0');
  return [...before, ...zeros, ...after].map((group) => Number.parseInt(group, 16));
}
