// Conntrack entries -> VPN sessions per LAN client. A session is what one
// client has open to one server over one protocol: PPTP's control connection
// with its GRE flows, IKE with its NAT-T, ESP and AH flows. Fed the table in
// chunks, it keeps only VPN flows, so memory follows the VPN traffic, not the
// size of the conntrack table.
//
// Under QuickJS every object kept costs the cycle collector on every run and
// about a kilobyte of memory, and Map/Set with string keys degrade past some
// thousand entries on glibc (QuickJS 2021-03-27 sizes their hash tables by
// malloc's slack, so the mask is no longer a power of two). So flows and
// sessions are kept as numbers in typed arrays (strings once each, by id),
// sessions found by a plain object used as a dictionary and ordered by one
// native sort of strings. Objects (Session, Flow) are made only when asked
// for, one session at a time for output that streams. docs/design.md has
// what each piece costs.

import type { Subnets } from './address.ts';
import {
  address,
  after,
  ConntrackScanner,
  matchEntry,
  M_FAMILY,
  M_ORIGINAL,
  M_PROTONUM,
  M_REPLY,
  M_STATE,
  M_TIMEOUT,
  M_UNREPLIED,
  T_BYTES,
  T_DPORT,
  T_DST,
  T_PACKETS,
  T_SPORT,
  T_SRC,
  T_SRCKEY,
  T_DSTKEY,
  type Interest,
} from './conntrack.ts';
import type { Count } from './counters.ts';
import { PARTS, PROTOCOLS, type PartName, type ProtocolName } from './protocols.ts';

export interface Flow {
  part: PartName;
  /** tcp, udp, gre, esp or ah. */
  transport: string;
  clientPort?: number;
  serverPort?: number;
  /** PPTP's Call IDs in GRE keys: the client's own, the server's, and the client's as the server sees it when the helper translated it. */
  callIds?: { client: number; server: number; translated?: number };
  /** The client's address on the outside, where the router translated it. */
  publicAddress?: string;
  state?: string;
  /** Seconds left before the entry expires without traffic; none while offloaded. */
  timeout?: number;
  /** In the flow table: packets skip the forward hook (and so a block) until the entry goes. */
  offloaded?: boolean;
  age?: number;
  /** Both directions seen. */
  replied: boolean;
  helper?: string;
  /** Present where conntrack accounting is on. */
  sent?: Count;
  received?: Count;
}

export interface Session {
  protocol: ProtocolName;
  client: string;
  server: string;
  family: 'ipv4' | 'ipv6';
  flows: Flow[];
  sent?: Count;
  received?: Count;
}

/** What doctor reads of a session (a Session is one). */
export interface SessionSummary extends Pick<Session, 'protocol' | 'client' | 'server' | 'family'> {
  flows: Pick<Flow, 'part' | 'transport' | 'publicAddress'>[];
}

export interface ClientSessions {
  client: string;
  sessions: Session[];
}

/** In the order flows are listed: control connections first. */
const TRANSPORTS = ['tcp', 'udp', 'gre', 'esp', 'ah'];
const PROTONUM = { tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51 } as const;
/** IP protocol number -> index in TRANSPORTS. */
const TRANSPORT_OF: Record<number, number> = { 6: 0, 17: 1, 47: 2, 50: 3, 51: 4 };
const GRE = 2;

// PARTS indexed by what an entry shows (protonum * 65536 + port for TCP and
// UDP, protonum for ESP and AH, the GRE version), and what the scanner
// should look for.
const PART_OF: Record<number, number> = {};
const GRE_PART = [-1, -1];
const INTEREST: Interest = { protocols: [], ports: [] };
PARTS.forEach((part, index) => {
  for (const m of part.matches) {
    if (m.kind === 'port') {
      PART_OF[PROTONUM[m.l4proto] * 65536 + m.port] = index;
      INTEREST.ports.push({ protonum: PROTONUM[m.l4proto], port: m.port });
    } else {
      const protonum = PROTONUM[m.kind === 'proto' ? m.l4proto : 'gre'];
      if (m.kind === 'proto') PART_OF[protonum] = index;
      else GRE_PART[m.version] = index;
      INTEREST.protocols.push(protonum);
    }
  }
});
/** Part index -> protocol index (in PROTOCOLS, the order sessions are listed in). */
const PROTOCOL_OF = PARTS.map((part) => PROTOCOLS.findIndex((p) => p.name === part.protocol));
const PPTP_PART = PARTS.findIndex((p) => p.name === 'pptp');
const PPTP = PROTOCOLS.findIndex((p) => p.name === 'pptp');
const PLAIN_GRE = PROTOCOLS.findIndex((p) => p.name === 'gre');

