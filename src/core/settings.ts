// The configuration as JSON for the ubus API: `get` answers with it, `set`
// takes any part of it. Checked against the same option schema as the UCI
// file, field by field, so an error names the JSON path at fault.

import { UsageError, type Config } from './config.ts';
import { own } from './own.ts';
import { PROTOCOLS, isProtocolName } from './protocols.ts';
import { GLOBAL_OPTIONS, PROTOCOL_OPTIONS, bool, listValue, type OptionSpec } from './schema.ts';
import { allowFor, parseDuration } from './allow-for.ts';
import type { UciChange, UciDocument } from './uci.ts';

export type Settings = {
  global: { enabled: boolean; lan_zone: string[]; lan_device: string[]; log: boolean; log_limit: string; unused_days: number };
  protocols: Record<string, { mode: string; esp?: string | null; family: string; client: string[]; server: string[]; until: number | null }>;
};

/** A `set` argument that cannot be taken: `field` is its JSON path, e.g. protocols.pptp.mode. Bad input, as a UsageError. */
export class InvalidArgument extends UsageError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export function toSettings(config: Config): Settings {
  const protocols: Settings['protocols'] = {};
  for (const { name } of PROTOCOLS) {
    const p = config.protocols[name];
    protocols[name] = {
      mode: p.mode,
      // null: raw ESP and AH follow mode (an esp equal to mode is not set apart).
      ...(name === 'ipsec' ? { esp: p.esp === p.mode ? null : p.esp } : {}),
      family: p.family,
      client: p.clients.map((a) => a.text),
      server: p.servers.map((a) => a.text),
      until: p.until,
    };
  }
  return {
    global: {
      enabled: config.enabled,
      lan_zone: config.lanZones,
      lan_device: config.lanDevices,
      log: config.log,
      log_limit: config.logLimit,
      unused_days: config.unusedDays,
    },
    protocols,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function kind(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** One JSON value -> the raw UCI value(s), checked by the option's type; null removes the option. */
function rawValue(field: string, spec: OptionSpec, value: unknown): string | string[] | null {
  if (value === null) return null;
  const check = (raw: string, at: string) => {
    const parsed = spec.type.parse(raw);
    if ('error' in parsed) throw new InvalidArgument(at, `${parsed.error}; ${parsed.fix}`);
    return raw;
  };
  if (spec.list) {
    if (!Array.isArray(value)) throw new InvalidArgument(field, `expected an array of strings (${spec.type.describe}), got ${kind(value)}`);
    return value.map((v, i) => {
      if (typeof v !== 'string') throw new InvalidArgument(`${field}[${i}]`, `expected a string (${spec.type.describe}), got ${kind(v)}`);
      return check(v, `${field}[${i}]`);
    });
  }
  if (spec.type === bool) {
    if (typeof value !== 'boolean') throw new InvalidArgument(field, `expected true or false, got ${kind(value)}`);
    return value ? '1' : '0';
  }
  if (spec.type.numeric) {
    if (typeof value !== 'number') throw new InvalidArgument(field, `expected a number (${spec.type.describe}), got ${kind(value)}`);
    return check(String(value), field);
  }
  if (typeof value !== 'string') throw new InvalidArgument(field, `expected a string (${spec.type.describe}), got ${kind(value)}`);
  return check(value, field);
}

/**
 * `"for": "2h"` (a duration, or a number of seconds) in a protocol: allowed
 * from now for that long; `mode`, if given too, must be allow.
 */
function forChanges(path: string, section: string, args: Record<string, unknown>, now: number): UciChange[] {
  const value = args.for;
  const parsed = typeof value === 'number' ? parseDuration(`${value}s`) : typeof value === 'string' ? parseDuration(value) : null;
  if (parsed === null) throw new InvalidArgument(`${path}.for`, `expected a duration such as "2h" or a number of seconds, got ${kind(value)}`);
  if ('error' in parsed) throw new InvalidArgument(`${path}.for`, parsed.error);
  if (args.mode !== undefined && args.mode !== 'allow') throw new InvalidArgument(`${path}.for`, 'goes with "mode": "allow" (or without mode)');
  if (args.until !== undefined) throw new InvalidArgument(`${path}.for`, 'give for or until, not both');
  return allowFor(section, now, parsed.seconds);
}

function sectionChanges(path: string, section: string, options: Record<string, OptionSpec>, args: unknown, now: number): UciChange[] {
  if (!isObject(args)) throw new InvalidArgument(path, `expected an object, got ${kind(args)}`);
  const global = section === 'global';
  const timed = !global && own(args, 'for') !== undefined ? forChanges(path, section, args, now) : [];
  const names = Object.keys(args).filter((name) => !(timed.length && (name === 'for' || name === 'mode')));
  return timed.concat(names.map((name) => {
    const spec = own(options, name);
    if (spec === undefined || (spec.only && spec.only.indexOf(section) < 0)) {
      const known = Object.keys(options).filter((o) => !options[o].only || options[o].only!.indexOf(section) >= 0);
      throw new InvalidArgument(`${path}.${name}`, `unknown option; known: ${known.join(', ')}`);
    }
    const value = rawValue(`${path}.${name}`, spec, args[name]);
    return { section, type: global ? 'global' : 'protocol', single: global, option: name, value: Array.isArray(value) ? listValue(spec, value) : value };
  }));
}

/** `set`'s arguments -> UCI changes, or an InvalidArgument naming the first field at fault; now: the router's clock, for `for`. */
export function settingsToChanges(args: Record<string, unknown>, now: number): UciChange[] {
  const changes: UciChange[] = [];
  for (const key of Object.keys(args)) {
    if (key === 'global') {
      changes.push(...sectionChanges('global', 'global', GLOBAL_OPTIONS, args.global, now));
    } else if (key === 'protocols') {
      const protocols = args.protocols;
      if (!isObject(protocols)) throw new InvalidArgument('protocols', `expected an object, got ${kind(protocols)}`);
      for (const name of Object.keys(protocols)) {
        if (!isProtocolName(name)) {
          throw new InvalidArgument(`protocols.${name}`, `unknown protocol; known: ${PROTOCOLS.map((p) => p.name).join(', ')}`);
        }
        changes.push(...sectionChanges(`protocols.${name}`, name, PROTOCOL_OPTIONS, protocols[name], now));
      }
    } else {
      throw new InvalidArgument(key, 'unknown argument; set takes global and protocols');
    }
  }
  if (changes.length === 0) throw new InvalidArgument('protocols', 'nothing to set; give at least one option');
  return changes;
}

/**
 * Raw ESP and AH follow the IPsec mode unless set apart: an `esp` equal to
 * the mode (as older shipped configs wrote it) is not apart. So a change of
 * ipsec's mode that does not name esp also removes such an esp; otherwise
 * "block IPsec" would leave raw ESP open.
 */
export function withEspFollowing(doc: UciDocument, changes: UciChange[]): UciChange[] {
  const ipsec = (option: string) => changes.some((c) => c.section === 'ipsec' && c.option === option);
  if (!ipsec('mode') || ipsec('esp')) return changes;
  const section = doc.sections.find((s) => s.type === 'protocol' && s.name === 'ipsec');
  const value = (name: string) => section?.options.find((o) => o.name === name)?.values[0];
  const esp = value('esp');
  if (esp === undefined || esp !== (value('mode') ?? PROTOCOL_OPTIONS.mode.default)) return changes;
  return [...changes, { section: 'ipsec', type: 'protocol', option: 'esp', value: null }];
}
