// A small typed client over the `ubus` CLI (argv arrays, no shell), for the
// few facts other daemons hold: `ubus -S call <object> <method> <json>`.

import type { System } from './system.ts';

/** The answer, or null when ubus is missing, the object absent or the call failed. */
export function ubusCall<T>(sys: System, object: string, method: string, args: object = {}): T | null {
  const r = sys.exec(['ubus', '-S', 'call', object, method, JSON.stringify(args)]);
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    return null;
  }
}

interface Address {
  address: string;
  mask: number;
}

/** The part of netifd's `network.interface dump` we read. */
export interface InterfaceDump {
  interface?: {
    interface: string;
    up?: boolean;
    device?: string;
    l3_device?: string;
    data?: { zone?: string };
    'ipv4-address'?: Address[];
    'ipv6-address'?: Address[];
    'ipv6-prefix-assignment'?: { 'local-address'?: Address }[];
  }[];
}

export function interfaceDump(sys: System): InterfaceDump | null {
  return ubusCall<InterfaceDump>(sys, 'network.interface', 'dump');
}
