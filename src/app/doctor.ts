// `doctor`: gathers what the checks in core/doctor.ts judge. A fact that
// cannot be read becomes null ("unknown"), never an error: doctor runs when
// something is already wrong.

import { ESP_SENDERS, hasHelper, L2TP_ELSEWHERE, L2TP_SENDERS, loadedFromConfig, readAddresses, readCounters, readSenders } from '../core/counters.ts';
import { withHelper } from '../host/kernel.ts';
import { diagnose, type Check, type DoctorFacts } from '../core/doctor.ts';
import { PPTP_HELPER } from '../core/protocols.ts';
import { flowOffloading, masqueradeZones, zoneHelpers } from '../host/firewall.ts';
import { listTable } from '../host/nft.ts';
import { ConfigInvalid, formatIssue } from '../core/config.ts';
import { loadConfigText } from '../core/load.ts';
import { auditUsage } from '../core/unused.ts';
import { readUsage, type UsageRecord } from '../core/usage.ts';
import { factsFor, readFacts, type SystemFacts } from './facts.ts';
import type { Context } from './context.ts';
import { CONNTRACK_LIST, readSessionTable, type SessionTable } from './sessions.ts';

/**
 * PPTP control connections showing helper=pptp. Only `conntrack -L` shows
 * helpers: taken from the sessions when they came from it, else asked once,
 * and only when there is a PPTP connection to judge.
 */
function controlsWithHelper(ctx: Context, sessions: SessionTable | null): number | null {
  // Flow by flow, without objects: the table may hold tens of thousands of sessions.
  let controls = 0;
  let helped = 0;
  const list = sessions?.list;
  for (let i = 0; list && i < list.size; i++) {
    if (list.protocol(i) !== 'pptp') continue;
    for (const flow of list.flows(i)) {
      const f = list.view(flow);
      if (f.transport === 'tcp') {
        controls++;
        if (f.helper === PPTP_HELPER.name) helped++;
      }
    }
  }
  if (controls === 0) return null;
  if (sessions?.source === CONNTRACK_LIST) return helped;
  const r = ctx.sys.exec(['conntrack', '-L', '-p', 'tcp', '--dport', String(PPTP_HELPER.port)]);
  if (r.status !== 0) return null;
  return r.stdout.split('\n').filter((line) => line.indexOf(`helper=${PPTP_HELPER.name}`) >= 0).length;
}

/** Our table's objects (null: not loaded), or why nft could not list it. */
function readTable(ctx: Context): { objects: unknown[] | null; failure: string | null } {
  try {
    return { objects: listTable(ctx.sys, ctx.paths), failure: null };
  } catch (e) {
    return { objects: null, failure: (e as Error).message };
  }
}

function tryRead<T>(read: () => T): T | null {
  try {
    return read();
  } catch {
    return null;
  }
}

/** The config's facts; an invalid config becomes a failed check, and the rest is judged on the defaults. */
function readOrDefaults(ctx: Context): { read: SystemFacts; config: Check | null } {
  try {
    return { read: readFacts(ctx, false), config: null };
  } catch (e) {
    if (!(e instanceof ConfigInvalid)) throw e;
    const issues = e.issues.map(formatIssue);
    const defaults = loadConfigText('', 'defaults').config;
    return {
      read: factsFor(ctx, defaults, '', [], false),
      config: {
        id: 'config',
        verdict: 'fail',
        summary: `${issues[0]}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}; the table keeps its last valid state, the rest is judged on the defaults`,
        fix: 'correct the lines named (vpn-passthrough check), then vpn-passthrough apply',
      },
    };
  }
}

/** What doctor judges, with what it was read from (`doctor --error` judges the same facts for one client). */
export interface DoctorInput {
  facts: DoctorFacts;
  /** The config's failed check when it is invalid (the rest is then judged on the defaults). */
  config: Check | null;
  read: SystemFacts;
  sessions: SessionTable | null;
  /** The usage record of the loaded table (core/usage.ts); null without one. */
  usage: UsageRecord | null;
}

export function readDoctorFacts(ctx: Context): DoctorInput {
  const { read, config } = readOrDefaults(ctx);
  const { objects, failure } = readTable(ctx);
  const lan = { zones: read.config.lanZones, devices: read.facts.lanDevices };
  const sessions: SessionTable | null = tryRead(() => readSessionTable(ctx, lan));
  const acct = ctx.sys.readFile(ctx.paths.conntrackAccounting);
  const facts: DoctorFacts = {
    enabled: read.config.enabled,
    nftFailure: failure,
    tableLoaded: objects !== null,
    // An invalid config has its own check (and no stamp here).
    tableCurrent: objects === null || config !== null || loadedFromConfig(objects, read.facts.stamp),
    pptpMode: read.config.protocols.pptp.mode,
    lanDevices: read.facts.lanDevices,
    missingDevices: read.facts.lanDevices.filter((d) => !d.endsWith('*') && !ctx.sys.exists(`${ctx.paths.sysClassNet}/${d}`)),
    helper: read.modules && (objects ? withHelper(read.modules, hasHelper(objects)) : { available: null, modules: read.modules.modules }),
    helperCount: objects ? readCounters(objects).helper : null,
    controlsWithHelper: controlsWithHelper(ctx, sessions),
    masqueradeZones: masqueradeZones(ctx.sys, ctx.paths),
    zoneHelpers: zoneHelpers(ctx.sys, ctx.paths, read.config.lanZones),
    flowOffloading: flowOffloading(ctx.sys, ctx.paths),
    accounting: acct === null ? null : acct.trim() === '1',
    // Visited a session at a time: no table's worth of objects at once.
    sessions: sessions && sessions.list,
    espSenders: objects ? readSenders(objects, ESP_SENDERS) : [],
    l2tpSenders: objects ? readSenders(objects, L2TP_SENDERS) : [],
    l2tpElsewhere: objects ? readAddresses(objects, L2TP_ELSEWHERE) : [],
  };
  return { facts, config, read, sessions, usage: objects && readUsage(objects, read.clock.uptime) };
}

export function runDoctor(ctx: Context): { checks: Check[] } {
  const { facts, config, read, usage } = readDoctorFacts(ctx);
  const checks = [...diagnose(facts), ...auditUsage(read.config, usage)];
  return { checks: config ? [config, ...checks] : checks };
}
