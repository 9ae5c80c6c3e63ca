// The reference: an independent account of what vpn-passthrough must do with
// a config file, a `set` command line and an rpcd call, written from the
// documentation — `vpn-passthrough help config` (the option schema),
// `vpn-passthrough help` (the CLI), docs/ubus.md (the rpcd API), docs/design.md
// — and from libuci's grammar (openwrt/uci file.c), not from src/. Nothing here
// imports the code under test.
//
// Decisions where the documentation is silent (each one stated, so a
// disagreement can be judged):
// - The file is bytes, as libuci reads it. Non-ASCII bytes are fine in
//   comments; no option type accepts them in a value, no name holds them.
// - The UCI grammar is libuci's. Constructs libuci takes that the project's
//   documented subset leaves out — ';' between statements, '#' inside a word,
//   the one-letter keywords c/o/l/p, a quoted value running over several lines,
//   a backslash at the end of a line, an option without a value, \v or \f as
//   blanks, an empty section name — make the verdict "extended": refusing the
//   file (exit 3, a line named) is then as good as reading it as libuci does;
//   reading it any other way is not.
// - `option X ''` for a list option is the emptied list (schema.ts, listValue);
//   an `option` where a list is expected is split on blanks (as firewall4
//   does); `list` for a single-valued option is an error.
// - Booleans take OpenWrt's words (1/0, on/off, true/false, yes/no,
//   enabled/disabled), case-sensitive, as /lib/functions.sh's config_get_bool.
// - A device name is what the kernel and nft take: at most 15 bytes (IFNAMSIZ
//   16 with its NUL; a trailing '*' wildcard counts, nft stores the string),
//   not "." or "..", no '/', ':' or blanks (dev_valid_name).

import { isObject, NotJson, parseJsonBytes, type Json } from './json.ts';

// ---------------------------------------------------------------- schema

export type Mode = 'allow' | 'block';
export const PROTOCOL_NAMES = ['pptp', 'l2tp', 'ipsec', 'gre'] as const;
export type ProtocolName = (typeof PROTOCOL_NAMES)[number];
const isProtocol = (s: string): s is ProtocolName => (PROTOCOL_NAMES as readonly string[]).includes(s);

type TypeName = 'bool' | 'zone' | 'device' | 'rate' | 'mode' | 'family' | 'client' | 'server';

interface Spec {
  type: TypeName;
  list: boolean;
  def?: string | string[];
  only?: ProtocolName;
}

// From `vpn-passthrough help config`.
export const GLOBAL_SPEC: Record<string, Spec> = {
  enabled: { type: 'bool', list: false, def: '1' },
  lan_zone: { type: 'zone', list: true, def: ['lan'] },
  lan_device: { type: 'device', list: true, def: [] },
  log: { type: 'bool', list: false, def: '0' },
  log_limit: { type: 'rate', list: false, def: '10/minute' },
};
export const PROTOCOL_SPEC: Record<string, Spec> = {
  mode: { type: 'mode', list: false, def: 'allow' },
  esp: { type: 'mode', list: false, only: 'ipsec' },
  family: { type: 'family', list: false, def: 'any' },
  client: { type: 'client', list: true, def: [] },
  server: { type: 'server', list: true, def: [] },
};

/** A value for a message: quoted, bytes outside printable ASCII as \xHH. */
export const show = (v: string) => `"${v.replace(/[^\x20-\x7e]|["\\]/g, (c) => (c === '"' || c === '\\' ? `\\${c}` : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`))}"`;

const own = <T>(map: Record<string, T>, key: string): T | undefined =>
  Object.prototype.hasOwnProperty.call(map, key) ? map[key] : undefined;

export function specFor(section: 'global' | ProtocolName, option: string): Spec | undefined {
  if (section === 'global') return own(GLOBAL_SPEC, option);
  const spec = own(PROTOCOL_SPEC, option);
  if (spec?.only !== undefined && spec.only !== section) return undefined;
  return spec;
}

// ---------------------------------------------------------------- values

function ipv4(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return null;
    out.push(Number(p));
  }
  return out;
}

