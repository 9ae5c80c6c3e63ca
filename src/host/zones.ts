// firewall4 zones -> devices. Reads fw4's state file, which exists whenever
// fw4 runs (and before it calls our include); falls back to `fw4 -q zone`,
// which must never run from inside an include: fw4 holds its lock then.

import { readFw4State, type Fw4State } from './fw4state.ts';
import type { Paths } from './paths.ts';
import type { System } from './system.ts';
import { interfaceDump } from './ubus.ts';

export interface ZoneDevices {
  devices: string[];
  notes: string[];
}

/**
 * fw4 writes "/never/" for "!+" and keeps a bare "+" (any device), which an
 * nft interface set cannot hold ("all-wildcard strings are not supported").
 */
function normalize(zone: string, devices: string[], notes: string[]): string[] {
  if (devices.indexOf('+') >= 0) {
    notes.push(`zone '${zone}' covers every device ('+'), which cannot be matched as LAN; list LAN devices in lan_device`);
  }
  return devices.filter((d) => d !== '/never/' && d !== '+');
}

function fromState(state: Fw4State, zones: string[], notes: string[]): string[] {
  const devices: string[] = [];
  for (const name of zones) {
    const zone = (state.zones ?? []).find((z) => z.name === name);
    if (zone === undefined) notes.push(`zone '${name}' is not in firewall4's configuration`);
    else devices.push(...normalize(name, zone.match_devices ?? [], notes));
  }
  return devices;
}

function fromCli(sys: System, zones: string[], notes: string[]): string[] {
  const devices: string[] = [];
  for (const name of zones) {
    const r = sys.exec(['fw4', '-q', 'zone', name]);
    if (r.status === 127) {
      notes.push(`cannot resolve zone '${name}': firewall4 is not installed; list LAN devices in option lan_device`);
    } else if (r.status !== 0) {
      notes.push(`cannot resolve zone '${name}': ${r.stderr.trim() || 'unknown zone, or firewall4 is not running'}`);
    } else {
      devices.push(...normalize(name, r.stdout.split('\n').filter((d) => d !== ''), notes));
    }
  }
  return devices;
}

export function resolveZones(sys: System, paths: Paths, zones: string[]): ZoneDevices {
  const notes: string[] = [];
  if (zones.length === 0) return { devices: [], notes };
  const state = readFw4State(sys, paths);
  const fromFile = state !== null && fromState(state, zones, notes);
  if (!fromFile && paths.inFirewall) notes.push(`cannot resolve ${zones.join(', ')}: ${paths.fw4State} is unreadable, and fw4 cannot be asked while it runs our include`);
  const devices = fromFile || (paths.inFirewall ? [] : fromCli(sys, zones, notes));
  return { devices: devices.filter((d, i) => devices.indexOf(d) === i), notes };
}

interface Network {
  zone?: string;
  device?: string;
  /** Addresses with their prefix length. */
  subnets: string[];
}

/**
 * fw4's state keeps its copy of netifd's interfaces, addresses as {addr,
 * bits}. An interface's own `zone` is null unless netifd's data names one;
 * otherwise its zone is the one that lists it in `network`.
 */
function networksFromState(state: Fw4State | null): Network[] {
  const networks = state?.networks ?? {};
  const zoneOf = new Map<string, string>();
  for (const z of state?.zones ?? []) {
    for (const n of z.network ?? []) if (!n.invert && z.name !== undefined) zoneOf.set(n.device ?? n.val ?? '', z.name);
  }
  return Object.keys(networks).map((name) => {
    const net = networks[name];
    const subnets = (net.ipaddrs ?? []).filter((a) => a.addr && a.bits !== undefined).map((a) => `${a.addr}/${a.bits}`);
    return { zone: net.zone ?? zoneOf.get(name), device: net.device, subnets };
  });
}

function networksFromUbus(sys: System): Network[] {
  return (interfaceDump(sys)?.interface ?? []).map((i) => {
    const addrs = [...(i['ipv4-address'] ?? []), ...(i['ipv6-address'] ?? [])];
    for (const p of i['ipv6-prefix-assignment'] ?? []) if (p['local-address']) addrs.push(p['local-address']);
    return { zone: i.data?.zone, device: i.l3_device ?? i.device, subnets: addrs.map((a) => `${a.address}/${a.mask}`) };
  });
}

/**
 * The LAN's subnets: the addresses of the networks in the LAN zones or on
 * LAN devices, from fw4's state, else from netifd over ubus (not from
 * inside the firewall include: fw4's state is there). null when neither
 * says, so callers fall back to guessing.
 */
export function lanSubnets(sys: System, paths: Paths, zones: string[], devices: string[]): string[] | null {
  let networks = networksFromState(readFw4State(sys, paths));
  if (networks.length === 0 && !paths.inFirewall) networks = networksFromUbus(sys);
  const subnets: string[] = [];
  for (const net of networks) {
    const onLan = (net.zone !== undefined && zones.indexOf(net.zone) >= 0) || (net.device !== undefined && devices.indexOf(net.device) >= 0);
    if (onLan) subnets.push(...net.subnets);
  }
  return subnets.length > 0 ? subnets : null;
}
