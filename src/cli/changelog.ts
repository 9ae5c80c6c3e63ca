// `vpn-passthrough log`: the change log as text, newest first, an entry per
// change with each option's value before and after under it.

import { formatValue, whoOf, type ChangeEntry, type OptionValue } from '../core/changes.ts';
import { formatTime } from '../core/timed.ts';

/** Local time (TZ, /etc/localtime), as logread shows it. */
function localTime(iso: string): string {
  const d = new Date(iso);
  if (isNaN(d.getTime())) return iso;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** A value; a timed allow's deadline (Unix seconds in the file) with its date too. */
function shown(option: string, value: OptionValue): string {
  const date = option.endsWith('.until') && typeof value === 'string' && /^[0-9]+$/.test(value) ? ` (${formatTime(Number(value))})` : '';
  return `${formatValue(value)}${date}`;
}

export function formatChangeLog(entries: ChangeEntry[]): string {
  if (entries.length === 0) return 'no change recorded since the router started (syslog may hold older ones: logread -e vpn-passthrough)\n';
  return entries
    .map((e) => {
      const reason = e.reason ? e.reason.split('\n').map((line) => `    ${line}\n`).join('') : '';
      const changes = e.changes.map((c) => `    ${c.option}: ${shown(c.option, c.before)} -> ${shown(c.option, c.after)}\n`).join('');
      return `${localTime(e.time)}  ${e.via} ${whoOf(e)}: ${e.request}: ${e.result}\n${reason}${changes}`;
    })
    .join('');
}
