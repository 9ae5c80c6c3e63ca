// render and apply: the config and the system's facts become one script,
// loaded in one transaction (all of it or nothing: no separate check is
// needed). One nft process on the normal path.

import { formatIssue, type Config } from '../core/config.ts';
import { renderRuleset, type Facts } from '../core/render.ts';
import { helperModules, NO_HELPER, type HelperModules } from '../host/kernel.ts';
import { withLock } from '../host/lock.ts';
import { loadScript, removeTable } from '../host/nft.ts';
import { resolveZones } from '../host/zones.ts';
import { readConfig, type Context } from './context.ts';

export interface SystemFacts {
  config: Config;
  facts: Facts;
  /** The PPTP helper's modules; null when PPTP is not allowed (no helper needed). */
  modules: HelperModules | null;
  /** Config warnings and system notes, as readable lines. */
  warnings: string[];
}

export interface Rendered extends SystemFacts {
  script: string;
}

const LOCK_TIMEOUT_MS = 10000;

/** Reads the config and what the system adds to it; `load` also loads helper modules. */
export function readFacts(ctx: Context, load: boolean): SystemFacts {
  const { config, warnings } = readConfig(ctx);
  return factsFor(ctx, config, warnings.map(formatIssue), load);
}

/** What the system adds to a given config. */
export function factsFor(ctx: Context, config: Config, notes: string[], load: boolean): SystemFacts {
  if (!config.enabled) {
    return { config, facts: { lanDevices: [], pptpHelper: false, source: ctx.paths.config }, modules: null, warnings: notes };
  }
  const zones = resolveZones(ctx.sys, ctx.paths, config.lanZones);
  const modules = config.protocols.pptp.mode === 'allow' ? helperModules(ctx.sys, ctx.paths, load) : null;
  const lanDevices = [...zones.devices, ...config.lanDevices].filter((d, i, all) => all.indexOf(d) === i);
  notes.push(...zones.notes, ...(modules?.notes ?? []));
  if (lanDevices.length === 0) notes.push('no LAN device is known, so no traffic is matched; check lan_zone or set lan_device');
  // The helper is assumed; a kernel without it is learnt when the load fails (applyUnlocked).
  const facts = { lanDevices, pptpHelper: modules !== null, source: ctx.paths.config };
  return { config, facts, modules, warnings: notes };
}

export function renderFromSystem(ctx: Context, load: boolean): Rendered {
  const read = readFacts(ctx, load);
  return { ...read, script: renderRuleset(read.config, read.facts) };
}

/** Applies under the lock; on any failure the loaded table stays as it was. */
export function applyUnlocked(ctx: Context): Rendered {
  const rendered = renderFromSystem(ctx, true);
  try {
    loadScript(ctx.sys, ctx.paths, rendered.script);
    return rendered;
  } catch (e) {
    if (!rendered.facts.pptpHelper) throw e;
    // The helper is the one part a kernel may lack: once more without it.
    // If that loads, the helper was what failed; if not, its error is the real one.
    const facts = { ...rendered.facts, pptpHelper: false };
    const script = renderRuleset(rendered.config, facts);
    loadScript(ctx.sys, ctx.paths, script);
    return { ...rendered, facts, script, warnings: [...rendered.warnings, NO_HELPER] };
  }
}

// Inside the firewall include too: fw4 has just flushed every table, and an
// apply holding the lock may have loaded ours before that, so the include
// waits its turn and loads the table again.
export function underLock<T>(ctx: Context, body: () => T): T {
  return withLock(ctx.sys, ctx.paths.lock, LOCK_TIMEOUT_MS, body);
}

export function apply(ctx: Context): Rendered {
  return underLock(ctx, () => applyUnlocked(ctx));
}

/** What an apply did, as data (CLI --json, ubus). */
export function appliedSummary(r: Rendered) {
  return { applied: true, enabled: r.config.enabled, lan_devices: r.facts.lanDevices, pptp_helper: r.facts.pptpHelper, warnings: r.warnings };
}

/** `stop`: the table goes, the config stays (init script stop, package removal). */
export function stop(ctx: Context): void {
  underLock(ctx, () => removeTable(ctx.sys, ctx.paths));
}
