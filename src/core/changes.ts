// The change log's entries: who changed which option of the config, through
// what, from which value to which, and whether the change took. Pure: the
// files and syslog are src/host/changelog.ts, the recording src/app/changelog.ts.

import { readable } from './bytes.ts';
import { parseUci, type UciDocument } from './uci.ts';

/**
 * Through what the change came: `cli` (vpn-passthrough set/unset), `ubus`
 * (the rpcd method set), `luci` (the file written by rpcd's uci apply:
 * LuCI's Save & Apply, this package's page included), `uci` (the file
 * changed otherwise: the uci command, an editor), the last two found by the
 * next apply.
 */
export type Via = 'cli' | 'ubus' | 'luci' | 'uci';

/** An option's value: null when it is not in the file (its default applies). */
export type OptionValue = string | string[] | null;

export interface OptionChange {
  /** section.option, as `set` takes it: pptp.mode, global.lan_zone. */
  option: string;
  before: OptionValue;
  after: OptionValue;
}

export interface ChangeEntry {
  /** ISO 8601, UTC. */
  time: string;
  via: Via;
  /** null when it is not known (see README: who is recorded). */
  user: string | null;
  /** What was asked: `set pptp block`, the ubus arguments, or what the apply found. */
  request: string;
  result: 'applied' | 'refused' | 'failed';
  /** Why it was refused or failed. */
  reason?: string;
  changes: OptionChange[];
}

/** Long lists are cut in the log (the file is bounded): the first ones, then how many more. */
const MAX_LIST = 16;
const MAX_TEXT = 400;

/** Text cut to a length the bounded file can take. */
export function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}

function valuesOf(doc: UciDocument): Record<string, OptionValue> {
  const out: Record<string, OptionValue> = Object.create(null);
  for (const s of doc.sections) {
    const section = s.name ?? `@${s.type}[${s.index}]`;
    for (const o of s.options) {
      const values = o.values.map((v) => clip(readable(v)));
      out[`${section}.${o.name}`] = !o.isList
        ? values[0]
        : values.length > MAX_LIST
          ? [...values.slice(0, MAX_LIST), `(${values.length - MAX_LIST} more)`]
          : values;
    }
  }
  return out;
}

/**
 * The options that differ between two config files (byte strings), in the
 * order of the file after; null when either cannot be parsed as UCI.
 */
export function optionChanges(before: string, after: string, file: string): OptionChange[] | null {
  let was: Record<string, OptionValue>;
  let now: Record<string, OptionValue>;
  try {
    was = valuesOf(parseUci(before, file));
    now = valuesOf(parseUci(after, file));
  } catch {
    return null;
  }
  const keys = [...Object.keys(now), ...Object.keys(was).filter((k) => !(k in now))];
  const out: OptionChange[] = [];
  for (const option of keys) {
    const b = option in was ? was[option] : null;
    const a = option in now ? now[option] : null;
    if (JSON.stringify(b) !== JSON.stringify(a)) out.push({ option, before: b, after: a });
  }
  return out;
}

export function formatValue(value: OptionValue): string {
  if (value === null) return '(default)';
  if (Array.isArray(value)) return value.length ? value.map((v) => `'${v}'`).join(' ') : '(empty list)';
  return `'${value}'`;
}

/** Who, for people: the user, or why there is none. */
export function whoOf(entry: Pick<ChangeEntry, 'via' | 'user'>): string {
  if (entry.user !== null) return entry.user;
  if (entry.via === 'ubus') return '(no session)';
  return '(unknown)';
}

/** One line for syslog: through what, who, what was asked, the result, each option before -> after. */
export function syslogLine(e: ChangeEntry): string {
  const reason = e.reason ? ` (${e.reason.replace(/\s*\n\s*/g, '; ')})` : '';
  const changes = e.changes.map((c) => `${c.option} ${formatValue(c.before)} -> ${formatValue(c.after)}`).join(', ');
  return `${e.via} ${whoOf(e)}: ${e.request}: ${e.result}${reason}${changes ? `: ${changes}` : ''}`;
}

/** The file's JSON lines as entries, oldest first; a line that is not an entry (cut by a crash) is skipped. */
export function parseEntries(text: string): ChangeEntry[] {
  const out: ChangeEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const e = JSON.parse(line);
      if (e && typeof e.time === 'string' && typeof e.request === 'string' && Array.isArray(e.changes)) out.push(e);
    } catch {
      // skipped
    }
  }
  return out;
}
