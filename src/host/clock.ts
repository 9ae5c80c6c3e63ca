// The router's clocks, read here and passed into core as facts: the wall
// clock (Unix seconds: deadlines of timed allows, dates shown) and the time
// since boot (seconds: how long the usage record has been kept; it never
// jumps when NTP sets the wall clock, which on routers without a
// battery-backed clock is wrong from boot until NTP answers).
//
// VPN_PASSTHROUGH_NOW=<Unix seconds> is a test clock: it moves both clocks
// by the same amount, as if the router had run on until then.

import type { System } from './system.ts';

export interface Clock {
  /** Unix time, seconds. */
  now: number;
  /** Seconds since boot (/proc/uptime). */
  uptime: number;
}

export function readClock(sys: System): Clock {
  const real = Date.now() / 1000;
  const uptime = Number((sys.readFile('/proc/uptime') ?? '').split(' ')[0]) || 0;
  const test = Number(sys.env('VPN_PASSTHROUGH_NOW'));
  const shift = test > 0 ? test - real : 0;
  return { now: Math.floor(real + shift), uptime: Math.max(0, Math.floor(uptime + shift)) };
}
