// firewall4's state file (/var/run/fw4.state): the zones as fw4 resolved
// them and its copy of netifd's interfaces. Written whenever fw4 runs; read
// here once per caller instead of asking fw4 (whose CLI takes its lock).

import type { Paths } from './paths.ts';
import type { System } from './system.ts';

export interface Fw4State {
  zones?: {
    name?: string;
    match_devices?: string[];
    /** The interfaces in the zone, by name (`device` is the interface's name here, not a netdev). */
    network?: { invert?: boolean; val?: string; device?: string }[];
    masq?: boolean;
    masq6?: boolean;
    auto_helper?: boolean;
    /** Helpers named by the zone's own `list helper`, as fw4 resolved them. */
    helper?: { name?: string; available?: boolean }[];
  }[];
  networks?: Record<string, { zone?: string | null; device?: string; ipaddrs?: { addr?: string; bits?: number }[] }>;
}

/** The parsed state, or null when it is missing or unreadable. */
export function readFw4State(sys: System, paths: Paths): Fw4State | null {
  const text = sys.readFile(paths.fw4State);
  if (text === null) return null;
  try {
    return JSON.parse(text) as Fw4State;
  } catch {
    return null;
  }
}