/** RFC 4291 §2.2 text forms, as eight 16-bit groups. */
function ipv6(text: string): number[] | null {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return null;
  const dbl = text.indexOf('::');
  if (dbl >= 0 && text.indexOf('::', dbl + 1) >= 0) return null;
  const side = (s: string, last: boolean): number[] | null => {
    if (s === '') return [];
    const fields = s.split(':');
    const out: number[] = [];
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      if (last && i === fields.length - 1 && f.includes('.')) {
        const v4 = ipv4(f);
        if (!v4) return null;
        out.push(v4[0] * 256 + v4[1], v4[2] * 256 + v4[3]);
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(f)) out.push(parseInt(f, 16));
      else return null;
    }
    return out;
  };
  if (dbl < 0) {
    const g = side(text, true);
    return g && g.length === 8 ? g : null;
  }
  const head = side(text.slice(0, dbl), false);
  const tail = side(text.slice(dbl + 2), true);
  if (!head || !tail || head.length + tail.length > 7) return null;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

function v6text(g: number[]): string {
  let best = -1;
  let len = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > len) {
      best = i;
      len = j - i;
    }
    i = j > i ? j : i + 1;
  }
  const hex = (a: number, b: number) => g.slice(a, b).map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(0, 8) : `${hex(0, best)}::${hex(best + len, 8)}`;
}

/** An address, subnet or MAC in one canonical spelling, or null if it is none of them. */
export function canonicalAddress(text: string, allowMac: boolean): string | null {
  if (allowMac && /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/.test(text)) return text.toLowerCase();
  const slash = text.split('/');
  if (slash.length > 2) return null;
  const [addr, prefix] = slash;
  const v4 = ipv4(addr);
  const v6 = v4 ? null : ipv6(addr);
  if (!v4 && !v6) return null;
  const bits = v4 ? 32 : 128;
  const bytes = v4 ?? v6!.flatMap((g) => [g >> 8, g & 255]);
  const base = v4 ? v4.join('.') : v6text(v6!);
  if (prefix === undefined) return base;
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefix) || Number(prefix) > bits) return null;
  const n = Number(prefix);
  // A subnet is written as its network address: no host bits after the prefix.
  for (let bit = n; bit < bits; bit++) {
    if (bytes[bit >> 3] & (0x80 >> (bit & 7))) return null;
  }
  return `${base}/${n}`;
}

const TRUE = ['1', 'on', 'true', 'yes', 'enabled'];
const FALSE = ['0', 'off', 'false', 'no', 'disabled'];

/** Whether a device name is one the kernel and nft take (see the header). */
export function validDevice(name: string): boolean {
  if (!/^[A-Za-z0-9_.@-]+\*?$/.test(name)) return false;
  if (name.length > 15) return false;
  const stem = name.endsWith('*') ? name.slice(0, -1) : name;
  return stem !== '' && stem !== '.' && stem !== '..';
}

/** A raw value -> its canonical typed form (a string), or null if invalid. */
export function parseValue(type: TypeName, raw: string): string | boolean | null {
  switch (type) {
    case 'bool':
      return TRUE.includes(raw) ? true : FALSE.includes(raw) ? false : null;
    case 'zone':
      // firewall4's zone names (help config: "zone name"; the schema's pattern).
      return /^[A-Za-z_.][A-Za-z0-9/_.-]{0,63}$/.test(raw) ? raw : null;
    case 'device':
      return validDevice(raw) ? raw : null;
    case 'rate':
      return /^[1-9][0-9]{0,5}\/(second|minute|hour|day)$/.test(raw) ? raw : null;
    case 'mode':
      return raw === 'allow' || raw === 'block' ? raw : null;
    case 'family':
      return raw === 'ipv4' || raw === 'ipv6' || raw === 'any' ? raw : null;
    case 'client':
      return canonicalAddress(raw, true);
    case 'server':
      return canonicalAddress(raw, false);
  }
}

// ---------------------------------------------------------------- settings

export interface ProtocolSettings {
  mode: Mode;
  /** Effective mode of raw ESP/AH (ipsec); equals mode elsewhere. */
  esp: Mode;
  family: string;
  client: string[];
  server: string[];
}

export interface Settings {
  global: { enabled: boolean; lan_zone: string[]; lan_device: string[]; log: boolean; log_limit: string };
  protocols: Record<ProtocolName, ProtocolSettings>;
}