// A flow is I.STRIDE 32-bit integers (-1: none; strings as ids into the
// collector's table of them, 0: none) and F.STRIDE doubles (counters pass
// 2^32 bytes; -1: none). Const enums: the bundler puts the numbers in place.
const enum I {
  SESSION,
  /** The session's next flow, in the order read; -1: the last. */
  NEXT,
  TRANSPORT,
  PART,
  /** 1: replied, 2: offloaded. */
  FLAGS,
  TIMEOUT,
  CLIENT_PORT,
  SERVER_PORT,
  CALL_CLIENT,
  CALL_SERVER,
  CALL_TRANSLATED,
  PUBLIC,
  STATE,
  HELPER,
  AGE,
  STRIDE,
}
const enum F {
  SENT_PACKETS,
  SENT_BYTES,
  RECEIVED_PACKETS,
  RECEIVED_BYTES,
  STRIDE,
}
// A session is S.STRIDE integers; its key (keyOf) finds it again.
const enum S {
  PROTOCOL,
  IPV6,
  /** Its first and last flow; -1: none (merged into another). */
  FIRST,
  LAST,
  /** Its client's and server's addresses, as ids into the collector's table of them. */
  CLIENT,
  SERVER,
  STRIDE,
}

const keyOf = (protocol: number, client: string, server: string) => `${protocol}${client} ${server}`;

/**
 * A sort key for an address: IPv4 numerically (its four bytes as
 * characters), before IPv6 (its text); ended by a character below any an
 * address has, so a key that is a prefix of another sorts first.
 */
function addressKey(a: string): string {
  const octets = a.split('.');
  return octets.length === 4 && a.indexOf(':') < 0 ? String.fromCharCode(48, +octets[0], +octets[1], +octets[2], +octets[3], 0) : `1${a}\u0000`;
}

/** A GRE key of the match (hex); 0 where the line has none. */
const key = (m: RegExpExecArray, group: number) => (m[group] === undefined ? 0 : parseInt(m[group], 16));

/** A typed array twice the size, holding the old one's values. */
function grown<T extends Int32Array | Float64Array>(a: T): T {
  const b = new (a.constructor as { new (n: number): T })(a.length * 2);
  b.set(a);
  return b;
}

/**
 * One flow's fields, read into this one object by SessionList.view: output
 * reads any number of flows without an object for each. Numbers are -1 and
 * strings '' where the flow has none.
 */
export interface FlowView {
  part: PartName;
  transport: string;
  replied: boolean;
  offloaded: boolean;
  timeout: number;
  clientPort: number;
  serverPort: number;
  /** PPTP's Call IDs (Flow.callIds); -1 where the flow has none. */
  callClient: number;
  callServer: number;
  callTranslated: number;
  publicAddress: string;
  state: string;
  age: number;
  helper: string;
  sentPackets: number;
  sentBytes: number;
  receivedPackets: number;
  receivedBytes: number;
}

/**
 * The sessions a collector found, in order: clients by address (IPv4
 * numerically, then IPv6), each client's sessions by protocol then server,
 * each session's flows control connections first. Read by index, a session
 * at a time as objects (session), or flow by flow (flows, view) without
 * objects: output of any size can stream.
 */
export class SessionList {
  /** Distinct clients. */
  readonly clientCount: number = 0;
  private v = {} as FlowView;

  /** order: session indices in listing order. */
  constructor(private c: SessionCollector, private order: Int32Array) {
    for (let i = 0; i < order.length; i++) if (!this.sameClient(i)) this.clientCount++;
  }

  /** The number of sessions. */
  get size(): number {
    return this.order.length;
  }

  private int(i: number, field: number): number {
    return this.c.sInts[this.order[i] * S.STRIDE + field];
  }

  /** Whether session i has the client of session i - 1 (a client's sessions are adjacent). */
  sameClient(i: number): boolean {
    return i > 0 && this.int(i, S.CLIENT) === this.int(i - 1, S.CLIENT);
  }

  client(i: number): string {
    return this.c.addresses[this.int(i, S.CLIENT)];
  }

