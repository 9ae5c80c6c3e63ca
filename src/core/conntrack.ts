// Conntrack entries from the text of /proc/net/nf_conntrack or `conntrack -L`
// (the same lines without the leading "ipv4 2"). A router's table can hold
// tens of thousands of lines, few of them VPN traffic. Under QuickJS, string
// work on every line would cost more than the kernel's own listing, so lines
// are judged on raw bytes with the engine's native search (Uint8Array
// indexOf) and only VPN candidates become strings and are taken apart.

import { compressIPv6 } from './address.ts';

// One entry: the head ("ipv4 2 tcp 6 431999 ESTABLISHED", GRE adds its
// timeouts), then the original and the reply tuple. One regular expression:
// under QuickJS it is several times faster than taking the line apart with
// string calls or byte loops (about 9 us a line here, most of a VPN line's cost).
const TUPLE = 'src=(\\S+) dst=(\\S+) (?:sport=(\\d+) dport=(\\d+) |srckey=0x([0-9a-f]+) dstkey=0x([0-9a-f]+) )?(?:zone-(?:orig|reply)=\\d+ )?(?:packets=(\\d+) bytes=(\\d+) )?';
// Offloaded entries have no timeout; TCP states include SYN_SENT2.
const LINE = new RegExp(
  `^(?:(ipv[46]) +\\d+ +)?\\S+ +(\\d+) +(?:(\\d+) )?(?:([A-Z][A-Z0-9_]*) )?(?:timeout=\\d+, stream_timeout=\\d+ )?${TUPLE}(\\[UNREPLIED\\] )?${TUPLE}`,
);
// Where the match of matchEntry holds each field (undefined where the line
// has none): the head, then each tuple's fields from its start (M_ORIGINAL,
// M_REPLY) at the offsets T_*. Plain constants: the bundler puts the numbers
// in place.
export const M_FAMILY = 1;
export const M_PROTONUM = 2;
export const M_TIMEOUT = 3;
export const M_STATE = 4;
export const M_ORIGINAL = 5;
export const M_UNREPLIED = 13;
export const M_REPLY = 14;
export const T_SRC = 0;
export const T_DST = 1;
export const T_SPORT = 2;
export const T_DPORT = 3;
export const T_SRCKEY = 4;
export const T_DSTKEY = 5;
export const T_PACKETS = 6;
export const T_BYTES = 7;

/**
 * The head and both tuples of one line, as the match of one regular
 * expression (the M_ and T_ constants say where each field is), or null for
 * a line it cannot read. Addresses as printed (see address); flags and
 * helper=, delta-time= come after the match (after(line, key, m[0].length)).
 */
export function matchEntry(line: string): RegExpExecArray | null {
  return LINE.exec(line);
}

/** /proc prints IPv6 addresses in full ("2001:0db8:0000:..."); `conntrack -L` compressed. */
export function address(text: string): string {
  return text.length === 39 ? compressIPv6(text) : text;
}

/** The value of ` key=` after pos, or undefined. */
export function after(line: string, key: string, pos: number): string | undefined {
  const at = line.indexOf(key, pos);
  if (at < 0) return undefined;
  const end = line.indexOf(' ', at + key.length);
  return line.slice(at + key.length, end < 0 ? line.length : end);
}

/** Which entries the scanner hands on: IP protocols, and TCP/UDP by the original direction's dport. */
export interface Interest {
  protocols: number[];
  ports: { protonum: 6 | 17; port: number }[];
}

const NEWLINE = 10;
const SPACE = 32;
const LETTER_O = 111;

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
 * and calls onLine with every line that may be VPN traffic (to be read with
 * matchEntry); counts all lines.
 */
export class ConntrackScanner {
  rows = 0;
  /** The start of a line that the previous chunk cut. */
  private tail: Uint8Array | null = null;
  /** The IP protocols wanted; the TCP (bit 1) and UDP (bit 2) ports wanted. */
  private protocols = new Uint8Array(256);
  private ports = new Uint8Array(65536);

  constructor(interest: Interest, private onLine: (line: string) => void) {
    for (const p of interest.protocols) this.protocols[p] = 1;
    for (const { protonum, port } of interest.ports) this.ports[port] |= protonum === 6 ? 1 : 2;
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
    if (this.tail) {
      const last = new Uint8Array(this.tail.length + 1);
      last.set(this.tail);
      last[this.tail.length] = NEWLINE;
      this.scan(last, 0);
    }
    this.tail = null;
  }

  /**
   * Judges every whole line from pos on by a few bytes: the protocol number
   * after the padded name ("tcp      6"), and for TCP/UDP the original
   * dport. Returns where the cut line at the end starts. Kept in one loop:
   * this runs for every entry.
   */
  private scan(bytes: Uint8Array, pos: number): number {
    const { protocols, ports } = this;
    let rows = 0;
    for (let nl = bytes.indexOf(NEWLINE, pos); nl >= 0; pos = nl + 1, nl = bytes.indexOf(NEWLINE, pos)) {
      if (nl === pos) continue;
      rows++;
      // /proc lines start with "ipv4     2 " or "ipv6     10 "; `conntrack -L` lines do not.
      let at = (bytes[pos] === 105 && bytes[pos + 1] === 112 ? pos + (bytes[pos + 10] === SPACE ? 11 : 12) : pos) + 9;
      let protonum = 0;
      for (let c = bytes[at]; c >= 48 && c <= 57; c = bytes[++at]) protonum = protonum * 10 + c - 48;
      if (protonum === 6 || protonum === 17) {
        // The original dport is the value 4 bytes after the line's second
        // 'o' ("sport=", "dport="): nothing before holds a lowercase o
        // (addresses are digits and hex a-f, TCP states are upper case).
        at = bytes.indexOf(LETTER_O, at);
        if (at >= 0) at = bytes.indexOf(LETTER_O, at + 1);
        if (at < 0 || at >= nl) continue;
        let port = 0;
        at += 4;
        for (let c = bytes[at]; c >= 48 && c <= 57 && port < 65536; c = bytes[++at]) port = port * 10 + c - 48;
        if (!(ports[port] & (protonum === 6 ? 1 : 2))) continue;
      } else if (!protocols[protonum & 255] || protonum > 255) continue;
      this.onLine(ascii(bytes.subarray(pos, nl)));
    }
    this.rows += rows;
    return pos;
  }
}

/** Text as the bytes the scanner reads (for `conntrack -L` output, which arrives as a string). */
export function asciiBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
