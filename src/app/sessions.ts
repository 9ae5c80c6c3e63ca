// `sessions`: live VPN sessions per LAN client from the conntrack table,
// streamed in chunks from /proc, else from `conntrack -L` where the kernel
// has no procfs table or it cannot be read.

import { Subnets } from '../core/address.ts';
import { SessionCollector, type ClientSessions, type SessionList } from '../core/sessions.ts';
import { describeFailure, HostError } from '../host/system.ts';
import { lanSubnets, resolveZones } from '../host/zones.ts';
import { readConfig, type Context } from './context.ts';

export interface Sessions {
  /** Where the entries came from. */
  source: string;
  /** Conntrack entries read, VPN or not. */
  entries: number;
  clients: ClientSessions[];
}

/** The same, the sessions kept compact and read by index (SessionList): for output that streams. */
export interface SessionTable {
  source: string;
  entries: number;
  list: SessionList;
}

/** The source named when /proc has no table: its lines carry helper=. */
export const CONNTRACK_LIST = 'conntrack -L';

/** Where the LAN is: its zones and devices. */
export interface Lan {
  zones: string[];
  devices: string[];
}

/** The LAN's subnets, to tell LAN clients from the router's own traffic; null when unknown. */
function subnetsOf(ctx: Context, lan: Lan | undefined): Subnets | null {
  try {
    if (lan === undefined) {
      const { config } = readConfig(ctx);
      lan = { zones: config.lanZones, devices: [...resolveZones(ctx.sys, ctx.paths, config.lanZones).devices, ...config.lanDevices] };
    }
    const subnets = lanSubnets(ctx.sys, ctx.paths, lan.zones, lan.devices);
    return subnets && new Subnets(subnets);
  } catch {
    return null;
  }
}

/** The table from /proc; false when it is missing or unreadable (the caller then asks conntrack -L). */
function fromProc(ctx: Context, collector: SessionCollector): boolean {
  try {
    return ctx.sys.readChunks(ctx.paths.conntrack, (bytes) => collector.push(bytes));
  } catch {
    return false;
  }
}

/** lan: where the caller already resolved it (doctor); otherwise from the config. */
export function readSessionTable(ctx: Context, lan?: Lan): SessionTable {
  const subnets = subnetsOf(ctx, lan);
  let collector = new SessionCollector(subnets);
  let source = ctx.paths.conntrack;
  if (!fromProc(ctx, collector)) {
    collector = new SessionCollector(subnets);
    source = CONNTRACK_LIST;
    for (const family of ['ipv4', 'ipv6']) {
      const argv = ['conntrack', '-L', '-f', family];
      // Read as it comes, as from /proc: the listing is never held whole.
      const r = ctx.sys.execChunks(argv, (bytes) => collector.push(bytes));
      if (r.status !== 0) {
        throw new HostError(`cannot read the conntrack table: ${ctx.paths.conntrack} is missing or unreadable, and ${describeFailure(argv, r)}`);
      }
    }
  }
  const list = collector.sessions();
  return { source, entries: collector.rows, list };
}

/**
 * The sessions as objects; limit: at most that many, the first in order,
 * and then the answer says it was cut and how many there were (ubus carries
 * a few hundred at most; the others are never made).
 */
export function readSessions(ctx: Context, lan?: Lan, limit = Infinity): Sessions & { truncated?: true; total?: number } {
  const { source, entries, list } = readSessionTable(ctx, lan);
  const sessions = { source, entries, clients: list.clients(limit) };
  return list.size > limit ? { ...sessions, truncated: true, total: list.size } : sessions;
}