  server(i: number): string {
    return this.c.addresses[this.int(i, S.SERVER)];
  }

  protocol(i: number): ProtocolName {
    return PROTOCOLS[this.int(i, S.PROTOCOL)].name;
  }

  family(i: number): 'ipv4' | 'ipv6' {
    return this.int(i, S.IPV6) ? 'ipv6' : 'ipv4';
  }

  /** Session i's flows (for view) in listing order: by transport, then server port, then as read. */
  flows(i: number): number[] {
    const ints = this.c.ints;
    const flows: number[] = [];
    for (let f = this.int(i, S.FIRST); f >= 0; f = ints[f * I.STRIDE + I.NEXT]) flows.push(f);
    if (flows.length < 2) return flows;
    // Stable (ES2019, and QuickJS 2021 too): equal flows keep the order read.
    const rank = (f: number) => ints[f * I.STRIDE + I.TRANSPORT] * 65536 + Math.max(0, ints[f * I.STRIDE + I.SERVER_PORT]);
    return flows.sort((a, b) => rank(a) - rank(b));
  }

  /** Flow f's fields, in the one FlowView this list has: valid until the next call. */
  view(f: number): FlowView {
    const c = this.c;
    const ints = c.ints;
    const nums = c.nums;
    const v = this.v;
    const at = f * I.STRIDE;
    const n = f * F.STRIDE;
    v.part = PARTS[ints[at + I.PART]].name;
    v.transport = TRANSPORTS[ints[at + I.TRANSPORT]];
    v.replied = (ints[at + I.FLAGS] & 1) !== 0;
    v.offloaded = (ints[at + I.FLAGS] & 2) !== 0;
    v.timeout = ints[at + I.TIMEOUT];
    v.clientPort = ints[at + I.CLIENT_PORT];
    v.serverPort = ints[at + I.SERVER_PORT];
    v.callClient = ints[at + I.CALL_CLIENT];
    v.callServer = ints[at + I.CALL_SERVER];
    v.callTranslated = ints[at + I.CALL_TRANSLATED];
    v.publicAddress = c.strings[ints[at + I.PUBLIC]];
    v.state = c.strings[ints[at + I.STATE]];
    v.age = ints[at + I.AGE];
    v.helper = c.strings[ints[at + I.HELPER]];
    v.sentPackets = nums[n + F.SENT_PACKETS];
    v.sentBytes = nums[n + F.SENT_BYTES];
    v.receivedPackets = nums[n + F.RECEIVED_PACKETS];
    v.receivedBytes = nums[n + F.RECEIVED_BYTES];
    return v;
  }

  /**
   * Session i as JSON, made from the flows' fields: the properties in the
   * order they have always had, each only where the entry has it; totals
   * where a flow has counts (received, then sent).
   */
  json(i: number): string {
    const q = JSON.stringify;
    let flows = '';
    let sent = -1;
    let sentBytes = 0;
    let received = -1;
    let receivedBytes = 0;
    for (const flow of this.flows(i)) {
      const f = this.view(flow);
      if (f.sentPackets >= 0) {
        sent = Math.max(sent, 0) + f.sentPackets;
        sentBytes += f.sentBytes;
      }
      if (f.receivedPackets >= 0) {
        received = Math.max(received, 0) + f.receivedPackets;
        receivedBytes += f.receivedBytes;
      }
      flows += `${flows && ','}{"part":"${f.part}","transport":"${f.transport}","replied":${f.replied}${f.timeout < 0 ? '' : `,"timeout":${f.timeout}`}${
        f.offloaded ? ',"offloaded":true' : ''}${f.clientPort < 0 ? '' : `,"clientPort":${f.clientPort}`}${f.serverPort < 0 ? '' : `,"serverPort":${f.serverPort}`}${
        f.callClient < 0 ? '' : `,"callIds":{"client":${f.callClient},"server":${f.callServer}${f.callTranslated < 0 ? '' : `,"translated":${f.callTranslated}`}}`}${
        f.publicAddress && `,"publicAddress":${q(f.publicAddress)}`}${f.state && `,"state":${q(f.state)}`}${f.age < 0 ? '' : `,"age":${f.age}`}${
        f.helper && `,"helper":${q(f.helper)}`}${f.sentPackets < 0 ? '' : `,"sent":{"packets":${f.sentPackets},"bytes":${f.sentBytes}}`}${
        f.receivedPackets < 0 ? '' : `,"received":{"packets":${f.receivedPackets},"bytes":${f.receivedBytes}}`}}`;
    }
    return `{"protocol":"${this.protocol(i)}","client":${q(this.client(i))},"server":${q(this.server(i))},"family":"${this.family(i)}","flows":[${flows}]${
      received < 0 ? '' : `,"received":{"packets":${received},"bytes":${receivedBytes}}`}${sent < 0 ? '' : `,"sent":{"packets":${sent},"bytes":${sentBytes}}`}}`;
  }

