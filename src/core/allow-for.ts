// `allow --for DURATION` (CLI `set`, ubus `set`'s "for"): the duration
// read, and the config changes it makes, with the router's clock passed in.
// A change of mode that does not name `until` removes it.

import type { UciChange } from './uci.ts';

const UNITS: Record<string, number> = { d: 86400, h: 3600, m: 60, s: 1 };

/** The longest allow for a while: a year (what the usage record remembers, too). */
const MAX_FOR = 365 * 86400;

/** '2h', '90m', '1d12h', '30s' -> seconds, or what is wrong with it. */
export function parseDuration(text: string): { seconds: number } | { error: string } {
  const m = /^(?:([0-9]{1,6})d)?(?:([0-9]{1,6})h)?(?:([0-9]{1,6})m)?(?:([0-9]{1,6})s)?$/.exec(text);
  const seconds = m ? [m[1], m[2], m[3], m[4]].reduce((sum, n, i) => sum + Number(n ?? 0) * UNITS['dhms'[i]], 0) : 0;
  if (!m || seconds === 0) return { error: `invalid duration '${text}'; write a number with d, h, m or s, such as 2h, 45m or 1d12h` };
  if (seconds > MAX_FOR) return { error: `duration '${text}' is longer than a year; give at most 365d, or allow it for good without a duration` };
  return { seconds };
}

/** The changes that allow a protocol from now for `seconds`. */
export function allowFor(protocol: string, now: number, seconds: number): UciChange[] {
  return [
    { section: protocol, type: 'protocol', option: 'mode', value: 'allow' },
    { section: protocol, type: 'protocol', option: 'until', value: String(Math.floor(now) + seconds) },
  ];
}

/**
 * A change of a protocol's mode that does not name `until` removes it:
 * `set pptp allow` allows for good, `set pptp block` ends a timed allow.
 */
export function withUntilCleared(changes: UciChange[]): UciChange[] {
  const named = (section: string, option: string) => changes.some((c) => c.type === 'protocol' && c.section === section && c.option === option);
  const cleared = changes
    .filter((c) => c.type === 'protocol' && c.option === 'mode' && !named(c.section, 'until'))
    .filter((c, i, all) => all.findIndex((o) => o.section === c.section) === i)
    .map((c): UciChange => ({ section: c.section, type: 'protocol', option: 'until', value: null }));
  return cleared.length ? [...changes, ...cleared] : changes;
}
