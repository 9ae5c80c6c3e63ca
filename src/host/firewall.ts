// What firewall4 is set to do that bears on passthrough: which zones
// masquerade (its state file) and whether flow offloading is on (its UCI
// config). Read only; null where the router does not say.

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
