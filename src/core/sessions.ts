// Conntrack entries -> VPN sessions per LAN client. A session is what one
// client has open to one server over one protocol: PPTP's control connection
// with its GRE flows, IKE with its NAT-T, ESP and AH flows. Fed the table in
// chunks, it keeps only VPN flows, so memory follows the VPN traffic, not the
// size of the conntrack table.

import type { Subnets } from './address.ts';
import { ConntrackScanner, type Entry, type Interest, type Tuple } from './conntrack.ts';
import type { Count } from './counters.ts';
import { PARTS, PROTOCOLS, type Part, type PartName, type ProtocolName } from './protocols.ts';

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

export interface ClientSessions {
  client: string;
  sessions: Session[];
}

const PROTONUM = { tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51 } as const;
/** In the order flows are listed: control connections first. */
const TRANSPORTS = Object.keys(PROTONUM);
const TRANSPORT: Record<number, string> = {};
for (const name of TRANSPORTS) TRANSPORT[PROTONUM[name as keyof typeof PROTONUM]] = name;

/** Client to server, whichever side opened the entry (a PPTP helper may see the server's GRE first). */
interface Oriented {
  client: Tuple;
  server: Tuple;
  /** The tuple the client's packets hit before translation, for the public address. */
  publicAddress?: string;
}

/**
 * Client to server, whichever side opened the entry (a PPTP helper may see
 * the server's GRE first). With the LAN's subnets known, the client is the
 * side on the LAN and entries without one (the router's own VPNs, inbound
 * connections) are no passthrough; without them, a translated destination
 * is taken to mean the entry came in from the outside.
 */
function orient(e: Entry, lan: Subnets | null): Oriented | null {
  const outbound = (): Oriented => ({
    client: e.original,
    server: e.reply,
    publicAddress: e.reply.dst !== e.original.src ? e.reply.dst : undefined,
  });
  const inbound = (): Oriented => ({ client: e.reply, server: e.original, publicAddress: e.original.dst !== e.reply.src ? e.original.dst : undefined });
  if (lan === null) return e.original.dst !== e.reply.src ? inbound() : outbound();
  if (lan.contains(e.original.src)) return outbound();
  if (lan.contains(e.reply.src)) return inbound();
  return null;
}

// PARTS indexed by what an entry shows: "tcp 1723", "esp", "gre 1"; and
// what the scanner should look for.
const PART_INDEX = new Map<string, Part>();
const INTEREST: Interest = { protocols: [], ports: [] };
for (const part of PARTS) {
  for (const m of part.matches) {
    PART_INDEX.set(m.kind === 'port' ? `${m.l4proto} ${m.port}` : m.kind === 'proto' ? m.l4proto : `gre ${m.version}`, part);
    if (m.kind === 'port') INTEREST.ports.push({ protonum: PROTONUM[m.l4proto], port: m.port });
    else INTEREST.protocols.push(PROTONUM[m.kind === 'proto' ? m.l4proto : 'gre']);
  }
}

function partOf(transport: string, o: Oriented): Part | undefined {
  if (transport === 'tcp' || transport === 'udp') return PART_INDEX.get(`${transport} ${o.client.dport}`);
  // The kernel tracks GRE keys (PPTP Call IDs) for version 1 only.
  if (transport === 'gre') return PART_INDEX.get(o.client.srckey || o.client.dstkey ? 'gre 1' : 'gre 0');
  return PART_INDEX.get(transport);
}

function callIds(o: Oriented): Flow['callIds'] {
  const ids: Flow['callIds'] = { client: o.client.srckey ?? 0, server: o.client.dstkey ?? 0 };
  const seen = o.server.dstkey ?? 0;
  if (seen !== ids.client) ids.translated = seen;
  return ids;
}

function count(t: Tuple): Count | undefined {
  return t.packets === undefined ? undefined : { packets: t.packets, bytes: t.bytes ?? 0 };
}

