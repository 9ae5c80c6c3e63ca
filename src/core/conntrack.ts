// Conntrack entries from the text of /proc/net/nf_conntrack or `conntrack -L`
// (the same lines without the leading "ipv4 2"). A router's table can hold
// tens of thousands of lines, few of them VPN traffic. Under QuickJS, string
// work on every line would cost more than the kernel's own listing, so lines
// are judged on raw bytes with the engine's native search (Uint8Array
// indexOf) and only VPN candidates become strings and are taken apart.

export interface Tuple {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  /** GRE keys (PPTP Call IDs); 0 for plain GRE, which carries none. */
  srckey?: number;
  dstkey?: number;
  packets?: number;
  bytes?: number;
}

export interface Entry {
  family: 'ipv4' | 'ipv6';
  /** IP protocol number: 6 tcp, 17 udp, 47 gre, 50 esp, 51 ah. */
  protonum: number;
  /** Seconds until the entry expires unless traffic refreshes it; none while offloaded. */
  timeout?: number;
  /** In the flow table (software or hardware offload): packets skip the forward hook. */
  offloaded: boolean;
  /** TCP state, e.g. ESTABLISHED. */
  state?: string;
  /** The direction of the packet that made the entry. */
  original: Tuple;
  reply: Tuple;
  assured: boolean;
  unreplied: boolean;
  /** Only `conntrack -L` shows it; /proc does not. */
  helper?: string;
  /** Seconds since the entry was made, where nf_conntrack_timestamp is on. */
  age?: number;
}

import { compressIPv6 } from './address.ts';

// One entry: the head ("ipv4 2 tcp 6 431999 ESTABLISHED", GRE adds its
// timeouts), then the original and the reply tuple. One regular expression:
// under QuickJS it is several times faster than taking the line apart with
// string calls.
const TUPLE = 'src=(\\S+) dst=(\\S+) (?:sport=(\\d+) dport=(\\d+) |srckey=0x([0-9a-f]+) dstkey=0x([0-9a-f]+) )?(?:zone-(?:orig|reply)=\\d+ )?(?:packets=(\\d+) bytes=(\\d+) )?';
// Offloaded entries have no timeout; TCP states include SYN_SENT2.
const LINE = new RegExp(
  `^(?:(ipv[46]) +\\d+ +)?\\S+ +(\\d+) +(?:(\\d+) )?(?:([A-Z][A-Z0-9_]*) )?(?:timeout=\\d+, stream_timeout=\\d+ )?${TUPLE}(\\[UNREPLIED\\] )?${TUPLE}`,
);
const TUPLE_GROUPS = 8;

/** /proc prints IPv6 addresses in full ("2001:0db8:0000:..."); `conntrack -L` compressed. */
function address(text: string): string {
  return text.length === 39 ? compressIPv6(text) : text;
}

function tuple(m: RegExpExecArray, at: number): Tuple {
  const t: Tuple = { src: address(m[at]), dst: address(m[at + 1]) };
  if (m[at + 2] !== undefined) {
    t.sport = +m[at + 2];
    t.dport = +m[at + 3];
  }
  if (m[at + 4] !== undefined) {
    t.srckey = parseInt(m[at + 4], 16);
    t.dstkey = parseInt(m[at + 5], 16);
  }
  if (m[at + 6] !== undefined) {
    t.packets = +m[at + 6];
    t.bytes = +m[at + 7];
  }
  return t;
}

/** The value of ` key=` after pos, or undefined. */
function after(line: string, key: string, pos: number): string | undefined {
  const at = line.indexOf(key, pos);
  if (at < 0) return undefined;
  const end = line.indexOf(' ', at + key.length);
  return line.slice(at + key.length, end < 0 ? line.length : end);
}

/** One entry, or null for a line it cannot read. */
export function parseEntry(line: string): Entry | null {
  const m = LINE.exec(line);
  if (m === null) return null;
  const original = tuple(m, 5);
  const rest = m[0].length;
  const entry: Entry = {
    // `conntrack -L` leaves out the family; an IPv6 address has colons.
    family: m[1] === 'ipv6' || (m[1] === undefined && original.src.indexOf(':') >= 0) ? 'ipv6' : 'ipv4',
    protonum: +m[2],
    original,
    reply: tuple(m, 6 + TUPLE_GROUPS),
    assured: line.indexOf('[ASSURED]', rest) >= 0,
    unreplied: m[5 + TUPLE_GROUPS] !== undefined,
    offloaded: line.indexOf('OFFLOAD]', rest) >= 0,
  };
  if (m[3] !== undefined) entry.timeout = +m[3];
  if (m[4] !== undefined) entry.state = m[4];
  const helper = after(line, ' helper=', rest);
  if (helper) entry.helper = helper;
  const age = after(line, ' delta-time=', rest);
  if (age !== undefined) entry.age = +age;
  return entry;
}

