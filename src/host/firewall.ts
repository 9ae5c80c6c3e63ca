// What firewall4 is set to do that bears on passthrough: which zones
// masquerade and which conntrack helpers it attaches to them (its state
// file and helper table), whether flow offloading is on (its UCI config).
// Read only; null where the router does not say.

import { bool } from '../core/schema.ts';
import { parseUci } from '../core/uci.ts';
import { readFw4State } from './fw4state.ts';
import type { Paths } from './paths.ts';
import type { System } from './system.ts';

export function masqueradeZones(sys: System, paths: Paths): string[] | null {
  const state = readFw4State(sys, paths);
  return state && (state.zones ?? []).filter((z) => z.masq || z.masq6).map((z) => z.name ?? '?');
}

export function flowOffloading(sys: System, paths: Paths): boolean | null {
  const text = sys.readFile(paths.firewallConfig);
  if (text === null) return null;
  try {
    const defaults = parseUci(text, paths.firewallConfig).sections.find((s) => s.type === 'defaults');
    const option = defaults?.options.find((o) => o.name === 'flow_offloading');
    const parsed = option && bool.parse(option.values[0]);
    return parsed !== undefined && 'value' in parsed && parsed.value;
  } catch {
    return null;
  }
}

export interface ZoneHelpers {
  zone: string;
  /** The helpers fw4 attaches to connections from this zone, by name. */
  helpers: string[];
  /** Attached because of auto_helper (every loaded helper), not a list the admin wrote. */
  auto: boolean;
}

/** The loaded helpers of fw4's table, as fw4 judges them: its module is in /sys/module. */
function loadedHelpers(sys: System, paths: Paths): string[] {
  const text = sys.readFile(paths.fw4Helpers);
  if (text === null) return [];
  try {
    return parseUci(text, paths.fw4Helpers)
      .sections.filter((s) => s.type === 'helper')
      .map((s) => Object.fromEntries(s.options.map((o) => [o.name, o.values[0]])) as { name?: string; module?: string })
      .filter((h) => h.module !== undefined && sys.exists(`${paths.sysModule}/${h.module}`))
      .map((h) => h.name || '?');
  } catch {
    return [];
  }
}

/**
 * What firewall4 attaches to connections from the given zones (fw4.uc:
 * `auto_helper` without masquerading means every loaded helper; a zone's
 * own `list helper` means those).
 */
export function zoneHelpers(sys: System, paths: Paths, zones: string[]): ZoneHelpers[] | null {
  const state = readFw4State(sys, paths);
  if (state === null) return null;
  const out: ZoneHelpers[] = [];
  let loaded: string[] | null = null;
  for (const z of state.zones ?? []) {
    if (z.name === undefined || zones.indexOf(z.name) < 0) continue;
    if (z.helper && z.helper.length > 0) {
      const named = z.helper.filter((h) => h.available !== false).map((h) => h.name || '?');
      out.push({ zone: z.name, helpers: named, auto: false });
    } else if (z.auto_helper && !(z.masq || z.masq6)) {
      loaded = loaded ?? loadedHelpers(sys, paths);
      out.push({ zone: z.name, helpers: loaded, auto: true });
    }
  }
  return out;
}