/** The settings with nothing set: every documented default. */
export function defaults(): Settings {
  const protocols = {} as Record<ProtocolName, ProtocolSettings>;
  for (const p of PROTOCOL_NAMES) protocols[p] = { mode: 'allow', esp: 'allow', family: 'any', client: [], server: [] };
  return { global: { enabled: true, lan_zone: ['lan'], lan_device: [], log: false, log_limit: '10/minute' }, protocols };
}

/**
 * Settings as the implementation reports them (ubus `get`, `set`'s answer):
 * brought to the reference's spelling (canonical addresses, effective esp),
 * or an explanation of what does not fit the documented shape.
 */
export function fromReported(reported: unknown): Settings | string {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(reported) || !isObj(reported.global) || !isObj(reported.protocols)) return 'not {global, protocols}';
  const g = reported.global;
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (typeof g.enabled !== 'boolean' || typeof g.log !== 'boolean' || typeof g.log_limit !== 'string') return 'global has wrong types';
  if (!strings(g.lan_zone) || !strings(g.lan_device)) return 'global lists have wrong types';
  const out = defaults();
  out.global = {
    enabled: g.enabled,
    lan_zone: g.lan_zone as string[],
    lan_device: g.lan_device as string[],
    log: g.log,
    log_limit: g.log_limit,
  };
  for (const name of PROTOCOL_NAMES) {
    const p = reported.protocols[name];
    if (!isObj(p)) return `protocols.${name} missing`;
    if ((p.mode !== 'allow' && p.mode !== 'block') || typeof p.family !== 'string') return `protocols.${name} has wrong types`;
    if (!strings(p.client) || !strings(p.server)) return `protocols.${name} lists have wrong types`;
    const esp = name === 'ipsec' ? p.esp ?? p.mode : p.mode;
    if (esp !== 'allow' && esp !== 'block') return `protocols.${name}.esp has a wrong value`;
    out.protocols[name] = {
      mode: p.mode,
      esp,
      family: p.family,
      client: (p.client as string[]).map((a) => canonicalAddress(a, true) ?? `(raw) ${a}`),
      server: (p.server as string[]).map((a) => canonicalAddress(a, false) ?? `(raw) ${a}`),
    };
  }
  return out;
}