/** Which entries the scanner hands on: IP protocols, and TCP/UDP by the original direction's dport. */
export interface Interest {
  protocols: number[];
  ports: { protonum: 6 | 17; port: number }[];
}

const NEWLINE = 10;
const SPACE = 32;
const LETTER_O = 111;

/** The decimal number at pos in bytes, up to the next non-digit. */
function digits(bytes: Uint8Array, pos: number): number {
  let n = 0;
  for (let c = bytes[pos]; c >= 48 && c <= 57; c = bytes[++pos]) n = n * 10 + c - 48;
  return n;
}

function ascii(bytes: Uint8Array): string {
  // Bounded argument count: apply spreads every byte as an argument.
  let text = '';
  for (let i = 0; i < bytes.length; i += 4096) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
  }
  return text;
}

/**
 * Feeds the table's bytes in chunks of any size (the kernel's text is ASCII)
 * and calls onEntry for every entry that may be VPN traffic; counts all lines.
 */
export class ConntrackScanner {
  rows = 0;
  /** The start of a line that the previous chunk cut. */
  private tail: Uint8Array | null = null;
  /** Keys: a protocol number, or protonum * 65536 + port. */
  private wanted: Record<number, boolean> = {};

  constructor(interest: Interest, private onEntry: (entry: Entry) => void) {
    for (const p of interest.protocols) this.wanted[p] = true;
    for (const { protonum, port } of interest.ports) this.wanted[protonum * 65536 + port] = true;
  }

  push(chunk: Uint8Array): void {
    let pos = 0;
    if (this.tail) {
      const nl = chunk.indexOf(NEWLINE);
      const piece = nl < 0 ? chunk : chunk.subarray(0, nl + 1);
      const joined = new Uint8Array(this.tail.length + piece.length);
      joined.set(this.tail);
      joined.set(piece, this.tail.length);
      this.tail = null;
      if (nl < 0) {
        this.tail = joined;
        return;
      }
      this.scan(joined, 0);
      pos = nl + 1;
    }
    pos = this.scan(chunk, pos);
    if (pos < chunk.length) this.tail = chunk.slice(pos);
  }

  end(): void {
    if (this.tail) this.scan(Uint8Array.of(...this.tail, NEWLINE), 0);
    this.tail = null;
  }

  /**
   * Judges every whole line from pos on by a few bytes: the protocol number
   * after the padded name ("tcp      6"), and for TCP/UDP the original
   * dport. Returns where the cut line at the end starts. Kept in one loop:
   * this runs for every entry.
   */
  private scan(bytes: Uint8Array, pos: number): number {
    const wanted = this.wanted;
    for (let nl = bytes.indexOf(NEWLINE, pos); nl >= 0; pos = nl + 1, nl = bytes.indexOf(NEWLINE, pos)) {
      if (nl === pos) continue;
      this.rows++;
      // /proc lines start with "ipv4     2 " or "ipv6     10 "; `conntrack -L` lines do not.
      const l3 = bytes[pos] === 105 && bytes[pos + 1] === 112;
      let at = (l3 ? pos + (bytes[pos + 10] === SPACE ? 11 : 12) : pos) + 9;
      const protonum = digits(bytes, at);
      if (protonum === 6 || protonum === 17) {
        // The original dport is the value 4 bytes after the line's second
        // 'o' ("sport=", "dport="): nothing before holds a lowercase o
        // (addresses are digits and hex a-f, TCP states are upper case).
        at = bytes.indexOf(LETTER_O, at);
        if (at >= 0) at = bytes.indexOf(LETTER_O, at + 1);
        if (at < 0 || at >= nl || !wanted[protonum * 65536 + digits(bytes, at + 4)]) continue;
      } else if (!wanted[protonum]) continue;
      const entry = parseEntry(ascii(bytes.subarray(pos, nl)));
      if (entry !== null) this.onEntry(entry);
    }
    return pos;
  }
}

/** Text as the bytes the scanner reads (for `conntrack -L` output, which arrives as a string). */
export function asciiBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
