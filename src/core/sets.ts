// The sets of the table but the usage record: the LAN devices, the pairs the
// packet path notes, and the clients and servers an allow is narrowed to.

import type { Address } from './address.ts';
import { modeOf, type Config, type ProtocolConfig } from './config.ts';
import { ESP_SENDERS } from './counters.ts';
import { dynamicSet, list, T } from './nftext.ts';
import { PROTOCOLS, partsOf } from './protocols.ts';

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

export function scopeOf(p: ProtocolConfig): Scope {
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

export function isNarrowed(p: ProtocolConfig): boolean {
  return p.family !== 'any' || p.clients.length > 0 || p.servers.length > 0;
}

export function renderSets(config: Config, lanDevices: string[]): string[] {
  const out = setBlock('lan_devices', 'ifname', unique(lanDevices).sort().map((d) => `"${d}"`), true);
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