  /** Session i as an object (from its JSON: the engine makes the objects natively). */
  session(i: number): Session {
    return JSON.parse(this.json(i));
  }

  /** Every session (or the first limit) as objects, grouped by client. */
  clients(limit = Infinity): ClientSessions[] {
    const out: ClientSessions[] = [];
    for (let i = 0; i < Math.min(limit, this.size); i++) {
      const session = this.session(i);
      if (!this.sameClient(i)) out.push({ client: session.client, sessions: [] });
      out[out.length - 1].sessions.push(session);
    }
    return out;
  }

  /**
   * Visits every session, one at a time, as an object with what doctor's
   * checks read: no more objects at once however many sessions there are,
   * and only the fields that are read.
   */
  forEach(visit: (session: SessionSummary) => void): void {
    for (let i = 0; i < this.size; i++) {
      const flows = this.flows(i).map((flow) => {
        const f = this.view(flow);
        return { part: f.part, transport: f.transport, publicAddress: f.publicAddress || undefined };
      });
      visit({ protocol: this.protocol(i), client: this.client(i), server: this.server(i), family: this.family(i), flows });
    }
  }
}

/** Finds an id for each distinct string, kept in `values`; '' is 0. */
class Strings {
  private ids: Record<string, number> = Object.create(null);
  /** The last string asked and its id: a table repeats them line after line. */
  private last = '';
  private lastId = 0;

  /** values: shared with another table, to keep the ids of both in one array. */
  constructor(public values = ['']) {}

  /** Drops the lookup (values stay): no more ids will be asked. */
  forget(): void {
    this.ids = Object.create(null);
  }

  id(text: string): number {
    if (text !== this.last) {
      this.last = text;
      this.lastId = text === '' ? 0 : this.ids[text] ?? (this.values.push(text), (this.ids[text] = this.values.length - 1));
    }
    return this.lastId;
  }
}

export class SessionCollector {
  /** @internal Flow integers, I.STRIDE per flow. */
  ints = new Int32Array(64 * I.STRIDE);
  /** @internal Flow counters, F.STRIDE per flow. */
  nums = new Float64Array(64 * F.STRIDE);
  private flowCount = 0;
  /** @internal Session integers, S.STRIDE per session. */
  sInts = new Int32Array(64 * S.STRIDE);
  private sessionCount = 0;
  /** Session key (keyOf) -> index. */
  private sessionIds: Record<string, number> = Object.create(null);
  /** Addresses of clients and servers. */
  private addressTable = new Strings();
  /** Public addresses; states and helpers (each table keeps its last string at hand). */
  private stringTable = new Strings();
  private states = new Strings(this.stringTable.values);
  /** @internal */
  addresses = this.addressTable.values;
  /** @internal */
  strings = this.stringTable.values;
  /** Where the LAN's membership of an address was asked already (for VPN entries only: bounded by them). */
  private onLan: Record<string, boolean> = Object.create(null);
  private scanner = new ConntrackScanner(INTEREST, (line) => this.add(line));
  private list: SessionList | null = null;

  /** lan: the LAN's subnets, where known (see add). */
  constructor(private lan: Subnets | null = null) {}

  /** Conntrack entries read, VPN or not. */
  get rows(): number {
    return this.scanner.rows;
  }

  /** A piece of the table's bytes; lines may span pieces. */
  push(chunk: Uint8Array): void {
    this.scanner.push(chunk);
  }

  /** The sessions, grouped and ordered; the table is complete once this is asked. */
  sessions(): SessionList {
    if (this.list === null) {
      this.scanner.end();
      this.mergeGre();
      // The lookups are done with: their memory goes before the sort's comes.
      this.sessionIds = Object.create(null);
      this.onLan = Object.create(null);
      this.addressTable.forget();
      this.stringTable.forget();
      this.states.forget();
      this.list = new SessionList(this, this.sortSessions());
    }
    return this.list;
  }

