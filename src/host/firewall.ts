// What firewall4 is set to do that bears on passthrough: which zones
// masquerade (its state file) and whether flow offloading is on (its UCI
// config). Read only; null where the router does not say.

import { parseUci } from '../core/uci.ts';
import type { Paths } from './paths.ts';
import type { System } from './system.ts';

export function masqueradeZones(sys: System, paths: Paths): string[] | null {
  const text = sys.readFile(paths.fw4State);
  if (text === null) return null;
  try {
    const state = JSON.parse(text) as { zones?: { name?: string; masq?: boolean; masq6?: boolean }[] };
    return (state.zones ?? []).filter((z) => z.masq || z.masq6).map((z) => z.name ?? '?');
  } catch {
    return null;
  }
}

export function flowOffloading(sys: System, paths: Paths): boolean | null {
  const text = sys.readFile(paths.firewallConfig);
  if (text === null) return null;
  try {
    const defaults = parseUci(text, paths.firewallConfig).sections.find((s) => s.type === 'defaults');
    const option = defaults?.options.find((o) => o.name === 'flow_offloading');
    return option !== undefined && ['1', 'on', 'true', 'yes', 'enabled'].indexOf(option.values[0]) >= 0;
  } catch {
    return null;
  }
}
