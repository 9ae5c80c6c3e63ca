// The usage record: when each LAN client last used each protocol. The
// kernel keeps it in dynamic sets of our table (used_<protocol>_v4/_v6),
// which the allow rules refresh with every packet a LAN client sends; an
// apply declares them and never deletes them (render.ts replaces the rest
// of the table around them), so they outlast applies and firewall reloads.
// An element's age is the set's timeout minus what is left of it. The
// set's comment says when the record began, in seconds since boot, which
// NTP never moves (the wall clock of a router without a battery-backed
// clock is wrong from boot until NTP answers). A reboot, a firewall stop
// (it deletes every table), `stop` and `enabled 0` begin a new record;
// nothing is written to flash.

import { T } from './nftext.ts';
import { PROTOCOLS, type ProtocolName } from './protocols.ts';
import { formatSpan } from './timed.ts';

export const DAY = 86400;
/** How long a use is remembered: a year, the longest threshold doctor takes. */
const KEPT = 365 * DAY;
const FAMILIES = [
  { suffix: 'v4', type: 'ipv4_addr', nfproto: 'ipv4', saddr: 'ip saddr' },
  { suffix: 'v6', type: 'ipv6_addr', nfproto: 'ipv6', saddr: 'ip6 saddr' },
];

const setName = (protocol: ProtocolName, suffix: string) => `used_${protocol}_${suffix}`;
const BEGUN = /^record begun at uptime ([0-9]+) s$/;

/** The record's sets, as the table declares them: an apply adds them when missing and leaves them alone otherwise. */
export function usageSetNames(): string[] {
  return PROTOCOLS.flatMap((p) => FAMILIES.map((f) => setName(p.name, f.suffix)));
}

/** The record's sets; `uptime` goes into the comment of sets this load creates (existing ones keep theirs). */
export function renderUsageSets(uptime: number): string[] {
  const out = [
    `${T}# The usage record: when each LAN client last used each protocol (status, doctor). Apply keeps these`,
    `${T}# sets and what they hold; their comment says when the record began, in seconds since boot.`,
  ];
  // One line each: eight sets alike but for name and type.
  for (const p of PROTOCOLS) {
    for (const f of FAMILIES) {
      const comment = `comment "record begun at uptime ${Math.floor(uptime)} s"`;
      out.push(`${T}set ${setName(p.name, f.suffix)} { type ${f.type}; flags dynamic, timeout; timeout ${KEPT / DAY}d; size 1024; ${comment}; }`);
    }
  }
  return [...out, ''];
}

/**
 * The rules that note a LAN client's use of the protocol, in each part's
 * allow. Every packet of the protocol passes them: the family is compared
 * first, so a packet looks the device set up once, not once per family.
 */
export function usageRules(protocol: ProtocolName): string[] {
  return FAMILIES.map((f) => `meta nfproto ${f.nfproto} iifname @lan_devices update @${setName(protocol, f.suffix)} { ${f.saddr} }`);
}

export interface Use {
  client: string;
  /** Seconds since its last packet. */
  ago: number;
}

export interface UsageRecord {
  /** Seconds the record has been kept (since boot, or since the table was last created). */
  age: number;
  /** Per protocol, its LAN clients, the most recent first. */
  protocols: Record<ProtocolName, Use[]>;
}

interface NftSet {
  set?: { name?: string; comment?: string; timeout?: number; elem?: unknown[] };
}

/** The record in our table's listing (nft -j); null when the table has none. */
export function readUsage(objects: unknown[], uptime: number): UsageRecord | null {
  const protocols = {} as Record<ProtocolName, Use[]>;
  for (const p of PROTOCOLS) protocols[p.name] = [];
  let begun: number | null = null;
  for (const item of objects as NftSet[]) {
    const set = item && item.set;
    const m = set && typeof set.name === 'string' ? /^used_([a-z]+)_v[46]$/.exec(set.name) : null;
    const uses = m ? protocols[m[1] as ProtocolName] : undefined;
    if (!set || !uses) continue;
    const start = BEGUN.exec(set.comment ?? '');
    if (start) begun = begun === null ? Number(start[1]) : Math.min(begun, Number(start[1]));
    for (const e of (Array.isArray(set.elem) ? set.elem : []) as { elem?: { val?: unknown; timeout?: number; expires?: number } }[]) {
      const elem = e && e.elem;
      const timeout = elem?.timeout ?? set.timeout;
      if (!elem || typeof elem.val !== 'string' || typeof elem.expires !== 'number' || typeof timeout !== 'number') continue;
      uses.push({ client: elem.val, ago: Math.max(0, timeout - elem.expires) });
    }
  }
  if (begun === null) return null;
  for (const p of PROTOCOLS) protocols[p.name].sort((a, b) => a.ago - b.ago);
  return { age: Math.max(0, uptime - begun), protocols };
}

/** `2 min ago by 192.168.1.10`, or null when no LAN client used it while the record was kept. */
export function describeLastUse(uses: Use[]): string | null {
  return uses.length ? `${formatSpan(uses[0].ago)} ago by ${uses[0].client}${uses.length > 1 ? ` (and ${uses.length - 1} more)` : ''}` : null;
}