  /** The sessions grouped by client, clients and sessions in a stable order, as objects. */
  result(): ClientSessions[] {
    return this.sessions().clients();
  }

  /**
   * One line that may be VPN traffic, read from the match straight into the
   * arrays. With the LAN's subnets known, the client is the side on the LAN,
   * and entries without one (the router's own VPNs, inbound connections)
   * are no passthrough. Without them, a translated destination is taken to
   * mean the entry came in from the outside (a PPTP helper may see the
   * server's GRE first).
   */
  private add(line: string): void {
    const m = matchEntry(line);
    if (m === null) return;
    // Where /proc prints an IPv6 address in full, address() shortens it.
    let x: string | undefined = m[M_ORIGINAL + T_SRC];
    const originalSrc = x.length === 39 ? address(x) : x;
    x = m[M_REPLY + T_SRC];
    const replySrc = x.length === 39 ? address(x) : x;
    let outbound: boolean;
    if (this.lan === null) outbound = address(m[M_ORIGINAL + T_DST]) === replySrc;
    else if (this.isLan(originalSrc)) outbound = true;
    else if (this.isLan(replySrc)) outbound = false;
    else return;
    const client = outbound ? M_ORIGINAL : M_REPLY;
    const server = outbound ? M_REPLY : M_ORIGINAL;
    const protonum = +m[M_PROTONUM];
    const transport = TRANSPORT_OF[protonum];
    const gre = transport === GRE;
    // The kernel tracks GRE keys (PPTP Call IDs) for version 1 only.
    const part = gre
      ? GRE_PART[parseInt(m[client + T_SRCKEY], 16) || parseInt(m[client + T_DSTKEY], 16) ? 1 : 0]
      : PART_OF[transport < 2 ? protonum * 65536 + +m[client + T_DPORT] : protonum];
    if (part === undefined || part < 0) return;

    const f = this.flowCount++;
    if (f * I.STRIDE >= this.ints.length) {
      this.ints = grown(this.ints);
      this.nums = grown(this.nums);
    }
    const ints = this.ints;
    const nums = this.nums;
    const at = f * I.STRIDE;
    const rest = m[0].length;
    ints[at + I.NEXT] = -1;
    ints[at + I.TRANSPORT] = transport;
    ints[at + I.PART] = part;
    ints[at + I.FLAGS] = (m[M_UNREPLIED] === undefined ? 1 : 0) | (line.indexOf('OFFLOAD]', rest) >= 0 ? 2 : 0);
    ints[at + I.TIMEOUT] = (x = m[M_TIMEOUT]) === undefined ? -1 : +x;
    ints[at + I.CLIENT_PORT] = (x = m[client + T_SPORT]) === undefined ? -1 : +x;
    ints[at + I.SERVER_PORT] = (x = m[client + T_DPORT]) === undefined ? -1 : +x;
    ints[at + I.CALL_CLIENT] = -1;
    ints[at + I.CALL_TRANSLATED] = -1;
    if (gre && part === PPTP_PART) {
      const own = key(m, client + T_SRCKEY);
      const seen = key(m, server + T_DSTKEY);
      ints[at + I.CALL_CLIENT] = own;
      ints[at + I.CALL_SERVER] = key(m, client + T_DSTKEY);
      if (seen !== own) ints[at + I.CALL_TRANSLATED] = seen;
    }
    // The address the client's packets left with, where the router translated it.
    x = address(m[server + T_DST]);
    ints[at + I.PUBLIC] = x === (outbound ? originalSrc : replySrc) ? 0 : this.stringTable.id(x);
    ints[at + I.STATE] = (x = m[M_STATE]) === undefined ? 0 : this.states.id(x);
    ints[at + I.HELPER] = (x = after(line, ' helper=', rest)) ? this.states.id(x) : 0;
    ints[at + I.AGE] = (x = after(line, ' delta-time=', rest)) === undefined ? -1 : +x;
    const n = f * F.STRIDE;
    nums[n + F.SENT_PACKETS] = (x = m[client + T_PACKETS]) === undefined ? -1 : +x;
    nums[n + F.SENT_BYTES] = (x = m[client + T_BYTES]) === undefined ? -1 : +x;
    nums[n + F.RECEIVED_PACKETS] = (x = m[server + T_PACKETS]) === undefined ? -1 : +x;
    nums[n + F.RECEIVED_BYTES] = (x = m[server + T_BYTES]) === undefined ? -1 : +x;
    const serverAddress = m[client + T_DST];
    const s = this.sessionFor(
      PROTOCOL_OF[part],
      outbound ? originalSrc : replySrc,
      serverAddress.length === 39 ? address(serverAddress) : serverAddress,
      m[M_FAMILY] === 'ipv6' || (m[M_FAMILY] === undefined && originalSrc.indexOf(':') >= 0),
    );
    ints[at + I.SESSION] = s;
    // Appended to the session's list of flows.
    const sat = s * S.STRIDE;
    if (this.sInts[sat + S.FIRST] < 0) this.sInts[sat + S.FIRST] = f;
    else ints[this.sInts[sat + S.LAST] * I.STRIDE + I.NEXT] = f;
    this.sInts[sat + S.LAST] = f;
  }

