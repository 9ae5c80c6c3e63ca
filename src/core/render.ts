// Config + system facts -> the one nft script that replaces our table.
// Pure and deterministic: the golden files under test/golden are its output.

import type { Address } from './address.ts';
import { modeOf, type Config, type ProtocolConfig } from './config.ts';
import { ESP_SENDERS, FAMILY, HELPER_COUNTER, LOADED_FROM, TABLE } from './counters.ts';
import { ELSEWHERE_FROM_LAN, ELSEWHERE_TO_LAN, NOTE_SENDER, renderL2tpAnswers } from './l2tp.ts';
import { chain, dynamicSet, list, T } from './nftext.ts';
import { PARTS, PPTP_HELPER, PROTOCOLS, partsOf, type Part } from './protocols.ts';
import { clearObjects } from './replace.ts';
import { formatTime } from './timed.ts';
import { renderUsageSets, usageRules, usageSetNames } from './usage.ts';

/** What the system adds to the config: known only on the router. */
export interface Facts {
  /** LAN devices resolved from the zones plus lan_device, deduplicated. */
  lanDevices: string[];
  /** Whether the kernel has the PPTP conntrack helper. */
  pptpHelper: boolean;
  /** Where the config came from, for the header. */
  source: string;
  /** configStamp of the config's bytes, and at apply which load: the table says which config it holds. */
  stamp: string;
  /** Seconds since boot: when a usage record this load creates began. */
  uptime: number;
  /** With PPTP blocked: the kernel may have the helper (loaded or built in), so a table of an earlier apply may hold its object. */
  helperLoaded?: boolean;
  /** false: the kernel refused the expectations of L2TP answers from another port (apply learnt it from a load). */
  l2tpAnswers?: boolean;
  /** Replace the table whole, usage record included (after a load that could not keep it). */
  wholeTable?: boolean;
}

