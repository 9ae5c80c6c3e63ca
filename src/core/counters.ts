// nft's JSON listing of our table -> per-part counters.

import { PARTS, type PartName } from './protocols.ts';

/** Our table, as the renderer writes it and every reader finds it. */
export const TABLE = 'vpn_passthrough';
export const FAMILY = 'inet';

export interface Count {
  packets: number;
  bytes: number;
}

export type PartCounters = Record<PartName, { passed: Count; blocked: Count }>;

interface NftCounter {
  counter?: { name?: string; comment?: string; packets?: number; bytes?: number };
}

/** Counts the new PPTP control connections our prerouting/output rules hand to the helper. */
export const HELPER_COUNTER = 'pptp_helper';

/** The named counter whose comment says which config the table holds. */
export const LOADED_FROM = 'loaded_from';

/** What the loaded table says it came from (Facts.stamp: the config's stamp, and which load); null when it has none. */
export function readStamp(objects: unknown[]): { stamp: string; config: string } | null {
  for (const item of objects as NftCounter[]) {
    const c = item && item.counter;
    const m = c && c.name === LOADED_FROM && typeof c.comment === 'string' ? /^config (([0-9a-f]+)(?: load [0-9a-z]+)?)$/.exec(c.comment) : null;
    if (m) return { stamp: m[1], config: m[2] };
  }
  return null;
}

/**
 * Whether a loaded table came from the config with this configStamp; one
 * that names no config (an older version's) is not judged.
 */
export function loadedFromConfig(objects: unknown[], stamp: string): boolean {
  const loaded = readStamp(objects);
  return loaded === null || loaded.config === stamp;
}

/** Whether the loaded table holds the PPTP helper object: then the kernel has the helper. */
export function hasHelper(objects: unknown[]): boolean {
  return objects.some((o) => typeof o === 'object' && o !== null && 'ct helper' in o);
}

/** The dynamic set of (LAN client, server) pairs sending raw ESP through IPv4 NAT. */
export const ESP_SENDERS = 'esp_senders';
/** The same for L2TP, and the L2TP servers that answered from another port (core/l2tp.ts). */
export const L2TP_SENDERS = 'l2tp_senders';
export const L2TP_ELSEWHERE = 'l2tp_elsewhere';

export interface Counters {
  parts: PartCounters;
  /** null when the table has no helper rule (PPTP blocked or no helper in the kernel). */
  helper: Count | null;
}

export function readCounters(objects: unknown[]): Counters {
  const byName = new Map<string, Count>();
  for (const item of objects as NftCounter[]) {
    const c = item && item.counter;
    if (c && typeof c.name === 'string') byName.set(c.name, { packets: c.packets ?? 0, bytes: c.bytes ?? 0 });
  }
  const zero = { packets: 0, bytes: 0 };
  const parts = {} as PartCounters;
  for (const part of PARTS) {
    parts[part.name] = {
      passed: byName.get(`${part.name}_passed`) ?? zero,
      blocked: byName.get(`${part.name}_blocked`) ?? zero,
    };
  }
  return { parts, helper: byName.get(HELPER_COUNTER) ?? null };
}

/** A LAN client and the server it sent to, from one of our dynamic sets. */
export interface Sender {
  client: string;
  server: string;
}

/** The elements of one of our dynamic sets, each its value; empty when the table has no such set. */
function setElements(objects: unknown[], name: string): unknown[] {
  for (const item of objects as { set?: { name?: string; elem?: unknown[] } }[]) {
    const set = item && item.set;
    if (!set || set.name !== name || !Array.isArray(set.elem)) continue;
    // With a timeout the element is wrapped: { elem: { val, expires } }.
    return (set.elem as { elem?: { val?: unknown } }[]).map((e) => (e && e.elem ? e.elem.val : e));
  }
  return [];
}

/** The (client, server) pairs in a set of senders (esp_senders, l2tp_senders). */
export function readSenders(objects: unknown[], name: string): Sender[] {
  const out: Sender[] = [];
  for (const value of setElements(objects, name) as ({ concat?: unknown } | undefined)[]) {
    const pair = value && value.concat;
    if (Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'string') {
      out.push({ client: pair[0], server: pair[1] });
    }
  }
  return out;
}

/** The addresses in a set of addresses (l2tp_elsewhere). */
export function readAddresses(objects: unknown[], name: string): string[] {
  return setElements(objects, name).filter((value): value is string => typeof value === 'string');
}