/** Differences between two settings, as "path: expected X, got Y" lines; empty when equal. */
export function diffSettings(expected: Settings, got: Settings): string[] {
  const out: string[] = [];
  const cmp = (path: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${path}: reference ${JSON.stringify(a)}, implementation ${JSON.stringify(b)}`);
  };
  for (const k of Object.keys(expected.global) as (keyof Settings['global'])[]) cmp(`global.${k}`, expected.global[k], got.global[k]);
  for (const p of PROTOCOL_NAMES) {
    for (const k of Object.keys(expected.protocols[p]) as (keyof ProtocolSettings)[]) {
      cmp(`protocols.${p}.${k}`, expected.protocols[p][k], got.protocols[p][k]);
    }
  }
  return out;
}

/** The differences that lift something the reference keeps: a block, a scope, a LAN device, the table itself. */
export function weakenings(expected: Settings, got: Settings): string[] {
  const out: string[] = [];
  if (!expected.global.enabled) return out; // disabled: nothing to weaken
  if (!got.global.enabled) out.push('enabled: the table is removed');
  for (const d of expected.global.lan_device) {
    if (!got.global.lan_device.includes(d)) out.push(`lan_device ${d} lost: its clients escape every block`);
  }
  for (const p of PROTOCOL_NAMES) {
    const e = expected.protocols[p];
    const g = got.protocols[p];
    if (e.mode === 'block' && g.mode === 'allow') out.push(`${p}: blocked, but allowed`);
    if (p === 'ipsec' && e.esp === 'block' && g.esp === 'allow') out.push('ipsec raw ESP/AH: blocked, but allowed');
    if (e.mode === 'allow' && g.mode === 'allow') {
      if (e.family !== 'any' && g.family !== e.family) out.push(`${p}.family ${e.family} widened to ${g.family}`);
      for (const k of ['client', 'server'] as const) {
        if (e[k].length > 0 && (g[k].length === 0 || g[k].some((a) => !e[k].includes(a)))) out.push(`${p}.${k} scope widened`);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- the UCI file

export interface RefOption {
  name: string;
  list: boolean;
  values: string[];
  lines: number[];
}

export interface RefSection {
  type: string;
  name?: string;
  lines: number[];
  options: Map<string, RefOption>;
}

export interface Fault {
  lines: number[];
  message: string;
}

export interface FileVerdict {
  valid: boolean;
  /** Settings when valid. */
  settings?: Settings;
  faults: Fault[];
  /** Constructs outside the project's documented subset of libuci's grammar (see the header). */
  extended: string[];
  /** The lines that hold them: a refusal may name these. */
  extendedLines: number[];
  /**
   * Lines a refusal may name: those at fault or holding a libuci-only
   * construct, and every line of an option or list of the same name in the
   * same section (an error about a list value may point at the list's
   * first line; a finding reported, not failed).
   */
  blameLines: number[];
  sections: RefSection[];
  /** Number of lines in the file (a trailing newline ends the last one). */
  lineCount: number;
}

class ParseError extends Error {
  constructor(
    readonly lines: number[],
    message: string,
  ) {
    super(message);
  }
}

const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
const isAlnum = (c: string) => /^[A-Za-z0-9]$/.test(c);

function validateStr(s: string, name: boolean, pkg: boolean): boolean {
  if (s === '') return false;
  for (const c of s) {
    if (isAlnum(c) || c === '_') continue;
    if (c === '-' && pkg) continue;
    const code = c.charCodeAt(0);
    if (name || code < 33 || code > 126) return false;
  }
  return true;
}

/**
 * libuci's parser (uci_import/uci_parse_line and friends) over the file's
 * bytes (a latin1 string: one character per byte).
 */
export interface Parsed {
  sections: RefSection[];
  extended: string[];
  extendedLines: number[];
  /** Line -> "section index/option name" for option and list statements (those that failed too). */
  lineKeys: Map<number, string>;
  /** libuci's error (it stops there). */
  error?: ParseError;
  /** Errors found by going on from the next line: lines a refusal may name too. */
  laterErrors: ParseError[];
}

export function parseUciBytes(text: string): Parsed {
  const physical: string[] = [];
  {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) {
        if (start < text.length) physical.push(text.slice(start));
        break;
      }
      physical.push(text.slice(start, nl + 1));
      start = nl + 1;
    }
  }
  const sections: RefSection[] = [];
  const named = new Map<string, RefSection>();
  const reasons = new Set<string>();
  const extendedLines = new Set<number>();
  const extended = {
    add(reason: string) {
      reasons.add(reason);
      for (let l = stmtFirst; l <= next; l++) extendedLines.add(l);
    },
  };
  let current: RefSection | null = null;
  const lineKeys = new Map<number, string>();
  let stmtKey: string | null = null;
  let next = 0; // next physical line to read
  let buf = '';
  let pos = 0;
  let stmtFirst = 0; // first line of the statement being parsed
  const lineNo = () => next; // 1-based number of the last line read
  const stmtLines = () => {
    const out: number[] = [];
    for (let l = stmtFirst; l <= lineNo(); l++) out.push(l);
    return out;
  };
  const error = (message: string): never => {
    throw new ParseError(stmtLines(), message);
  };
  const getln = (offset: number) => {
    buf = buf.slice(0, offset) + (next < physical.length ? physical[next++] : '');
  };
  const cur = () => (pos < buf.length ? buf[pos] : '');
  const skipWhitespace = () => {
    while (pos < buf.length && isSpace(buf[pos])) {
      if (buf[pos] === '\v' || buf[pos] === '\f') extended.add('\\v or \\f as a blank');
      pos++;
    }
  };
  /** parse_backslash: true if the escaped character is to be taken. */
  const backslash = (): boolean => {
    pos++;
    const c = cur();
    if (c === '' || c === '\n' || (c === '\r' && buf[pos + 1] === '\n' && pos + 2 >= buf.length)) {
      extended.add('a backslash at the end of a line');
      getln(pos);
      return false;
    }
    return true;
  };
  const parseStr = (): { value: string; quoted: boolean } => {
    let value = '';
    let quoted = false;
    let more = true;
    do {
      const c = cur();
      if (c === "'") {
        quoted = true;
        pos++;
        for (;;) {
          const q = cur();
          if (q === "'") {
            pos++;
            break;
          }
          if (q === '') {
            extended.add('a quoted value over several lines');
            getln(pos);
            if (cur() === '') error("EOF with unterminated '");
            continue;
          }
          value += q;
          pos++;
        }
      } else if (c === '"') {
        quoted = true;
        pos++;
        for (;;) {
          const q = cur();
          if (q === '"') {
            pos++;
            break;
          }
          if (q === '') {
            extended.add('a quoted value over several lines');
            getln(pos);
            if (cur() === '') error('EOF with unterminated "');
            continue;
          }
          if (q === '\\' && !backslash()) continue;
          value += cur();
          pos++;
        }
      } else if (c === '#') {
        if (value !== '' || quoted) extended.add("'#' inside a word");
        buf = buf.slice(0, pos);
        break;
      } else if (c === '') {
        break;
      } else if (c === ';') {
        extended.add("';' between statements");
        more = false;
        break;
      } else {
        if (c === '\\' && !backslash()) continue;
        value += cur();
        pos++;
      }
    } while (cur() !== '' && !isSpace(cur()));
    if (cur() !== '' && more) {
      if (cur() === '\v' || cur() === '\f') extended.add('\\v or \\f as a blank');
      pos++;
    }
    return { value, quoted };
  };
  const nextArg = (required: boolean, name: boolean, pkg: boolean): { value: string; present: boolean } => {
    skipWhitespace();
    if (cur() === ';') {
      extended.add("';' between statements");
      pos++;
      if (required) error('insufficient arguments');
      return { value: '', present: false };
    }
    const { value, quoted } = parseStr();
    if (value === '') {
      if (required) error('insufficient arguments');
      return { value, present: quoted };
    }
    if (name && !validateStr(value, name, pkg)) error('invalid character in name field');
    return { value, present: true };
  };
  const assertEol = () => {
    skipWhitespace();
    const { value } = nextArg(false, false, false);
    if (value !== '') error('too many arguments');
  };
  const parseConfig = () => {
    const type = nextArg(true, false, false).value;
    if (!validateStr(type, false, false)) error('invalid character in type field');
    const nameArg = nextArg(false, true, false);
    assertEol();
    const name = nameArg.value;
    if (name === '') {
      if (nameArg.present) extended.add('an empty section name');
      current = { type, lines: [stmtFirst], options: new Map() };
      sections.push(current);
      return;
    }
    const earlier = named.get(name);
    if (earlier !== undefined) {
      if (earlier.type !== type) error('section of different type overwrites prior section with same name');
      earlier.lines.push(stmtFirst);
      current = earlier;
      return;
    }
    current = { type, name, lines: [stmtFirst], options: new Map() };
    sections.push(current);
    named.set(name, current);
  };
  const parseOption = (list: boolean) => {
    if (current === null) error('option/list command found before the first section');
    const name = nextArg(true, true, false).value;
    stmtKey = `${sections.indexOf(current as RefSection)}/${name}`;
    const valueArg = nextArg(false, false, false);
    assertEol();
    if (!valueArg.present) extended.add('an option without a value');
    const value = valueArg.value;
    const section = current as RefSection;
    const existing = section.options.get(name);
    const lines = stmtLines();
    if (list) {
      if (existing === undefined) section.options.set(name, { name, list: true, values: [value], lines });
      else {
        existing.list = true;
        existing.values.push(value);
        existing.lines.push(...lines);
      }
    } else if (existing === undefined) {
      section.options.set(name, { name, list: false, values: [value], lines });
    } else {
      existing.list = false;
      existing.values = [value];
      existing.lines.push(...lines);
    }
  };
  const keyLines = () => {
    if (stmtKey !== null) for (const l of stmtLines()) lineKeys.set(l, stmtKey);
  };
  const parseLine = () => {
    skipWhitespace();
    for (;;) {
      let p = pos;
      while (buf[p] === ' ' || buf[p] === '\t') p++;
      if (p >= buf.length) return;
      let q = p;
      while (q < buf.length && buf[q] !== ' ' && buf[q] !== '\t') q++;
      const word = buf.slice(p, q);
      if (word[0] === '#') return;
      const kind =
        word === 'package' || word === 'p' ? 'package'
        : word === 'config' || word === 'c' ? 'config'
        : word === 'option' || word === 'o' ? 'option'
        : word === 'list' || word === 'l' ? 'list'
        : null;
      if (kind === null) error('invalid command');
      if (word.length === 1) extended.add('a one-letter keyword');
      if (q >= buf.length) error(`${kind} without name`);
      pos = q + 1;
      stmtKey = null;
      if (kind === 'package') {
        nextArg(true, true, true);
        assertEol();
      } else if (kind === 'config') parseConfig();
      else parseOption(kind === 'list');
      keyLines();
    }
  };
  const errors: ParseError[] = [];
  while (next < physical.length) {
    pos = 0;
    buf = '';
    stmtFirst = next + 1;
    getln(0);
    try {
      parseLine();
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      keyLines();
      errors.push(e);
    }
  }
  return { sections, extended: [...reasons], extendedLines: [...extendedLines], lineKeys, error: errors[0], laterErrors: errors.slice(1) };
}

/** Validates the parsed file against the schema; every fault with its lines. */
export function judgeFile(bytes: Uint8Array | string): FileVerdict {
  const { lineKeys, ...v } = judge(bytes);
  const blame = new Set([...v.faults.flatMap((f) => f.lines), ...v.extendedLines]);
  const keys = new Set([...blame].map((l) => lineKeys.get(l)).filter((k) => k !== undefined));
  for (const [line, key] of lineKeys) if (keys.has(key)) blame.add(line);
  return { ...v, blameLines: [...blame].sort((a, b) => a - b) };
}

function judge(bytes: Uint8Array | string): Omit<FileVerdict, 'blameLines'> & { lineKeys: Map<number, string> } {
  const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('latin1');
  const lineCount = text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  const parsed = parseUciBytes(text);
  const faults: Fault[] = [];
  // libuci stops at its first error; the sections read up to there (and
  // past it) are judged too, so every fault can be blamed.
  if (parsed.error) for (const e of [parsed.error, ...parsed.laterErrors]) faults.push({ lines: e.lines, message: e.message });
  const settings = defaults();
  let global: RefSection | undefined;
  const protocols = new Map<ProtocolName, RefSection>();
  for (const s of parsed.sections) {
    if (s.type === 'global') {
      if (global === undefined) global = s;
      else faults.push({ lines: s.lines, message: 'a second global section' });
    } else if (s.type === 'protocol') {
      if (s.name === undefined || !isProtocol(s.name)) faults.push({ lines: s.lines, message: 'a protocol section must be named after its protocol' });
      else protocols.set(s.name, s);
    } else {
      faults.push({ lines: s.lines, message: `unknown section type '${s.type}'` });
    }
  }
  const read = (section: RefSection | undefined, where: 'global' | ProtocolName, apply: (option: string, value: unknown) => void) => {
    if (section === undefined) return;
    for (const o of section.options.values()) {
      const spec = specFor(where, o.name);
      if (spec === undefined) {
        faults.push({ lines: o.lines, message: `unknown option '${o.name}'` });
        continue;
      }
      if (!spec.list && o.list) {
        faults.push({ lines: o.lines, message: `option '${o.name}' takes one value, not a list` });
        continue;
      }
      const raws = spec.list && !o.list ? o.values[0].split(/[ \t\n\r\v\f]+/).filter((v) => v !== '') : o.values;
      const values: unknown[] = [];
      let bad = false;
      for (const raw of raws) {
        const v = parseValue(spec.type, raw);
        if (v === null) {
          faults.push({ lines: o.lines, message: `option '${o.name}': invalid value ${show(raw)}` });
          bad = true;
        } else values.push(v);
      }
      if (!bad) apply(o.name, spec.list ? values : values[0]);
    }
  };
  read(global, 'global', (option, value) => {
    (settings.global as Record<string, unknown>)[option] = value;
  });
  for (const name of PROTOCOL_NAMES) {
    let esp: Mode | undefined;
    const p = settings.protocols[name];
    read(protocols.get(name), name, (option, value) => {
      if (option === 'esp') esp = value as Mode;
      else (p as unknown as Record<string, unknown>)[option] = value;
    });
    p.esp = esp ?? p.mode;
  }
  if (faults.length > 0 || parsed.error) return { valid: false, faults, extended: parsed.extended, extendedLines: parsed.extendedLines, lineKeys: parsed.lineKeys, sections: parsed.sections, lineCount };
  return { valid: true, settings, faults, extended: parsed.extended, extendedLines: parsed.extendedLines, lineKeys: parsed.lineKeys, sections: parsed.sections, lineCount };
}

/** The raw value of an option in a valid file's section (for the esp rule), or undefined. */
function rawOption(sections: RefSection[], section: ProtocolName, option: string): string | undefined {
  const s = sections.find((x) => x.type === 'protocol' && x.name === section);
  const o = s?.options.get(option);
  return o ? o.values[o.values.length - 1] : undefined;
}

// ---------------------------------------------------------------- changes (set, ubus set)

export interface Change {
  section: 'global' | ProtocolName;
  option: string;
  /** Canonical typed value; null: removed (the default applies again). */
  value: unknown;
}

/**
 * Settings after changes, as `vpn-passthrough help` and docs/ubus.md say: a
 * change of ipsec's mode without esp takes raw ESP/AH along, unless esp was
 * set apart (present in the file with a value other than the mode).
 */
export function applyChanges(base: FileVerdict, changes: Change[]): Settings {
  const s = structuredClone(base.settings!);
  const espApart = (() => {
    const esp = rawOption(base.sections, 'ipsec', 'esp');
    if (esp === undefined) return false;
    return esp !== (rawOption(base.sections, 'ipsec', 'mode') ?? 'allow');
  })();
  const touches = (option: string) => changes.some((c) => c.section === 'ipsec' && c.option === option);
  for (const c of changes) {
    const spec = specFor(c.section, c.option)!;
    const value = c.value === null ? (spec.list ? [...((spec.def as string[]) ?? [])] : spec.def === undefined ? undefined : parseValue(spec.type, spec.def as string)) : c.value;
    if (c.section === 'global') (s.global as Record<string, unknown>)[c.option] = value;
    else if (c.option !== 'esp') (s.protocols[c.section] as unknown as Record<string, unknown>)[c.option] = value;
  }
  const ipsec = s.protocols.ipsec;
  const espChange = changes.find((c) => c.section === 'ipsec' && c.option === 'esp');
  if (espChange) ipsec.esp = espChange.value === null ? ipsec.mode : (espChange.value as Mode);
  else if (touches('mode') && !espApart) ipsec.esp = ipsec.mode;
  for (const p of PROTOCOL_NAMES) if (p !== 'ipsec') s.protocols[p].esp = s.protocols[p].mode;
  return s;
}

// ---------------------------------------------------------------- the CLI's set

export interface CliVerdict {
  /** Exit codes the documentation allows for this command line. */
  exits: number[];
  /** What the command does: usage error, invalid value, help, or a change. */
  kind: 'usage' | 'invalid' | 'help' | 'ok';
  json: boolean;
  settings?: Settings;
  why: string;
}

/**
 * `vpn-passthrough [--json] [-c FILE] set KEY VALUE...` as `vpn-passthrough
 * help` documents it. Options come before the command; after it every word
 * is the key or a value. A key is a protocol (its mode), PROTOCOL.OPTION, a
 * global option or global.OPTION — exactly, nothing after it.
 */
export function judgeSet(argv: string[], base: FileVerdict): CliVerdict {
  let json = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (a === '-c' || a === '--config') i++;
    else if (a === '-h' || a === '--help') return { exits: [0], kind: 'help', json, why: 'help' };
    else break;
  }
  if (argv[i] !== 'set') throw new Error('judgeSet: not a set command line');
  const args = argv.slice(i + 1);
  const usage = (why: string): CliVerdict => ({ exits: [2], kind: 'usage', json, why });
  if (args.length === 0) return usage('no key');
  const [key, ...values] = args;
  const parts = key.split('.');
  let section: 'global' | ProtocolName;
  let option: string;
  if (parts.length === 1) {
    if (isProtocol(parts[0])) [section, option] = [parts[0], 'mode'];
    else [section, option] = ['global', parts[0]];
  } else if (parts.length === 2 && (isProtocol(parts[0]) || parts[0] === 'global')) {
    [section, option] = [parts[0] as 'global' | ProtocolName, parts[1]];
  } else return usage(`key '${key}' is not section.option`);
  const spec = specFor(section, option);
  if (spec === undefined) return usage(`unknown option '${option}' for ${section}`);
  if (!spec.list && values.length !== 1) return usage(`'${key}' takes exactly one value`);
  const typed: unknown[] = [];
  for (const v of values) {
    const t = parseValue(spec.type, v);
    // A value that looks like an option is still a value; a command may also call it a usage error.
    if (t === null) return { exits: v.startsWith('-') ? [2, 3] : [3], kind: 'invalid', json, why: `invalid value ${show(v)}` };
    typed.push(t);
  }
  if (!base.valid) return { exits: [3], kind: 'invalid', json, why: 'the file on disk is invalid' };
  const settings = applyChanges(base, [{ section, option, value: spec.list ? typed : typed[0] }]);
  return { exits: [0], kind: 'ok', json, settings, why: 'a valid change' };
}

// ---------------------------------------------------------------- rpcd

export const RPCD_METHODS = ['status', 'sessions', 'doctor', 'get', 'set', 'apply'];

export interface RpcdVerdict {
  kind: 'bad_input' | 'invalid' | 'ok';
  /** For invalid: the fields at fault (any of them may be named); empty: any field. */
  fields: string[];
  settings?: Settings;
  why: string;
}

/** `call <method>` with these bytes on stdin, as docs/ubus.md documents it. */
export function judgeRpcd(method: string, input: Uint8Array, base: FileVerdict): RpcdVerdict {
  const bad = (why: string): RpcdVerdict => ({ kind: 'bad_input', fields: [], why });
  if (!RPCD_METHODS.includes(method)) return bad(`unknown method ${show(method)}`);
  let args: Json;
  try {
    args = parseJsonBytes(input);
  } catch (e) {
    if (e instanceof NotJson) return bad(`not JSON: ${e.message}`);
    throw e;
  }
  if (!isObject(args)) return bad('not an object');
  const rest = new Map(args);
  rest.delete('ubus_rpc_session');
  if (method !== 'set') {
    if (rest.size > 0) return { kind: 'invalid', fields: [...rest.keys()], why: 'takes no arguments' };
    if (!base.valid) return { kind: 'ok', fields: [], why: `${method} of an invalid file (config error for get/apply)` };
    return { kind: 'ok', fields: [], settings: base.settings, why: method };
  }
  const faults: string[] = [];
  const changes: Change[] = [];
  const section = (path: string, where: 'global' | ProtocolName, v: Json) => {
    if (!isObject(v)) {
      faults.push(path);
      return;
    }
    for (const [name, value] of v) {
      const at = `${path}.${name}`;
      const spec = specFor(where, name);
      if (spec === undefined) {
        faults.push(at);
        continue;
      }
      if (value === null) {
        changes.push({ section: where, option: name, value: null });
        continue;
      }
      if (spec.list) {
        if (!Array.isArray(value)) {
          faults.push(at);
          continue;
        }
        const typed: unknown[] = [];
        value.forEach((x, i) => {
          const t = typeof x === 'string' ? parseValue(spec.type, x) : null;
          if (t === null) faults.push(`${at}[${i}]`);
          else typed.push(t);
        });
        changes.push({ section: where, option: name, value: typed });
      } else if (spec.type === 'bool') {
        if (typeof value !== 'boolean') faults.push(at);
        else changes.push({ section: where, option: name, value });
      } else {
        const t = typeof value === 'string' ? parseValue(spec.type, value) : null;
        if (t === null) faults.push(at);
        else changes.push({ section: where, option: name, value: t });
      }
    }
  };
  for (const [key, value] of rest) {
    if (key === 'global') section('global', 'global', value);
    else if (key === 'protocols') {
      if (!isObject(value)) {
        faults.push('protocols');
        continue;
      }
      for (const [name, p] of value) {
        if (!isProtocol(name)) faults.push(`protocols.${name}`);
        else section(`protocols.${name}`, name, p);
      }
    } else faults.push(key);
  }
  if (faults.length > 0) return { kind: 'invalid', fields: faults, why: `fields at fault: ${faults.join(', ')}` };
  if (changes.length === 0) return { kind: 'invalid', fields: [], why: 'nothing to set' };
  if (!base.valid) return { kind: 'ok', fields: [], why: 'set over an invalid file' };
  return { kind: 'ok', fields: [], settings: applyChanges(base, changes), why: `${changes.length} change(s)` };
}
