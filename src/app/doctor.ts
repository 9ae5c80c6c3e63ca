// `doctor`: gathers what the checks in core/doctor.ts judge. A fact that
// cannot be read becomes null ("unknown"), never an error: doctor runs when
// something is already wrong.

import { readCounters } from '../core/counters.ts';
import { diagnose, type Check } from '../core/doctor.ts';
import { PPTP_HELPER } from '../core/protocols.ts';
import { flowOffloading, masqueradeZones } from '../host/firewall.ts';
import { listTable } from '../host/nft.ts';
import { readFacts } from './apply.ts';
import type { Context } from './context.ts';
import { readSessions, type Sessions } from './sessions.ts';

/** PPTP control connections showing helper=pptp, from `conntrack -L` (/proc does not show helpers). */
function controlsWithHelper(ctx: Context): number | null {
  const r = ctx.sys.exec(['conntrack', '-L', '-p', 'tcp', '--dport', String(PPTP_HELPER.port)]);
  if (r.status !== 0) return null;
  return r.stdout.split('\n').filter((line) => line.indexOf(`helper=${PPTP_HELPER.name}`) >= 0).length;
}

function tryRead<T>(read: () => T): T | null {
  try {
    return read();
  } catch {
    return null;
  }
}

export function runDoctor(ctx: Context): { checks: Check[] } {
  const read = readFacts(ctx, false);
  const objects = tryRead(() => listTable(ctx.sys, ctx.paths));
  const sessions: Sessions | null = tryRead(() => readSessions(ctx));
  const acct = ctx.sys.readFile(ctx.paths.conntrackAccounting);
  const checks = diagnose({
    enabled: read.config.enabled,
    tableLoaded: objects !== null,
    pptpMode: read.config.protocols.pptp.mode,
    lanDevices: read.facts.lanDevices,
    helper: read.helper,
    helperCount: objects ? readCounters(objects).helper : null,
    controlsWithHelper: controlsWithHelper(ctx),
    masqueradeZones: masqueradeZones(ctx.sys, ctx.paths),
    flowOffloading: flowOffloading(ctx.sys, ctx.paths),
    accounting: acct === null ? null : acct.trim() === '1',
    sessions: sessions && sessions.clients,
  });
  return { checks };
}
