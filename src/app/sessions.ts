// `sessions`: live VPN sessions per LAN client from the conntrack table,
// streamed line by line from /proc, else from `conntrack -L` where the kernel
// has no procfs table.

import { asciiBytes } from '../core/conntrack.ts';
import { SessionCollector, type ClientSessions } from '../core/sessions.ts';
import { describeFailure, HostError } from '../host/system.ts';
import type { Context } from './context.ts';

export interface Sessions {
  /** Where the entries came from. */
  source: string;
  /** Conntrack entries read, VPN or not. */
  entries: number;
  clients: ClientSessions[];
}

export function readSessions(ctx: Context): Sessions {
  const collector = new SessionCollector();
  let source = ctx.paths.conntrack;
  if (!ctx.sys.readChunks(source, (bytes) => collector.push(bytes))) {
    source = 'conntrack -L';
    for (const family of ['ipv4', 'ipv6']) {
      const argv = ['conntrack', '-L', '-f', family];
      const r = ctx.sys.exec(argv);
      if (r.status !== 0) {
        throw new HostError(`cannot read the conntrack table: ${ctx.paths.conntrack} is missing and ${describeFailure(argv, r)}`);
      }
      collector.push(asciiBytes(r.stdout));
    }
  }
  const clients = collector.result();
  return { source, entries: collector.rows, clients };
}
