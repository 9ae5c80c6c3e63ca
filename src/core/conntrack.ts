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
  /** Seconds until the entry expires unless traffic refreshes it. */
  timeout: number;
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

/** The value after ` key=` between from and to, or undefined. */
function valueOf(line: string, key: string, from: number, to: number): string | undefined {
  const at = line.indexOf(key, from);
  if (at < 0 || at >= to) return undefined;
  const start = at + key.length;
  const end = line.indexOf(' ', start);
  return line.slice(start, end < 0 || end > to ? to : end);
}

function numberOf(line: string, key: string, from: number, to: number, radix = 10): number | undefined {
  const v = valueOf(line, key, from, to);
  return v === undefined ? undefined : parseInt(v, radix);
}

function tuple(line: string, from: number, to: number): Tuple {
  const t: Tuple = { src: valueOf(line, 'src=', from, to) ?? '', dst: valueOf(line, ' dst=', from, to) ?? '' };
  const sport = numberOf(line, ' sport=', from, to);
  if (sport !== undefined) {
    t.sport = sport;
    t.dport = numberOf(line, ' dport=', from, to);
  }
  const srckey = numberOf(line, ' srckey=0x', from, to, 16);
  if (srckey !== undefined) {
    t.srckey = srckey;
    t.dstkey = numberOf(line, ' dstkey=0x', from, to, 16);
  }
  const packets = numberOf(line, ' packets=', from, to);
  if (packets !== undefined) {
    t.packets = packets;
    t.bytes = numberOf(line, ' bytes=', from, to);
  }
  return t;
}

/** One entry, or null for a line it cannot read. */
export function parseEntry(line: string): Entry | null {
  const first = line.indexOf('src=');
  const second = line.indexOf(' src=', first);
  if (first < 0 || second < 0) return null;
  const head = line.slice(0, first).split(' ').filter((w) => w !== '');
  const l3 = head[0] === 'ipv4' || head[0] === 'ipv6' ? head[0] : undefined;
  const [, protonum, timeout, state] = l3 ? head.slice(2) : head;
  const reply = tuple(line, second, line.length);
  const entry: Entry = {
    family: 'ipv4',
    protonum: +protonum,
    timeout: +timeout,
    original: tuple(line, first, second),
    reply,
    assured: line.indexOf(' [ASSURED]', second) >= 0,
    unreplied: line.indexOf(' [UNREPLIED]', first) >= 0,
  };
  // `conntrack -L` leaves out the family; an IPv6 address has colons.
  if (l3 === 'ipv6' || (!l3 && entry.original.src.indexOf(':') >= 0)) entry.family = 'ipv6';
  if (state && state.indexOf('=') < 0) entry.state = state;
  const helper = valueOf(line, ' helper=', second, line.length);
  if (helper) entry.helper = helper;
  const age = numberOf(line, ' delta-time=', second, line.length);
  if (age !== undefined) entry.age = age;
  return entry.original.src && reply.src ? entry : null;
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