function toFlow(e: Entry, o: Oriented, part: Part, transport: string): Flow {
  const flow: Flow = { part: part.name, transport, replied: !e.unreplied };
  if (e.timeout !== undefined) flow.timeout = e.timeout;
  if (e.offloaded) flow.offloaded = true;
  if (o.client.sport !== undefined) flow.clientPort = o.client.sport;
  if (o.client.dport !== undefined) flow.serverPort = o.client.dport;
  if (part.name === 'pptp' && transport === 'gre') flow.callIds = callIds(o);
  if (o.publicAddress) flow.publicAddress = o.publicAddress;
  if (e.state) flow.state = e.state;
  if (e.age !== undefined) flow.age = e.age;
  if (e.helper) flow.helper = e.helper;
  const sent = count(o.client);
  const received = count(o.server);
  if (sent) flow.sent = sent;
  if (received) flow.received = received;
  return flow;
}

function add(total: Count | undefined, c: Count | undefined): Count | undefined {
  if (!c) return total;
  return { packets: (total?.packets ?? 0) + c.packets, bytes: (total?.bytes ?? 0) + c.bytes };
}

/** Sort key that orders IPv4 addresses numerically and puts them before IPv6. */
function addressKey(a: string): string {
  if (a.indexOf(':') >= 0) return `1${a}`;
  return `0${a.split('.').map((n) => n.padStart(3, '0')).join('.')}`;
}

function sortBy<T>(items: T[], key: (item: T) => string): T[] {
  const keyed = items.map((item) => ({ item, key: key(item) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map((k) => k.item);
}

const protocolRank = (p: ProtocolName) => PROTOCOLS.findIndex((x) => x.name === p);

export class SessionCollector {
  private sessions = new Map<string, Session>();
  /** Plain-looking GRE, which may still be PPTP's when its control connection shows up. */
  private loneGre: { session: Session; flow: Flow }[] = [];
  private scanner = new ConntrackScanner(INTEREST, (entry) => this.add(entry));

  /** lan: the LAN's subnets, where known (see orient). */
  constructor(private lan: Subnets | null = null) {}

  /** Conntrack entries read, VPN or not. */
  get rows(): number {
    return this.scanner.rows;
  }

  /** A piece of the table's bytes; lines may span pieces. */
  push(chunk: Uint8Array): void {
    this.scanner.push(chunk);
  }

  private add(entry: Entry): void {
    const o = orient(entry, this.lan);
    if (o === null) return;
    const transport = TRANSPORT[entry.protonum];
    const part = partOf(transport, o);
    if (!part) return;
    const flow = toFlow(entry, o, part, transport);
    const probe = { protocol: part.protocol, client: o.client.src, server: o.client.dst, family: entry.family, flows: [] };
    if (part.name === 'gre') this.loneGre.push({ session: probe, flow });
    else this.sessionFor(probe).flows.push(flow);
  }

  private sessionFor(s: Session): Session {
    const key = `${s.protocol} ${s.client} ${s.server}`;
    let session = this.sessions.get(key);
    if (!session) {
      session = s;
      this.sessions.set(key, session);
    }
    return session;
  }

  /** The sessions grouped by client, clients and sessions in a stable order. */
  result(): ClientSessions[] {
    this.scanner.end();
    for (const { session, flow } of this.loneGre) {
      const pptp = this.sessions.get(`pptp ${session.client} ${session.server}`);
      if (pptp) pptp.flows.push({ ...flow, part: 'pptp' });
      else this.sessionFor(session).flows.push(flow);
    }
    this.loneGre = [];
    const clients = new Map<string, Session[]>();
    for (const s of this.sessions.values()) {
      s.sent = s.received = undefined;
      // Control connections first, then the data flows they set up.
      s.flows.sort((a, b) => TRANSPORTS.indexOf(a.transport) - TRANSPORTS.indexOf(b.transport) || (a.serverPort ?? 0) - (b.serverPort ?? 0));
      for (const f of s.flows) {
        s.sent = add(s.sent, f.sent);
        s.received = add(s.received, f.received);
      }
      const list = clients.get(s.client) ?? [];
      list.push(s);
      clients.set(s.client, list);
    }
    return sortBy([...clients.keys()], addressKey).map((client) => ({
      client,
      sessions: sortBy(clients.get(client)!, (s) => `${protocolRank(s.protocol)}${addressKey(s.server)}`),
    }));
  }
}
