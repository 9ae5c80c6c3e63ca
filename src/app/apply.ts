// render and apply: the config and the system's facts become one script,
// checked by the kernel first and then loaded in one transaction.

import { formatIssue, type Config } from '../core/config.ts';
import { renderRuleset, type Facts } from '../core/render.ts';
import { preparePptpHelper, type HelperFacts } from '../host/kernel.ts';
import { withLock } from '../host/lock.ts';
import { checkScript, loadScript, removeTable } from '../host/nft.ts';
import { resolveZones } from '../host/zones.ts';
import { readConfig, type Context } from './context.ts';

export interface SystemFacts {
  config: Config;
  facts: Facts;
  helper: HelperFacts | null;
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
    return { config, facts: { lanDevices: [], pptpHelper: false, source: ctx.paths.config }, helper: null, warnings: notes };
  }
  const zones = resolveZones(ctx.sys, ctx.paths, config.lanZones);
  const helper = config.protocols.pptp.mode === 'allow' ? preparePptpHelper(ctx.sys, ctx.paths, load) : null;
  const lanDevices = [...zones.devices, ...config.lanDevices].filter((d, i, all) => all.indexOf(d) === i);
  notes.push(...zones.notes, ...(helper?.notes ?? []));
  if (lanDevices.length === 0) notes.push('no LAN device is known, so no traffic is matched; check lan_zone or set lan_device');
  const facts = { lanDevices, pptpHelper: helper?.available ?? false, source: ctx.paths.config };
  return { config, facts, helper, warnings: notes };
}

export function renderFromSystem(ctx: Context, load: boolean): Rendered {
  const read = readFacts(ctx, load);
  return { ...read, script: renderRuleset(read.config, read.facts) };
}

/** Applies under the lock; on any failure the loaded table stays as it was. */
export function applyUnlocked(ctx: Context): Rendered {
  const rendered = renderFromSystem(ctx, true);
  checkScript(ctx.sys, ctx.paths, rendered.script);
  loadScript(ctx.sys, ctx.paths, rendered.script);
  return rendered;
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
