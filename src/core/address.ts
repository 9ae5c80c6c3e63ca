// Strict parsers for the address forms a scope may hold. Whatever passes here
// is written into the nft script verbatim, so nothing else may pass.

export type Address =
  | { family: 'ipv4'; text: string }
  | { family: 'ipv6'; text: string }
  | { family: 'mac'; text: string };

/** Parses an IPv4 address into its 32-bit value, or null. */
function parseIPv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    value = value * 256 + n;
  }
  return value;
}

/** Parses an IPv6 address into its 16-bit groups, or null. */
function parseIPv6(text: string): number[] | null {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (half: string): number[] | null => {
    if (half === '') return [];
    const out: number[] = [];
    const fields = half.split(':');
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i];
      if (i === fields.length - 1 && field.indexOf('.') >= 0) {
        const v4 = parseIPv4(field);
        if (v4 === null) return null;
        out.push(Math.floor(v4 / 65536), v4 % 65536);
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(field)) {
        out.push(parseInt(field, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (head === null || tail === null) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  // An embedded IPv4 part may only end the address.
  if (halves[0].indexOf('.') >= 0) return null;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return null;
  return head.concat(new Array<number>(missing).fill(0), tail);
}

/** Whether the bits of `groups` (each `width` bits wide) after `prefix` are all zero. */
function hostBitsClear(groups: number[], width: number, prefix: number): boolean {
  for (let i = 0; i < groups.length; i++) {
    const first = i * width;
    const keep = Math.max(0, Math.min(width, prefix - first));
    const mask = keep === width ? 0 : (1 << (width - keep)) - 1;
    if ((groups[i] & mask) !== 0) return false;
  }
  return true;
}

export type ParsedAddress = Address | { error: string };

/** An IPv4 or IPv6 address, optionally with a /prefix whose host bits are zero. */
export function parseIpOrSubnet(text: string): ParsedAddress {
  const slash = text.split('/');
  if (slash.length > 2) return { error: 'has more than one "/"' };
  const [addr, prefixText] = slash;
  const v4 = parseIPv4(addr);
  const v6 = v4 === null ? parseIPv6(addr) : null;
  if (v4 === null && v6 === null) return { error: 'is not an IPv4 or IPv6 address' };
  const family = v4 !== null ? 'ipv4' : 'ipv6';
  // IPv6 in its canonical form: nft takes an embedded IPv4 part only as ::a.b.c.d or ::ffff:a.b.c.d.
  const canonical = family === 'ipv6' ? compressIPv6(addr) : addr;
  if (prefixText === undefined) return { family, text: canonical };
  const max = family === 'ipv4' ? 32 : 128;
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > max) {
    return { error: `has an invalid prefix length (0 to ${max})` };
  }
  const prefix = Number(prefixText);
  const groups = v4 !== null ? [v4 >>> 16, v4 & 0xffff] : (v6 as number[]);
  if (!hostBitsClear(groups, 16, prefix)) {
    return { error: `has host bits set after /${prefix}: give the network address of the subnet` };
  }
  return { family, text: `${canonical}/${prefix}` };
}

/** A MAC address written as six colon-separated hex pairs. */
export function parseMac(text: string): ParsedAddress {
  if (!/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/.test(text)) {
    return { error: 'is not a MAC address (six hex pairs separated by ":")' };
  }
  return { family: 'mac', text: text.toLowerCase() };
}

/** An IPv6 address in its canonical text (RFC 5952): lower case, no leading zeros, the longest zero run as "::". */
export function compressIPv6(text: string): string {
  const groups = parseIPv6(text);
  if (groups === null || groups.length !== 8) return text;
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = (from: number, to: number) => groups.slice(from, to).map((g) => g.toString(16)).join(':');
  return best < 0 ? hex(0, 8) : `${hex(0, best)}::${hex(best + bestLength, 8)}`;
}

/** A set of subnets that answers whether an address is in one of them. */
export class Subnets {
  private entries: { groups: number[]; prefix: number }[] = [];

  constructor(subnets: string[]) {
    for (const s of subnets) {
      const [addr, prefix] = s.split('/');
      const groups = groupsOf(addr);
      if (groups) this.entries.push({ groups, prefix: prefix === undefined ? groups.length * 16 : +prefix });
    }
  }

  get size(): number {
    return this.entries.length;
  }

  contains(address: string): boolean {
    const groups = groupsOf(address);
    if (groups === null) return false;
    return this.entries.some((e) => e.groups.length === groups.length && samePrefix(e.groups, groups, e.prefix));
  }
}

/** 16-bit groups: two for IPv4, eight for IPv6. */
function groupsOf(text: string): number[] | null {
  const v4 = parseIPv4(text);
  if (v4 !== null) return [v4 >>> 16, v4 & 0xffff];
  return parseIPv6(text);
}

function samePrefix(a: number[], b: number[], prefix: number): boolean {
  for (let i = 0; i < a.length && prefix > 0; i++, prefix -= 16) {
    const bits = Math.min(16, prefix);
    const mask = (0xffff << (16 - bits)) & 0xffff;
    if ((a[i] & mask) !== (b[i] & mask)) return false;
  }
  return true;
}
