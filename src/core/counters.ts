// nft's JSON listing of our table -> per-part counters.

import { PARTS, type PartName } from './protocols.ts';

export interface Count {
  packets: number;
  bytes: number;
}

export type PartCounters = Record<PartName, { passed: Count; blocked: Count }>;

interface NftCounter {
  counter?: { name?: string; packets?: number; bytes?: number };
}

export function readCounters(objects: unknown[]): PartCounters {
  const byName = new Map<string, Count>();
  for (const item of objects as NftCounter[]) {
    const c = item && item.counter;
    if (c && typeof c.name === 'string') byName.set(c.name, { packets: c.packets ?? 0, bytes: c.bytes ?? 0 });
  }
  const zero = { packets: 0, bytes: 0 };
  const out = {} as PartCounters;
  for (const part of PARTS) {
    out[part.name] = {
      passed: byName.get(`${part.name}_passed`) ?? zero,
      blocked: byName.get(`${part.name}_blocked`) ?? zero,
    };
  }
  return out;
}
