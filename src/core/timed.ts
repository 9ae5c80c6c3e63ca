// Timed allows: `set pptp allow --for 2h` writes mode allow and `until`
// (Unix time, seconds) into the config. The table itself stops letting the
// protocol through at that moment (part-chains.ts: `meta time`), so nothing has
// to run then; an apply after it renders a block. Pure: the clock comes in.

import type { Config, ProtocolConfig } from './config.ts';

/** Seconds as people say them: the two largest units ('1 h 59 min', '3 d 4 h', '45 s'). */
export function formatSpan(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h${s % 3600 >= 60 ? ` ${Math.floor((s % 3600) / 60)} min` : ''}`;
  return `${Math.floor(s / 86400)} d${s % 86400 >= 3600 ? ` ${Math.floor((s % 86400) / 3600)} h` : ''}`;
}

/** A Unix time as UTC, the way nft and logs write dates: '2024-06-10 06:13:20 UTC'. */
export function formatTime(unix: number): string {
  return `${new Date(unix * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function expire(p: ProtocolConfig): ProtocolConfig {
  // Raw ESP/AH follow the mode unless set apart (an esp equal to the mode follows it).
  return { ...p, mode: 'block', esp: p.esp === p.mode ? 'block' : p.esp, expired: true };
}

/**
 * The config as it stands at `now`: an allow whose `until` has passed is a
 * block (so an apply after the deadline renders a block, and status says
 * expired); `until` stays, for status to say since when.
 */
export function asOf(config: Config, now: number): Config {
  const protocols = { ...config.protocols };
  let changed = false;
  for (const name of Object.keys(protocols) as (keyof typeof protocols)[]) {
    const p = protocols[name];
    if (p.mode === 'allow' && p.until !== null && p.until <= now) {
      protocols[name] = expire(p);
      changed = true;
    }
  }
  return changed ? { ...config, protocols } : config;
}
