// `status`: what is configured, what is loaded, and what passed or was blocked.

import { modeOf, type Mode } from '../core/config.ts';
import { hasHelper, loadedFromConfig, readCounters, type Count } from '../core/counters.ts';
import { PROTOCOLS, partsOf } from '../core/protocols.ts';
import { formatTime } from '../core/timed.ts';
import { readUsage, type Use } from '../core/usage.ts';
import { withHelper, type ModuleState } from '../host/kernel.ts';
import { listTable } from '../host/nft.ts';
import { readFacts } from './facts.ts';
import type { Context } from './context.ts';

export interface PartStatus {
  name: string;
  title: string;
  mode: Mode;
  passed: Count;
  blocked: Count;
}

export interface ProtocolStatus {
  name: string;
  title: string;
  mode: Mode;
  family: string;
  clients: string[];
  servers: string[];
  insecure?: string;
  /** A timed allow's deadline (Unix seconds), running or ended; null: no end. */
  until: number | null;
  /** Seconds left of a running timed allow; null otherwise. */
  left: number | null;
  /** The timed allow has ended: the protocol is blocked. */
  expired: boolean;
  /** Its LAN clients by their last use while the record was kept, the most recent first. */
  lastUsed: Use[];
  parts: PartStatus[];
}

export interface Status {
  enabled: boolean;
  config: string;
  table: 'loaded' | 'missing';
  lanDevices: string[];
  /** null when PPTP is not allowed; available null while the table is not loaded (it tells). */
  pptpHelper: { available: boolean | null; modules: { name: string; state: ModuleState }[] } | null;
  protocols: ProtocolStatus[];
  /** The router's clock (Unix seconds): what `left` and `lastUsed` count from. */
  now: number;
  /** How long the usage record has been kept, in seconds; null without a loaded table. */
  usageAge: number | null;
  warnings: string[];
}

export function readStatus(ctx: Context): Status {
  const read = readFacts(ctx, false);
  const cfg = read.config;
  const objects = listTable(ctx.sys, ctx.paths);
  const counters = readCounters(objects ?? []).parts;
  const loaded = objects !== null;
  const usage = objects && readUsage(objects, read.clock.uptime);
  const warnings = read.warnings.slice();
  for (const p of PROTOCOLS) {
    const pc = cfg.protocols[p.name];
    if (pc.expired && pc.until !== null) {
      warnings.push(`${p.title}: the allow until ${formatTime(pc.until)} has ended, so it is blocked; \`vpn-passthrough set ${p.name} allow\` allows it again (with --for, for a while)`);
    }
  }
  if (cfg.enabled && !loaded) warnings.push('the table is not loaded: run `vpn-passthrough apply`');
  if (!cfg.enabled && loaded) warnings.push('disabled, yet the table is loaded: run `vpn-passthrough apply`');
  if (cfg.enabled && objects && !loadedFromConfig(objects, read.facts.stamp)) {
    warnings.push('the table holds an earlier version of the config (its last apply failed, or none has run since the edit): run `vpn-passthrough apply`');
  }
  return {
    enabled: cfg.enabled,
    config: ctx.paths.config,
    table: loaded ? 'loaded' : 'missing',
    lanDevices: read.facts.lanDevices,
    pptpHelper: read.modules && (objects ? withHelper(read.modules, hasHelper(objects)) : { available: null, modules: read.modules.modules }),
    protocols: PROTOCOLS.map((p) => {
      const pc = cfg.protocols[p.name];
      return {
        name: p.name,
        title: p.title,
        mode: pc.mode,
        family: pc.family,
        clients: pc.clients.map((a) => a.text),
        servers: pc.servers.map((a) => a.text),
        insecure: p.insecure,
        until: pc.until,
        left: pc.until !== null && pc.mode === 'allow' ? pc.until - read.clock.now : null,
        expired: !!pc.expired,
        lastUsed: usage ? usage.protocols[p.name] : [],
        parts: partsOf(p.name).map((part) => ({
          name: part.name,
          title: part.title,
          mode: modeOf(cfg, part),
          ...counters[part.name],
        })),
      };
    }),
    now: read.clock.now,
    usageAge: usage ? usage.age : null,
    warnings,
  };
}