  /** Whether an address is on the LAN, remembered for each address seen (a table repeats its clients). */
  private isLan(address: string): boolean {
    return (this.onLan[address] ??= this.lan!.contains(address));
  }

  private sessionFor(protocol: number, client: string, server: string, ipv6: boolean): number {
    const key = keyOf(protocol, client, server);
    let s = this.sessionIds[key];
    if (s === undefined) {
      s = this.sessionIds[key] = this.sessionCount++;
      if (s * S.STRIDE >= this.sInts.length) this.sInts = grown(this.sInts);
      this.sInts.set([protocol, ipv6 ? 1 : 0, -1, -1, this.addressTable.id(client), this.addressTable.id(server)], s * S.STRIDE);
    }
    return s;
  }

  /** Appends the flows first..last (already linked) to session s. */
  private append(s: number, first: number, last: number): void {
    const at = s * S.STRIDE;
    if (this.sInts[at + S.FIRST] < 0) this.sInts[at + S.FIRST] = first;
    else this.ints[this.sInts[at + S.LAST] * I.STRIDE + I.NEXT] = first;
    this.sInts[at + S.LAST] = last;
  }

  /**
   * GRE without keys looks plain, yet is PPTP's when a PPTP session joins the
   * same client and server (its control connection may come later in the
   * table): such flows move to that session, after its own.
   */
  private mergeGre(): void {
    const sInts = this.sInts;
    for (let at = 0; at < this.sessionCount * S.STRIDE; at += S.STRIDE) {
      const pptp = sInts[at + S.PROTOCOL] === PLAIN_GRE ? this.sessionIds[keyOf(PPTP, this.addresses[sInts[at + S.CLIENT]], this.addresses[sInts[at + S.SERVER]])] : undefined;
      if (pptp === undefined) continue;
      for (let f = sInts[at + S.FIRST]; f >= 0; f = this.ints[f * I.STRIDE + I.NEXT]) {
        this.ints[f * I.STRIDE + I.SESSION] = pptp;
        this.ints[f * I.STRIDE + I.PART] = PPTP_PART;
      }
      this.append(pptp, sInts[at + S.FIRST], sInts[at + S.LAST]);
      sInts[at + S.FIRST] = -1;
    }
  }

  /**
   * Session indices in listing order, by one native sort (no callback) of
   * keys made of the client's address key, the protocol, the server's, and
   * the index in four characters at the end.
   */
  private sortSessions(): Int32Array {
    const sInts = this.sInts;
    // Each address once: a table repeats its clients and servers.
    const addressKeys = this.addresses.map(addressKey);
    const keys: string[] = [];
    for (let s = 0; s < this.sessionCount; s++) {
      const at = s * S.STRIDE;
      if (sInts[at + S.FIRST] >= 0) {
        keys.push(`${addressKeys[sInts[at + S.CLIENT]]}${sInts[at + S.PROTOCOL]}${addressKeys[sInts[at + S.SERVER]]}${String.fromCharCode(s >>> 24, (s >>> 16) & 255, (s >>> 8) & 255, s & 255)}`);
      }
    }
    keys.sort();
    return Int32Array.from(keys, (k) => {
      const n = k.length;
      return (k.charCodeAt(n - 4) << 24) | (k.charCodeAt(n - 3) << 16) | (k.charCodeAt(n - 2) << 8) | k.charCodeAt(n - 1);
    });
  }
}