function setBlock(name: string, type: string, elements: string[], interval: boolean): string[] {
  const lines = [`${T}set ${name} {`, `${T}${T}type ${type}`];
  if (interval) lines.push(`${T}${T}flags interval`, `${T}${T}auto-merge`);
  if (elements.length > 0) lines.push(`${T}${T}elements = ${list(elements)}`);
  return [...lines, `${T}}`, ''];
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

/** The scope sets a protocol needs: only for an allow that is narrowed. */
interface Scope {
  clientV4: string[];
  clientV6: string[];
  clientMac: string[];
  hasClients: boolean;
  hasServers: boolean;
  serverV4: string[];
  serverV6: string[];
}

function scopeOf(p: ProtocolConfig): Scope {
  const of = (items: Address[], family: Address['family']) =>
    unique(items.filter((a) => a.family === family).map((a) => a.text));
  return {
    clientV4: of(p.clients, 'ipv4'),
    clientV6: of(p.clients, 'ipv6'),
    clientMac: of(p.clients, 'mac'),
    hasClients: p.clients.length > 0,
    hasServers: p.servers.length > 0,
    serverV4: of(p.servers, 'ipv4'),
    serverV6: of(p.servers, 'ipv6'),
  };
}

function isNarrowed(p: ProtocolConfig): boolean {
  return p.family !== 'any' || p.clients.length > 0 || p.servers.length > 0;
}

function renderSets(config: Config, facts: Facts): string[] {
  const out = setBlock('lan_devices', 'ifname', unique(facts.lanDevices).sort().map((d) => `"${d}"`), true);
  out.push(
    ...dynamicSet('inbound_pptp_v4', 'ipv4_addr . ipv4_addr', 'PPTP servers on the LAN and their peers outside, from control connections opened from outside.'),
    ...dynamicSet('inbound_pptp_v6', 'ipv6_addr . ipv6_addr', 'The same in IPv6.'),
  );
  if (config.protocols.ipsec.esp === 'allow') {
    // Filled by the forward path before NAT: a second client's raw ESP to the
    // same server never gets a conntrack entry, but it is seen here.
    out.push(...dynamicSet(ESP_SENDERS, 'ipv4_addr . ipv4_addr', 'LAN clients sending raw ESP, by server: doctor tells clashes from these.'));
  }
  for (const { name } of PROTOCOLS) {
    const p = config.protocols[name];
    const allowed = partsOf(name).some((part) => modeOf(config, part) === 'allow');
    if (!allowed || !isNarrowed(p)) continue;
    const s = scopeOf(p);
    const v4 = p.family !== 'ipv6';
    const v6 = p.family !== 'ipv4';
    if (s.hasClients && v4) out.push(...setBlock(`${name}_client_v4`, 'ipv4_addr', s.clientV4, true));
    if (s.hasClients && v6) out.push(...setBlock(`${name}_client_v6`, 'ipv6_addr', s.clientV6, true));
    if (s.hasClients) out.push(...setBlock(`${name}_client_mac`, 'ether_addr', s.clientMac, false));
    if (s.hasServers && v4) out.push(...setBlock(`${name}_server_v4`, 'ipv4_addr', s.serverV4, true));
    if (s.hasServers && v6) out.push(...setBlock(`${name}_server_v6`, 'ipv6_addr', s.serverV6, true));
  }
  return out;
}

function renderCounters(): string[] {
  const out: string[] = [];
  for (const part of PARTS) {
    out.push(`${T}counter ${part.name}_passed {`, `${T}${T}comment "${part.title}: let through"`, `${T}}`);
    out.push(`${T}counter ${part.name}_blocked {`, `${T}${T}comment "${part.title}: rejected"`, `${T}}`, '');
  }
  return out;
}

/** Counts, logs and rejects: tcp reset for TCP, ICMP admin-prohibited otherwise. */
function refuseRules(config: Config, part: Part): string[] {
  const out: string[] = [];
  if (config.log) {
    out.push(`limit rate ${config.logLimit} log prefix "vpn-passthrough: ${part.name} blocked: " level info`);
  }
  out.push(`counter name "${part.name}_blocked"`);
  if (part.matches.some((m) => m.kind === 'port' && m.l4proto === 'tcp')) out.push('meta l4proto tcp reject with tcp reset');
  out.push('reject with icmpx admin-prohibited');
  return out;
}

/** An allow narrowed by family, server or client: what is outside goes to refuse_<part>, the rest returns. */
function scopeRules(p: ProtocolConfig, part: Part): string[] {
  const refuse = `goto refuse_${part.name}`;
  const s = scopeOf(p);
  const out: string[] = [];
  if (p.family === 'ipv4') out.push(`meta nfproto ipv6 ${refuse}`);
  if (p.family === 'ipv6') out.push(`meta nfproto ipv4 ${refuse}`);
  if (s.hasServers && p.family !== 'ipv6') out.push(`ip daddr != @${p.name}_server_v4 ${refuse}`);
  if (s.hasServers && p.family !== 'ipv4') out.push(`ip6 daddr != @${p.name}_server_v6 ${refuse}`);
  if (!s.hasClients) return out;
  if (p.family !== 'ipv6') out.push(`ip saddr @${p.name}_client_v4 return`);
  if (p.family !== 'ipv4') out.push(`ip6 saddr @${p.name}_client_v6 return`);
  out.push(`ether saddr @${p.name}_client_mac return`, refuse);
  return out;
}

/** What an allow does with a packet it lets through: count it, and note raw ESP and L2TP senders through IPv4 NAT for doctor. */
function passRules(config: Config, part: Part): string[] {
  const notes: Partial<Record<Part['name'], string>> = {
    esp: `meta nfproto ipv4 iifname @lan_devices update @${ESP_SENDERS} { ip saddr . ip daddr } comment "raw ESP through NAT: one LAN client per server"`,
    l2tp: config.protocols.l2tp.family === 'ipv6' ? undefined : NOTE_SENDER,
  };
  const note = notes[part.name];
  return [...(note ? [note] : []), ...usageRules(part.protocol), `counter name "${part.name}_passed"`];
}

/** A timed allow of the part: its deadline, as a rule that sends every packet to refuse_<part> from then on. */
function deadlineOf(config: Config, part: Part): string | null {
  const p = config.protocols[part.protocol];
  // Raw ESP/AH end with the allow unless set apart (an esp equal to the mode follows it).
  if (p.until === null || p.mode !== 'allow' || (part.modeOption === 'esp' && p.esp !== p.mode)) return null;
  return `meta time >= ${p.until} goto refuse_${part.name} comment "allowed until ${formatTime(p.until)}"`;
}

function renderPartChains(config: Config): string[] {
  const out: string[] = [];
  for (const part of PARTS) {
    const p = config.protocols[part.protocol];
    const mode = modeOf(config, part);
    const deadline = deadlineOf(config, part);
    // The deadline comes first and holds for every packet: when it passes, live tunnels stop too.
    const timed = deadline ? [deadline] : [];
    const until = deadline ? `, until ${formatTime(p.until!)}` : '';
    if (mode === 'block') {
      out.push(...chain(`handle_${part.name}`, refuseRules(config, part), `${part.title}: block`));
    } else if (!isNarrowed(p)) {
      out.push(...chain(`handle_${part.name}`, [...timed, ...passRules(config, part)], `${part.title}: allow${until}`));
      if (deadline) out.push(...chain(`refuse_${part.name}`, refuseRules(config, part)));
    } else {
      // Only requests from LAN clients are judged; replies belong to a request that was.
      const judge = `iifname @lan_devices jump scope_${part.name}`;
      out.push(...chain(`handle_${part.name}`, [...timed, judge, ...passRules(config, part)], `${part.title}: allow, narrowed${until}`));
      out.push(...chain(`scope_${part.name}`, scopeRules(p, part)));
      out.push(...chain(`refuse_${part.name}`, refuseRules(config, part)));
    }
  }
  return out;
}

function portMap(direction: 'dport' | 'sport'): string {
  const entries: string[] = [];
  for (const part of PARTS) {
    for (const m of part.matches) {
      if (m.kind === 'port') entries.push(`${m.l4proto} . ${m.port} : jump handle_${part.name}`);
    }
  }
  return `meta l4proto . th ${direction} vmap ${list(entries)}`;
}

function greMap(): string {
  const entries: string[] = [];
  for (const part of PARTS) {
    for (const m of part.matches) if (m.kind === 'gre') entries.push(`${m.version} : jump handle_${part.name}`);
  }
  return list(entries.sort());
}

function protoMap(): string {
  const entries = ['gre : jump gre_version'];
  for (const part of PARTS) {
    for (const m of part.matches) if (m.kind === 'proto') entries.push(`${m.l4proto} : jump handle_${part.name}`);
  }
  return `meta l4proto vmap ${list(entries)}`;
}

// A connection opened from outside towards the LAN (a port forward to a VPN
// server on a LAN host) is not passthrough: firewall4 alone judges it.
// Expected connections (PPTP's GRE, which the server may open) belong to the
// control connection that a LAN client opened, and stay ours.
const OPENED_OUTSIDE = 'ct status & expected == 0';

// A PPTP server on the LAN sends its GRE in a conntrack entry of its own
// (GRE keys differ by direction; no helper pairs them on a port forward), so
// it looks like a LAN client's. Its control connection, opened from outside,
// names the pair; the GRE entry it opens is marked, and the mark lives in
// conntrack, so it outlasts the table being replaced. One bit of the
// conntrack mark, kept apart from the bits others use (mwan3 0x3f00).
const LAN_SERVER_MARK = '0x20000000';

function renderDispatch(): string[] {
  return [
    ...chain(
      'forward',
      [
        'type filter hook forward priority filter - 10; policy accept;',
        'iifname @lan_devices goto from_lan',
        'oifname @lan_devices goto to_lan',
      ],
      'Before firewall4 (priority filter): a block also cuts tunnels it would accept as established.',
    ),
    ...chain('from_lan', [
      `ct direction reply ${OPENED_OUTSIDE} return comment "opened from outside (port forward): firewall4 judges it"`,
      ELSEWHERE_FROM_LAN,
      portMap('dport'),
      protoMap(),
    ]),
    ...chain('to_lan', [`ct direction original ${OPENED_OUTSIDE} goto opened_outside`, ELSEWHERE_TO_LAN, portMap('sport'), protoMap()]),
    ...chain(
      'opened_outside',
      [
        `tcp dport ${PPTP_HELPER.port} update @inbound_pptp_v4 { ip daddr . ip saddr }`,
        `tcp dport ${PPTP_HELPER.port} update @inbound_pptp_v6 { ip6 daddr . ip6 saddr }`,
      ],
      'Opened from outside (a port forward to a server on the LAN): firewall4 judges it.',
    ),
    ...chain(
      'gre_version',
      [
        `ct mark & ${LAN_SERVER_MARK} == ${LAN_SERVER_MARK} return comment "GRE of a PPTP server on the LAN"`,
        `ct state new ip saddr . ip daddr @inbound_pptp_v4 ct mark set ct mark | ${LAN_SERVER_MARK} return`,
        `ct state new ip6 saddr . ip6 daddr @inbound_pptp_v6 ct mark set ct mark | ${LAN_SERVER_MARK} return`,
        `ip protocol gre @th,13,3 vmap ${greMap()}`,
        `ip6 nexthdr gre @th,13,3 vmap ${greMap()}`,
      ],
      'The GRE version field tells PPTP (enhanced GRE, version 1) from plain GRE (version 0).',
    ),
  ];
}

function renderHelper(config: Config, facts: Facts): string[] {
  if (config.protocols.pptp.mode !== 'allow' || !facts.pptpHelper) return [];
  // Only a new connection can take a helper; counting those tells doctor how many did.
  // The port first: every packet the router forwards passes this hook, and a
  // comparison costs less than the device set's lookup.
  const match = `tcp dport ${PPTP_HELPER.port} ct state new meta nfproto ipv4`;
  const assign = `counter name "${HELPER_COUNTER}" ct helper set "${PPTP_HELPER.name}"`;
  return [
    `${T}# Call-ID translation, so that several LAN clients can reach one PPTP server.`,
    `${T}ct helper ${PPTP_HELPER.name} {`,
    `${T}${T}type "${PPTP_HELPER.type}" protocol ${PPTP_HELPER.l4proto}`,
    `${T}${T}l3proto ip`,
    `${T}}`,
    '',
    `${T}counter ${HELPER_COUNTER} {`,
    `${T}${T}comment "new PPTP control connections handed to the helper"`,
    `${T}}`,
    '',
    ...chain('prerouting', [
      'type filter hook prerouting priority filter; policy accept;',
      `${match} iifname @lan_devices ${assign} comment "PPTP from LAN clients"`,
    ]),
    ...chain('output', [
      'type filter hook output priority filter; policy accept;',
      `${match} ${assign} comment "PPTP from the router itself"`,
    ]),
  ];
}

function describe(config: Config, facts: Facts): string[] {
  const source = facts.source.replace(/[\x00-\x1f\x7f]/g, '?');
  const out = [`# Rendered from ${source}. Do not edit: \`vpn-passthrough apply\` replaces the table (all but its usage record).`, '#'];
  for (const { name } of PROTOCOLS) {
    const p = config.protocols[name];
    const bits: string[] = [p.mode];
    if (p.until !== null && p.expired) bits.push(`(the allow until ${formatTime(p.until)} has ended)`);
    else if (p.until !== null && p.mode === 'allow') bits.push(`until ${formatTime(p.until)}`);
    if (name === 'ipsec' && p.esp !== p.mode) bits.push(`(esp/ah: ${p.esp})`);
    if (p.family !== 'any') bits.push(`family ${p.family}`);
    if (p.clients.length) bits.push(`clients ${p.clients.map((a) => a.text).join(' ')}`);
    if (p.servers.length) bits.push(`servers ${p.servers.map((a) => a.text).join(' ')}`);
    out.push(`#   ${name.padEnd(6)}${bits.join(' ')}`);
  }
  if (config.protocols.pptp.mode === 'allow' && !facts.pptpHelper) {
    out.push('#', `# No PPTP helper in this kernel (${PPTP_HELPER.openwrtPackage}): one PPTP client per server at a time.`);
  }
  if (config.protocols.l2tp.mode === 'allow' && facts.l2tpAnswers === false) {
    out.push('#', '# This kernel refuses conntrack expectations in an inet table: L2TP servers that answer from another port get no answers through.');
  }
  return out;
}

const REPLACE = [`table ${FAMILY} ${TABLE}`, `delete table ${FAMILY} ${TABLE}`];

/**
 * The config with every object there is: each protocol allowed and
 * narrowed in every way (clients by IPv4, IPv6 and MAC, servers in both
 * families). What an apply deletes is read from its script (replace.ts).
 */
function everything(config: Config): Config {
  const clients: Address[] = [{ family: 'ipv4', text: '192.0.2.1' }, { family: 'ipv6', text: '2001:db8::1' }, { family: 'mac', text: '02:00:00:00:00:01' }];
  const servers: Address[] = [{ family: 'ipv4', text: '192.0.2.2' }, { family: 'ipv6', text: '2001:db8::2' }];
  const protocols = {} as Config['protocols'];
  for (const { name } of PROTOCOLS) {
    protocols[name] = { ...config.protocols[name], mode: 'allow', esp: 'allow', family: 'any', clients, servers, until: null, expired: false };
  }
  return { ...config, protocols };
}

/**
 * The replacement of the table: every rule and every object goes, but the
 * usage record; the table block then declares the new ones and the record
 * (which stays as it is where it exists).
 */
function renderReplace(config: Config, facts: Facts): string[] {
  if (facts.wholeTable) return REPLACE;
  const all = tableBody(everything(config), { ...facts, pptpHelper: true });
  // The helper object can be declared only where the kernel has the helper, and only there can a table hold one.
  const helper = facts.pptpHelper || !!facts.helperLoaded;
  const keep = usageSetNames();
  const clear = clearObjects(`${FAMILY} ${TABLE}`, all, (kind, name) => keep.indexOf(name) >= 0 || (kind === 'ct helper' && !helper));
  return [
    `# Every rule and object goes but the usage record (the sets used_*), in the same transaction as the rest.`,
    `# nft fails on deleting what is not there, so each object is declared first (a no-op where it exists).`,
    `table ${FAMILY} ${TABLE}`,
    `flush table ${FAMILY} ${TABLE}`,
    ...clear,
  ];
}

function tableBody(config: Config, facts: Facts): string[] {
  const body = [
    `${T}# The config this table was loaded from (apply reads it back after a failed load).`,
    `${T}counter ${LOADED_FROM} {`,
    `${T}${T}comment "config ${facts.stamp}"`,
    `${T}}`,
    '',
    ...renderHelper(config, facts),
    ...renderCounters(),
    // First of the sets: the kernel lists sets in the order they were made, and these outlast the others.
    ...renderUsageSets(facts.uptime),
    ...renderSets(config, facts),
    ...renderL2tpAnswers(config, facts.l2tpAnswers !== false),
    ...renderDispatch(),
    ...renderPartChains(config),
  ];
  body.pop();
  return body;
}

export function renderRuleset(config: Config, facts: Facts): string {
  if (!config.enabled) {
    return [`# vpn-passthrough is disabled (option enabled '0'): the table is removed.`, ...REPLACE, ''].join('\n');
  }
  const body = tableBody(config, facts);
  return [...describe(config, facts), '', ...renderReplace(config, facts), '', `table ${FAMILY} ${TABLE} {`, ...body, '}', ''].join('\n');
}
