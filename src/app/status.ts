// `status`: what is configured, what is loaded, and what passed or was blocked.

import { modeOf, type Mode } from '../core/config.ts';
import { hasHelper, readCounters, type Count } from '../core/counters.ts';
import { PROTOCOLS, partsOf } from '../core/protocols.ts';
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
  warnings: string[];
}

export function readStatus(ctx: Context): Status {
  const read = readFacts(ctx, false);
  const cfg = read.config;
  const objects = listTable(ctx.sys, ctx.paths);
  const counters = readCounters(objects ?? []).parts;
  const loaded = objects !== null;
  const warnings = read.warnings.slice();
  if (cfg.enabled && !loaded) warnings.push('the table is not loaded: run `vpn-passthrough apply`');
  if (!cfg.enabled && loaded) warnings.push('disabled, yet the table is loaded: run `vpn-passthrough apply`');
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
        parts: partsOf(p.name).map((part) => ({
          name: part.name,
          title: part.title,
          mode: modeOf(cfg, part),
          ...counters[part.name],
        })),
      };
    }),
    warnings,
  };
}
