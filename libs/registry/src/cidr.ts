import { RegistryError } from './connection';

/**
 * An IPv4 or IPv6 network. `network` is the address with the host bits cleared, as an unsigned integer (32 bits for
 * IPv4, 128 for IPv6); `prefixLength` the number of leading network bits.
 */
export interface Cidr {
  readonly family: 4 | 6;
  readonly network: bigint;
  readonly prefixLength: number;
}

interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

const IPV4_PART = /^(0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
/** ::ffff:0:0/96, the IPv4-mapped IPv6 addresses (RFC 4291 2.5.5.2). */
const MAPPED_PREFIX = 0xffffn << 32n;
const MAPPED_MASK = ~0xffff_ffffn & ((1n << 128n) - 1n);

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!IPV4_PART.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseGroups(text: string): bigint[] | undefined {
  if (text === '') return [];
  const groups: bigint[] = [];
  const parts = text.split(':');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (i === parts.length - 1 && part.includes('.')) {
      // Trailing dotted IPv4 (e.g. ::ffff:192.0.2.1): two groups.
      const v4 = parseIpv4(part);
      if (v4 === undefined) return undefined;
      groups.push(v4 >> 16n, v4 & 0xffffn);
    } else {
      if (!HEX_GROUP.test(part)) return undefined;
      groups.push(BigInt(parseInt(part, 16)));
    }
  }
  return groups;
}

function parseIpv6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  let groups: bigint[];
  if (halves.length === 2) {
    const head = parseGroups(halves[0]);
    const tail = parseGroups(halves[1]);
    // A dotted IPv4 part is only allowed at the very end.
    if (head === undefined || tail === undefined || halves[0].includes('.')) return undefined;
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...Array.from({ length: missing }, () => 0n), ...tail];
  } else {
    const all = parseGroups(text);
    if (all === undefined || all.length !== 8) return undefined;
    groups = all;
  }
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/**
 * Parses an IPv4 ('192.0.2.1') or IPv6 ('2001:db8::1', '::ffff:192.0.2.1', '[::1]', 'fe80::1%eth0': the zone is
 * ignored) address; undefined when the text is not one.
 */
function parseAddress(text: string): IpAddress | undefined {
  let t = text.trim();
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  if (t.includes(':')) {
    const zone = t.indexOf('%');
    if (zone > 0) t = t.slice(0, zone);
    const value = parseIpv6(t);
    return value === undefined ? undefined : { family: 6, value };
  }
  const value = parseIpv4(t);
  return value === undefined ? undefined : { family: 4, value };
}

function mask(family: 4 | 6, prefixLength: number): bigint {
  const width = family === 4 ? 32n : 128n;
  const all = (1n << width) - 1n;
  return (all << (width - BigInt(prefixLength))) & all;
}

function invalid(text: unknown, why: string): never {
  const shown = typeof text === 'string' ? JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}...` : text) : typeof text;
  throw new RegistryError('REGISTRY_INVALID', `invalid CIDR ${shown}: ${why}`);
}

/**
 * Parses '10.0.0.0/8', '127.0.0.1/32', '2001:db8::/32', '::1/128', '::ffff:10.0.0.0/104'. A bare address means a
 * single host (/32 or /128). Host bits below the prefix are ignored ('10.1.2.3/8' is 10.0.0.0/8). Zones ('%eth0')
 * are not allowed. Throws RegistryError('REGISTRY_INVALID') for anything else.
 */
export function parseCidr(text: string): Cidr {
  if (typeof text !== 'string') invalid(text, 'not a string');
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const addressText = slash === -1 ? trimmed : trimmed.slice(0, slash);
  if (addressText.includes('%') || addressText.includes('[')) invalid(text, 'not an IPv4 or IPv6 network');
  const address = parseAddress(addressText);
  if (address === undefined) invalid(text, 'not an IPv4 or IPv6 network');
  const maxLength = address.family === 4 ? 32 : 128;
  let prefixLength = maxLength;
  if (slash !== -1) {
    const lengthText = trimmed.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(lengthText) || Number(lengthText) > maxLength) {
      invalid(text, `the prefix length must be 0 to ${maxLength}`);
    }
    prefixLength = Number(lengthText);
  }
  return { family: address.family, network: address.value & mask(address.family, prefixLength), prefixLength };
}

/**
 * True when `address` lies in `cidr` (a Cidr, or text for parseCidr). An IPv4 address and its IPv4-mapped IPv6 form
 * (::ffff:a.b.c.d, as dual-stack sockets report IPv4 peers) are the same address: '::ffff:127.0.0.1' is in
 * '127.0.0.0/8', and '127.0.0.1' is in '::ffff:127.0.0.0/104'. False for anything that is not an IP address.
 */
export function cidrContains(cidr: Cidr | string, address: string): boolean {
  const net = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
  if (typeof address !== 'string') return false;
  const parsed = parseAddress(address);
  if (parsed === undefined) return false;
  let value: bigint;
  if (net.family === parsed.family) value = parsed.value;
  else if (net.family === 4) {
    // IPv6 address against an IPv4 network: only an IPv4-mapped address can match.
    if ((parsed.value & MAPPED_MASK) !== MAPPED_PREFIX) return false;
    value = parsed.value & 0xffff_ffffn;
  } else {
    value = MAPPED_PREFIX | parsed.value;
  }
  return (value & mask(net.family, net.prefixLength)) === net.network;
}
