// What the system adds to a config before it can be rendered: the LAN
// devices of its zones and the PPTP helper's modules. Shared by apply,
// status and doctor, without the renderer (status and the LuCI poll do not
// load it).

import { formatIssue, type Config } from '../core/config.ts';
import { loadConfigText } from '../core/load.ts';
import type { Facts } from '../core/render.ts';
import { PPTP_HELPER } from '../core/protocols.ts';
import { configStamp } from '../core/stamp.ts';
import { asOf } from '../core/timed.ts';
import { readClock, type Clock } from '../host/clock.ts';
import { helperModules, type HelperModules } from '../host/kernel.ts';
import { resolveZones } from '../host/zones.ts';
import { readConfig, type Context } from './context.ts';

export interface SystemFacts {
  /** As it stands now: a timed allow that has ended is a block (core/timed.ts asOf). */
  config: Config;
  facts: Facts;
  /** The PPTP helper's modules; null when PPTP is not allowed (no helper needed). */
  modules: HelperModules | null;
  /** Config warnings and system notes, as readable lines. */
  warnings: string[];
  clock: Clock;
}

/**
 * Reads the config (or takes the bytes a `set` is about to write) and what
 * the system adds to it; `load` also loads helper modules.
 */
export function readFacts(ctx: Context, load: boolean, text?: string): SystemFacts {
  const { config, warnings, doc } = text === undefined ? readConfig(ctx) : loadConfigText(text, ctx.paths.config);
  return factsFor(ctx, config, configStamp(doc.lines.join('\n')), warnings.map(formatIssue), load);
}

/** What the system adds to a given config; stamp: its configStamp. */
export function factsFor(ctx: Context, written: Config, stamp: string, notes: string[], load: boolean): SystemFacts {
  const source = ctx.paths.config;
  const clock = readClock(ctx.sys);
  const config = asOf(written, clock.now);
  if (!config.enabled) {
    return { config, facts: { lanDevices: [], pptpHelper: false, source, stamp, uptime: clock.uptime }, modules: null, warnings: notes, clock };
  }
  const zones = resolveZones(ctx.sys, ctx.paths, config.lanZones);
  const modules = config.protocols.pptp.mode === 'allow' ? helperModules(ctx.sys, ctx.paths, load) : null;
  const lanDevices = [...zones.devices, ...config.lanDevices].filter((d, i, all) => all.indexOf(d) === i);
  notes.push(...zones.notes, ...(modules?.notes ?? []));
  if (lanDevices.length === 0) notes.push('no LAN device is known, so no traffic is matched; check lan_zone or set lan_device');
  // The helper is assumed; a kernel without it is learnt when the load fails (applyUnlocked).
  // With PPTP blocked, a table loaded while it was allowed holds the helper object where the kernel has the
  // helper: its module loaded, or built in ('missing' may be that too; a kernel without it refuses the
  // object with ENOENT, and applyUnlocked tries again without).
  const helperLoaded = modules === null && helperModules(ctx.sys, ctx.paths, false).modules.some((m) => m.name === PPTP_HELPER.modules[0] && m.state !== 'available');
  const facts = { lanDevices, pptpHelper: modules !== null, source, stamp, uptime: clock.uptime, helperLoaded };
  return { config, facts, modules, warnings: notes, clock };
}
