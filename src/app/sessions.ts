// `sessions`: live VPN sessions per LAN client from the conntrack table,
// streamed in chunks from /proc, else from `conntrack -L` where the kernel
// has no procfs table or it cannot be read.

import { Subnets } from '../core/address.ts';
import { asciiBytes } from '../core/conntrack.ts';
import { SessionCollector, type ClientSessions } from '../core/sessions.ts';
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

/** The LAN's subnets, to tell LAN clients from the router's own traffic; null when unknown. */
function lan(ctx: Context): Subnets | null {
  try {
    const { config } = readConfig(ctx);
    const devices = [...resolveZones(ctx.sys, ctx.paths, config.lanZones).devices, ...config.lanDevices];
    const subnets = lanSubnets(ctx.sys, ctx.paths, config.lanZones, devices);
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

export function readSessions(ctx: Context): Sessions {
  const subnets = lan(ctx);
  let collector = new SessionCollector(subnets);
  let source = ctx.paths.conntrack;
  if (!fromProc(ctx, collector)) {
    collector = new SessionCollector(subnets);
    source = 'conntrack -L';
    for (const family of ['ipv4', 'ipv6']) {
      const argv = ['conntrack', '-L', '-f', family];
      const r = ctx.sys.exec(argv);
      if (r.status !== 0) {
        throw new HostError(`cannot read the conntrack table: ${ctx.paths.conntrack} is missing or unreadable, and ${describeFailure(argv, r)}`);
      }
      collector.push(asciiBytes(r.stdout));
    }
  }
  const clients = collector.result();
  return { source, entries: collector.rows, clients };
}
