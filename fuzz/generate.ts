// Input generators for the three interfaces. Every input carries one family:
// "plain" inputs stay clear of the hazards that issue 10 lists, and each
// hazard has a family of its own, so a failure lands in exactly one category.
// Text is built as latin1 strings (one character per byte) and written as
// bytes, so non-UTF-8 input is exactly what is on disk.

import { Rng } from './rng.ts';

export const PROTOS = ['pptp', 'l2tp', 'ipsec', 'gre'] as const;
/** Names of Object.prototype (and friends) that a lookup in a plain object finds. */
export const PROTOTYPE_NAMES = [
  '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf',
  'propertyIsEnumerable', 'toLocaleString', '__defineGetter__', '__lookupSetter__',
];
/** Words an engine error would print; an input that holds one is echoed, not an engine error. */
export const ENGINE_WORDS = ['undefined', 'NaN', 'TypeError', '[object Object]', 'Infinity', 'null'];

const bytes = (utf8: string) => Buffer.from(utf8, 'utf8').toString('latin1');

// ---------------------------------------------------------------- values

const TRUE = ['1', 'on', 'true', 'yes', 'enabled'];
const FALSE = ['0', 'off', 'false', 'no', 'disabled'];
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const ALNUM = LOWER + '0123456789';

export function ipv4(rng: Rng): string {
  return [rng.pick([10, 192, 172, 203, 198, 100, 1]), rng.int(256), rng.int(256), rng.int(256)].join('.');
}

function subnet4(rng: Rng): string {
  const prefix = rng.pick([8, 16, 24, 25, 30, 32, 0, 12]);
  const a = [rng.int(224), rng.int(256), rng.int(256), rng.int(256)];
  const n = (a[0] * 2 ** 24 + a[1] * 2 ** 16 + a[2] * 256 + a[3]) >>> 0;
  const masked = prefix === 0 ? 0 : (n & (~0 << (32 - prefix))) >>> 0;
  return `${[masked >>> 24, (masked >>> 16) & 255, (masked >>> 8) & 255, masked & 255].join('.')}/${prefix}`;
}

/**
 * IPv6 with an IPv4 part (RFC 4291 2.2 form 3): nft 1.0.6 reads only
 * ::a.b.c.d and ::ffff:a.b.c.d of these, so they have a family of their own.
 */
export function mixedIpv6(rng: Rng): string {
  const v4 = [rng.int(256), rng.int(256), rng.int(256), rng.int(256)].join('.');
  return rng.pick(['2001:db8::', '64:ff9b::', '2001:db8:1:2:3:4:', '::ffff:', '::', '2001:db8::5:']) + v4 + (rng.chance(0.2) ? '/128' : '');
}

function ipv6(rng: Rng): string {
  const groups = Array.from({ length: 8 }, (_, i) => (i === 0 ? 0x2001 : i === 1 ? 0xdb8 : rng.chance(0.4) ? 0 : rng.int(65536)));
  const hex = groups.map((g) => {
    const h = g.toString(16);
    return rng.chance(0.2) ? h.toUpperCase() : rng.chance(0.1) ? h.padStart(4, '0') : h;
  });
  const style = rng.int(3);
  if (style === 0) return hex.join(':');
  // "::" over a run of zero groups (any run, not only the longest)
  const zeros = groups.map((g, i) => (g === 0 ? i : -1)).filter((i) => i >= 0);
  if (zeros.length === 0) return hex.join(':');
  const start = rng.pick(zeros);
  let end = start;
  while (end + 1 < 8 && groups[end + 1] === 0) end++;
  return `${hex.slice(0, start).join(':')}::${hex.slice(end + 1).join(':')}`;
}

function subnet6(rng: Rng): string {
  const prefix = rng.pick([32, 48, 56, 64]);
  const g = [0x2001, 0xdb8, rng.int(65536), rng.int(65536)];
  if (prefix <= 48) g[3] = 0;
  if (prefix <= 32) g[2] = 0;
  if (prefix === 56) g[3] &= 0xff00;
  return `${g.map((x) => x.toString(16)).join(':')}::/${prefix}`;
}

function mac(rng: Rng): string {
  const m = Array.from({ length: 6 }, () => rng.int(256).toString(16).padStart(2, '0')).join(':');
  return rng.chance(0.3) ? m.toUpperCase() : m;
}

export function device(rng: Rng): string {
  return rng.pick([
    'br-lan', 'eth0', 'eth0.2', 'wlan0', 'wg*', 'lan1', 'tun0', 'br-guest', 'phy0-ap0', 'eth1', 'wan',
    `veth${rng.int(100)}`, `${rng.string(LOWER, rng.range(1, 4))}${rng.int(10)}`, `tap_${rng.string(ALNUM, 3)}`,
  ]);
}

/** A valid value for an option (raw, as written in the file or given to set). */
export function validValue(rng: Rng, option: string): string {
  switch (option) {
    case 'enabled':
    case 'log':
      return rng.chance(0.7) ? rng.pick(['0', '1']) : rng.pick([...TRUE, ...FALSE]);
    case 'lan_zone':
      return rng.pick(['lan', 'guest', 'iot', 'lan2', 'vpn_lan', 'dmz-1', rng.string(ALNUM + '_-', rng.range(1, 12))]);
    case 'lan_device':
      return device(rng);
    case 'log_limit':
      return `${rng.pick([1, 5, 10, 60, 999999, rng.range(1, 999)])}/${rng.pick(['second', 'minute', 'hour', 'day'])}`;
    case 'mode':
    case 'esp':
      return rng.pick(['allow', 'block']);
    case 'family':
      return rng.pick(['any', 'ipv4', 'ipv6']);
    case 'client':
      return rng.weighted([[3, () => ipv4(rng)], [2, () => subnet4(rng)], [2, () => ipv6(rng)], [1, () => subnet6(rng)], [2, () => mac(rng)]] as const)();
    case 'server':
      return rng.weighted([[3, () => ipv4(rng)], [2, () => subnet4(rng)], [2, () => ipv6(rng)], [1, () => subnet6(rng)]] as const)();
    default:
      return 'x';
  }
}

/** Values that are wrong for most options, in the ways people and scripts get them wrong. */
const TRICKY = [
  '', ' ', 'Allow', 'BLOCK', 'allow ', ' block', 'alow', 'blok', 'allow block', '2', '-1', '01', '1.0', 'ON', 'Yes', 'y',
  'NaN', 'undefined', 'null', 'Infinity', '$(id)', '`id`', '; flush ruleset', '"; flush ruleset', '}', '{', '0x1', '*',
  '10/minutes', '0/minute', '1000000/second', '10 /minute', '10/Minute', '/minute', '10/', '10.0.0.256', '10.0.0',
  '192.168.1.1/24', '10.0.0.0/33', '10.0.0.0/08', '::1/129', 'fe80::1%eth0', '1:2:3:4:5:6:7:8:9', '1::2::3', ':::',
  '00-11-22-33-44-55', '00:11:22:33:44', '00:11:22:33:44:55:66', 'gg:11:22:33:44:55', '010.0.0.1', ' 10.0.0.1',
  'br lan', 'a/b', 'lan,wan', 'lan;wan', 'x'.repeat(33), '\u00e9', 'ipv5', 'IPV4', 'all', 'any ', 'allow\\', "it's",
];

export function trickyValue(rng: Rng): string {
  if (rng.chance(0.08)) return rng.string(ALNUM + '/.:-_', rng.range(100, 4000));
  if (rng.chance(0.1)) return rng.string(ALNUM + ' !#$%&()*+,-./:;<=>?@[]^_{|}~', rng.range(1, 20));
  return rng.pick(TRICKY);
}

/** Device names around what the kernel and nft take (issue 10 item 9). */
export function boundaryDevice(rng: Rng): string {
  const len = rng.pick([13, 14, 15, 15, 16, 16, 17, 20]);
  const stem = 'br-lan' + '1234567890abcdefghij'.slice(0, Math.max(1, len - 6));
  const name = stem.slice(0, len);
  return rng.weighted([
    [5, name],
    [5, name.slice(0, len - 1) + '*'],
    [1, '.'],
    [1, '..'],
    [1, '.*'],
    [2, `eth0:${rng.int(10)}`],
    [1, 'a@b'],
  ] as const);
}

// ---------------------------------------------------------------- UCI text

const OPTIONS: Record<string, string[]> = {
  global: ['enabled', 'lan_zone', 'lan_device', 'log', 'log_limit'],
  protocol: ['mode', 'family', 'client', 'server'],
};
const LISTS = ['lan_zone', 'lan_device', 'client', 'server'];

/** A word quoted in one of the ways libuci reads it back unchanged. */
export function quote(rng: Rng, value: string): string {
  const plain = value !== '' && !/[\s'"\\#;]/.test(value);
  const style = rng.int(plain ? 5 : 3);
  if (style === 0 && !value.includes("'")) return `'${value}'`;
  if (style === 1 || (style === 0 && value.includes("'"))) return `"${value.replace(/[\\"]/g, (c) => '\\' + c)}"`;
  if (style === 2) return `'${value.replace(/'/g, `'\\''`)}'`;
  if (style === 3 && value.length > 1) {
    const cut = rng.range(1, value.length - 1);
    return `'${value.slice(0, cut)}'"${value.slice(cut)}"`; // adjacent quoted parts make one word
  }
  return value;
}

const blank = (rng: Rng) => rng.pick(['\t', '\t', '  ', ' ', '\t\t', '    ']);
const sep = (rng: Rng) => rng.pick([' ', ' ', ' ', '\t', '  ']);

const COMMENTS = [
  '# VPN passthrough', '# PPTP: TCP 1723 and enhanced GRE', '#', '# set by hand', '### section ###',
  "# it's a comment with 'quotes' and \"more\"", '# option mode block', '#config protocol x',
];

function comment(rng: Rng): string {
  if (rng.chance(0.15)) return bytes(rng.pick(['# 20 °C', '# café', '# naïve — ok', '# ünïcödé ✓', '# 日本語']));
  return rng.pick(COMMENTS);
}

/** A random valid config as lines (without newlines). */
export function validConfigLines(rng: Rng): string[] {
  const out: string[] = [];
  if (rng.chance(0.15)) out.push(`package ${rng.pick(['vpn-passthrough', "'vpn-passthrough'"])}`);
  const sections: { header: string; options: string[] }[] = [];
  const optionLines = (kind: 'global' | 'protocol', name?: string): string[] => {
    const lines: string[] = [];
    const names = OPTIONS[kind].concat(name === 'ipsec' ? ['esp'] : []).filter(() => rng.chance(0.5));
    for (const o of rng.shuffle(names)) {
      if (LISTS.includes(o)) {
        const n = rng.weighted([[2, 0], [4, 1], [3, 2], [1, rng.range(3, 12)]] as const);
        const values = Array.from({ length: n }, () => validValue(rng, o));
        const style = rng.int(4);
        if (n === 0 && o === 'lan_zone') lines.push(`option ${o} ''`);
        else if (n === 0) continue;
        else if (style === 0) lines.push(`option ${o}${sep(rng)}${quote(rng, values.join(rng.pick([' ', '  ', '\t'])))}`);
        else for (const v of values) lines.push(`list ${o}${sep(rng)}${quote(rng, v)}`);
      } else {
        if (rng.chance(0.08)) lines.push(`option ${o}${sep(rng)}${quote(rng, validValue(rng, o))}`); // replaced below
        lines.push(`option ${o}${sep(rng)}${quote(rng, validValue(rng, o))}`);
      }
    }
    return lines;
  };
  if (rng.chance(0.85)) {
    const name = rng.weighted([[6, " 'global'"], [2, ''], [1, ' global'], [1, ` '${rng.pick(['main', 'settings', 'g1'])}'`]] as const);
    sections.push({ header: `config global${name}`, options: optionLines('global') });
  }
  for (const p of rng.shuffle([...PROTOS]).filter(() => rng.chance(0.7))) {
    sections.push({ header: `config protocol${sep(rng)}${quote(rng, p)}`, options: optionLines('protocol', p) });
    // libuci: a named section declared again continues the first one
    if (rng.chance(0.1)) sections.push({ header: `config protocol '${p}'`, options: optionLines('protocol', p) });
  }
  for (const s of sections) {
    if (rng.chance(0.4)) out.push(comment(rng));
    out.push(s.header + (rng.chance(0.1) ? ` ${rng.pick(COMMENTS)}` : ''));
    for (const o of s.options) {
      if (rng.chance(0.1)) out.push(blank(rng) + comment(rng));
      out.push(blank(rng) + o + (rng.chance(0.05) ? ` ${rng.pick(COMMENTS)}` : ''));
    }
    if (rng.chance(0.6)) out.push('');
  }
  return out;
}

export function joinLines(rng: Rng, lines: string[]): string {
  const eol = rng.chance(0.08) ? '\r\n' : '\n';
  return lines.join(eol) + (rng.chance(0.9) ? eol : '');
}

// ---------------------------------------------------------------- config inputs

export type ConfigFamily = 'plain' | 'prototype' | 'non-utf8' | 'device' | 'mixed-ipv6' | 'keyword-quoting' | 'continuation' | 'semicolon';

export interface ConfigInput {
  family: ConfigFamily;
  /** The file's bytes as a latin1 string. */
  text: string;
  what: string;
}

const KEYWORD = /^(\s*)(config|option|list)\b/;

/** One mutation of a line list; returns a description. */
function mutate(rng: Rng, lines: string[]): string {
  const at = () => rng.int(Math.max(1, lines.length));
  const optionAt = () => {
    const idx = lines.map((l, i) => (/^\s*(option|list)\s/.test(l) ? i : -1)).filter((i) => i >= 0);
    return idx.length ? rng.pick(idx) : -1;
  };
  const kind = rng.int(19);
  switch (kind) {
    case 0: {
      const i = optionAt();
      if (i < 0) break;
      const m = /^(\s*(?:option|list)\s+\S+\s+)(.*)$/.exec(lines[i]);
      if (!m) break;
      lines[i] = m[1] + quote(rng, bytes(trickyValue(rng)));
      return 'a bad value';
    }
    case 1: {
      const name = rng.pick(['colour', 'Mode', 'modes', 'esp', 'zone', 'lan_zones', 'device', 'clients', 'ipv6', 'enable', 'x1', '_', 'mode_']);
      lines.splice(at() + 1, 0, `\toption ${name} ${quote(rng, rng.pick(['1', 'block', 'lan', 'x']))}`);
      return 'an unknown option';
    }
    case 2: {
      lines.splice(at(), 0, rng.pick([
        `config ${rng.pick(['protocols', 'Global', 'zone', 'rule', 'proto-col', 'glo.bal'])} ${quote(rng, rng.pick(PROTOS))}`,
        `config protocol ${quote(rng, rng.pick(['PPTP', 'wireguard', 'esp', 'ike', 'global', 'ipsec2', 'gre_']))}`,
        'config protocol', 'config global', "config global 'other'", `config global '${rng.pick(PROTOS)}'`,
      ]));
      return 'an odd or duplicate section';
    }
    case 3: {
      const i = optionAt();
      if (i < 0) break;
      lines.splice(i + 1, 0, lines[i]);
      return 'a line repeated';
    }
    case 4: {
      const i = at();
      if (lines[i] === undefined) break;
      const q = rng.pick(["'", '"']);
      const pos = rng.int(lines[i].length + 1);
      lines[i] = lines[i].slice(0, pos) + q + lines[i].slice(pos);
      return 'a stray quote';
    }
    case 5: {
      const i = optionAt();
      if (i < 0) break;
      lines[i] = lines[i].replace(/'([^']*)'$/, (_, v: string) => `"${v.split('').map((c) => (rng.chance(0.3) ? '\\' + c : c)).join('')}"`);
      return 'backslashes in double quotes';
    }
    case 6: {
      const i = optionAt();
      if (i < 0) break;
      lines[i] = lines[i] + rng.pick([' extra', " 'two' 'values'", ' #comment', '#glued']);
      return 'something after the value';
    }
    case 7: {
      const i = at();
      if (lines[i] === undefined) break;
      lines[i] = lines[i].replace(KEYWORD, (_, b: string, k: string) => b + rng.pick([k.toUpperCase(), k[0], `${k}s`, '']));
      return 'an odd keyword';
    }
    case 8: {
      const i = optionAt();
      if (i < 0) break;
      const m = /^(\s*(?:option|list)\s+)(\S+)(.*)$/.exec(lines[i]);
      if (!m) break;
      lines[i] = m[1] + rng.pick([`${m[2]}-x`, `${m[2]}.x`, `'${m[2]}'`, `"${m[2]}"`, m[2].toUpperCase(), `${m[2]}\\`, `x${m[2]}`]) + m[3];
      return 'an odd option name';
    }
    case 9: {
      lines.splice(at(), 0, `\t${rng.pick(['option', 'list'])} ${rng.pick(['mode', 'client', 'lan_zone', 'log_limit'])} ${quote(rng, 'a'.repeat(rng.range(1000, 20000)))}`);
      return 'a very long value';
    }
    case 10: {
      const i = at();
      lines.splice(i, 1);
      return 'a line removed';
    }
    case 11: {
      const i = optionAt();
      if (i < 0) break;
      const name = /^\s*(?:option|list)\s+(\S+)/.exec(lines[i])?.[1] ?? 'mode';
      lines[i] = `\tlist ${name} ${quote(rng, rng.pick(['allow', 'block', '1', 'lan', 'any', '10/minute']))}`;
      return 'list for an option';
    }
    case 12: {
      const i = optionAt();
      if (i < 0) break;
      lines.splice(0, 0, lines[i]);
      return 'an option before any section';
    }
    case 13: {
      const i = at();
      if (lines[i] === undefined) break;
      lines[i] = lines[i].slice(0, rng.int(lines[i].length + 1));
      return 'a line cut short';
    }
    case 14: {
      const i = optionAt();
      if (i < 0) break;
      lines[i] = lines[i].replace(/\s+(\S+)$/, rng.pick(['', " ''", ' ""', " ''''"]));
      return 'an empty or missing value';
    }
    case 15: {
      const i = at();
      lines.splice(i, 0, rng.pick(["\toption lan_zone 'lan", "wan'", '\toption mode "allow', 'block"']));
      return 'an unterminated quote';
    }
    case 16: {
      const i = at();
      if (lines[i] === undefined) break;
      lines[i] = lines[i].replace(/ /g, () => rng.pick([' ', '\t', '  ', '\v', '\f']));
      return 'odd blanks';
    }
    case 17: {
      const i = optionAt();
      if (i < 0) break;
      lines[i] = lines[i].replace(/'([^']*)'$/, (_, v: string) => `'${v}${bytes(rng.pick(['é', '°', '✓', '\u00a0', '\u200b']))}'`);
      return 'a non-ASCII (UTF-8) character in a value';
    }
    case 18: {
      const all = lines.join('\n');
      const cut = rng.int(all.length + 1);
      lines.length = 0;
      lines.push(...all.slice(0, cut).split('\n'));
      return 'the file cut short';
    }
  }
  lines.push('');
  return 'a blank line';
}

/** Invalid UTF-8: lone continuation bytes, truncated and overlong sequences, surrogates, 0xFE/0xFF. */
function badUtf8(rng: Rng): string {
  return rng.pick(['\xb0', '\xe9', '\x80', '\xbf', '\xc3', '\xe2\x82', '\xc0\xaf', '\xed\xa0\x80', '\xff', '\xfe', '\xf0\x9f', '\xa0\xa0']);
}

export function genConfig(rng: Rng): ConfigInput {
  const family = rng.weighted([[61, 'plain'], [10, 'prototype'], [12, 'non-utf8'], [7, 'device'], [5, 'mixed-ipv6'], [3, 'keyword-quoting'], [2, 'continuation'], [2, 'semicolon']] as const);
  const lines = validConfigLines(rng);
  const what: string[] = [];
  if (family === 'plain') {
    const n = rng.weighted([[25, 0], [45, 1], [20, 2], [10, 3]] as const);
    what.push(n === 0 ? 'a valid file' : 'a valid file with');
    for (let k = 0; k < n; k++) what.push(mutate(rng, lines));
  } else if (family === 'prototype') {
    const name = rng.pick(PROTOTYPE_NAMES);
    const where = rng.int(5);
    if (where === 0) lines.push(`config protocol ${quote(rng, name)}`, `\toption mode 'block'`);
    else if (where === 1) lines.push(`config ${name} 'x'`);
    else if (where === 2) lines.push(`config global ${quote(rng, name)}`, "\toption log '1'");
    else {
      const section = rng.pick(["config global 'global'", "config protocol 'pptp'", "config protocol 'ipsec'"]);
      lines.push(section, `\t${where === 3 ? 'option' : 'list'} ${name} ${quote(rng, rng.pick(['block', '1', 'a|b', 'lan', '{}']))}`);
    }
    what.push(`Object.prototype name '${name}' (${['protocol section', 'section type', 'global section name', 'option', 'list'][where]})`);
  } else if (family === 'non-utf8') {
    const where = rng.int(4);
    if (where === 0) {
      // A comment ending in a bad byte, then the line that matters.
      const p = rng.pick(PROTOS);
      lines.push(`config protocol '${p}'`, `\t# ${rng.pick(['20 ', 'caf', 'note'])}${badUtf8(rng)}`, `\toption mode 'block'`);
      what.push('a non-UTF-8 byte ending a comment before an option');
    } else if (where === 1) {
      const i = rng.int(lines.length + 1);
      lines.splice(i, 0, `# ${rng.string(LOWER, 5)}${badUtf8(rng)}${rng.chance(0.5) ? rng.string(LOWER, 3) : ''}`);
      what.push('a non-UTF-8 byte in a comment');
    } else if (where === 2) {
      // 0xA0 (a no-break space in Latin-1) between two good words, or another bad byte after one.
      const [o, v, w2] = rng.pick([['lan_zone', 'lan', 'wan'], ['lan_device', 'eth0', 'eth1'], ['log_limit', '10/minute', ''], ['enabled', '1', '']]);
      lines.push("config global 'global'", `\toption ${o} '${v}${rng.chance(0.5) ? '\xa0' : badUtf8(rng)}${w2}'`);
      what.push('a non-UTF-8 byte in a value');
    } else {
      lines.push(`config protocol '${rng.pick(PROTOS)}${badUtf8(rng)}'`, "\toption mode 'block'");
      what.push('a non-UTF-8 byte in a section name');
    }
  } else if (family === 'device') {
    const devs = Array.from({ length: rng.range(1, 3) }, () => boundaryDevice(rng));
    lines.push("config global 'global'", ...devs.map((d) => `\tlist lan_device '${d}'`));
    what.push(`lan_device ${devs.join(', ')}`);
  } else if (family === 'mixed-ipv6') {
    const a = mixedIpv6(rng);
    const o = rng.pick(['client', 'server']);
    lines.push(`config protocol '${rng.pick(PROTOS)}'`, "\toption mode 'allow'", `\tlist ${o} '${a}'`);
    what.push(`${o} ${a}`);
  } else if (family === 'continuation') {
    // libuci joins a line ending in a backslash with the next one (here: "too many arguments");
    // the damaged value is then set again on the next line.
    const [o, v1, v2] = rng.pick([['mode', 'allow', 'block'], ['mode', 'block', 'block'], ['family', 'ipv4', 'ipv6']]);
    const eol = rng.chance(0.5) ? '\r' : '';
    lines.push(`config protocol '${rng.pick(PROTOS)}'`, `\toption ${o} ${quote(rng, v1)}\\${eol}`, `\toption ${o} ${quote(rng, v2)}${eol}`);
    what.push(`a line ending in a backslash, then option ${o} again`);
  } else if (family === 'semicolon') {
    // libuci ends a statement at an unquoted ';' (what follows on the line is the next statement);
    // sometimes the option is set again on the next line.
    const [o, v1, v2] = rng.pick([['mode', 'allow', 'block'], ['mode', 'block', 'block'], ['family', 'any', 'ipv4']]);
    const tail = rng.weighted([[4, ';'], [1, ' ;'], [1, `; option ${o} ${v2}`], [1, ';option log 1'], [1, ' ; list client 10.0.0.1']] as const);
    lines.push(`config protocol '${rng.pick(PROTOS)}'`, `\toption ${o} ${v1}${tail}`);
    if (rng.chance(0.6)) lines.push(`\toption ${o} ${quote(rng, v2)}`);
    what.push(`a ';' after a value: ${JSON.stringify(`${v1}${tail}`)}`);
  } else {
    // libuci takes the keyword as the first blank-separated token, unquoted: these are "invalid command" there.
    const k = rng.pick(['config', 'option', 'list']);
    const q = rng.pick([`'${k}'`, `"${k}"`, `\\${k}`, `${k.slice(0, 2)}'${k.slice(2)}'`, `${k[0]}\\${k.slice(1)}`]);
    if (k === 'config') lines.push(`${q} protocol 'pptp'`, "\toption mode 'block'");
    else lines.push("config protocol 'pptp'", `\t${q} ${k === 'list' ? 'client' : 'mode'} '${k === 'list' ? '192.168.1.2' : 'block'}'`);
    what.push(`the keyword written ${q}`);
  }
  return { family, text: joinLines(rng, lines), what: what.join(' ') };
}

// ---------------------------------------------------------------- base configs for set and ubus

export interface Base {
  name: string;
  text: string;
}

export function bases(shipped: string): Base[] {
  const ipsecApart = shipped
    .replace(/(config protocol 'pptp'\n\toption mode )'allow'/, "$1'block'")
    .replace(/(config protocol 'ipsec'\n\toption mode )'allow'\n/, "$1'block'\n\toption esp 'allow'\n");
  return [
    { name: 'shipped', text: shipped },
    { name: 'pptp-blocked-esp-apart', text: ipsecApart },
    {
      name: 'scoped',
      text: [
        "config global 'global'", "\toption log '1'", "\tlist lan_device 'eth1'", "\tlist lan_device 'wg*'", '',
        '# scoped allows', "config protocol 'pptp'", "\toption mode 'allow'", "\tlist client '192.168.1.0/24'", "\toption family 'ipv4'", '',
        "config protocol 'ipsec'", "\toption mode 'block'", '',
        "config protocol 'gre'", "\toption mode 'allow'", "\tlist server '203.0.113.0/24'", "\tlist server '2001:db8::/32'", '',
      ].join('\n'),
    },
    { name: 'empty', text: '' },
    {
      name: 'anonymous-global',
      text: ['config global', "\toption lan_zone ''", '', 'config protocol l2tp', '\toption mode block', ''].join('\n'),
    },
    { name: 'esp-pinned', text: shipped.replace(/(config protocol 'ipsec'\n\toption mode 'allow'\n)/, "$1\toption esp 'allow'\n") },
  ];
}

/** A base with non-UTF-8 bytes in its comments (issue 10 item 2). */
export function latin1Base(shipped: string): Base {
  return {
    name: 'latin1-comments',
    text: shipped.replace('# PPTP: TCP 1723', '# PPTP \xb0 TCP 1723').replace('# Plain GRE', '# Plain GRE \xe9').replace(/(config protocol 'l2tp')/, "# caf\xe9\n$1"),
  };
}

// ---------------------------------------------------------------- CLI set inputs

export type CliFamily = 'plain' | 'option-values' | 'key-segments' | 'prototype' | 'device' | 'non-utf8' | 'mixed-ipv6';

export interface CliInput {
  family: CliFamily;
  /** argv after the program; a Buffer is an argument with raw bytes. */
  argv: (string | Buffer)[];
  base: number;
  what: string;
}

const GLOBAL_KEYS = ['enabled', 'lan_zone', 'lan_device', 'log', 'log_limit'];
const PROTOCOL_OPTIONS = ['mode', 'esp', 'family', 'client', 'server'];

function validKey(rng: Rng): { key: string; option: string } {
  const r = rng.int(4);
  if (r === 0) {
    const p = rng.pick(PROTOS);
    return { key: p, option: 'mode' };
  }
  if (r === 1) {
    const o = rng.pick(GLOBAL_KEYS);
    return { key: rng.chance(0.15) ? `global.${o}` : o, option: o };
  }
  const p = rng.pick(PROTOS);
  const o = p === 'ipsec' && rng.chance(0.3) ? 'esp' : rng.pick(PROTOCOL_OPTIONS.filter((x) => x !== 'esp'));
  return { key: `${p}.${o}`, option: o };
}

function cliValues(rng: Rng, option: string): string[] {
  const list = LISTS.includes(option);
  const n = list ? rng.weighted([[2, 0], [5, 1], [3, 2], [1, rng.range(3, 8)]] as const) : rng.weighted([[12, 1], [1, 0], [1, 2]] as const);
  return Array.from({ length: n }, () => (rng.chance(0.7) ? validValue(rng, option) : trickyValue(rng)));
}

export function genCli(rng: Rng, baseCount: number, latin1: number): CliInput {
  const family = rng.weighted([[57, 'plain'], [10, 'option-values'], [6, 'key-segments'], [10, 'prototype'], [7, 'device'], [7, 'non-utf8'], [3, 'mixed-ipv6']] as const);
  let base = rng.int(baseCount);
  const pre: string[] = [];
  if (rng.chance(0.15)) pre.push('--json');
  let argv: (string | Buffer)[];
  let what: string;
  if (family === 'plain') {
    if (rng.chance(0.85)) {
      const { key, option } = validKey(rng);
      argv = ['set', key, ...cliValues(rng, option)];
      what = 'a known key';
    } else {
      const key = rng.pick(['pptp.colour', 'wireguard', 'global.mode', 'pptp.esp', 'gre.esp', 'PPTP', 'pptp.Mode', '', '.', 'pptp.', '.mode', 'global', 'ipsec.', 'l2tp.clients', 'log-limit', 'mode', 'global.pptp']);
      argv = ['set', key, ...cliValues(rng, rng.pick(['mode', 'client', 'log']))];
      what = 'an unknown key';
    }
  } else if (family === 'option-values') {
    const { key, option } = validKey(rng);
    const values = cliValues(rng, option);
    const opt = rng.pick(['-c', '--config', '--json', '-h', '--help']);
    const inserted = opt === '-c' || opt === '--config' ? [opt, rng.pick(['lan', 'block', 'x.conf', '10.0.0.1', 'vpn-passthrough'])] : [opt];
    values.splice(rng.int(values.length + 1), 0, ...inserted);
    argv = ['set', key, ...values];
    what = `option ${opt} among set's values`;
  } else if (family === 'key-segments') {
    const { key, option } = validKey(rng);
    const k = key.includes('.') ? key : `${key}.mode`;
    const tail = rng.pick(['$(id)', 'x', 'mode', '1', '', `$(touch vpt-fuzz-${rng.int(1000)})`, '`id`']);
    argv = ['set', `${k}.${tail}`, ...cliValues(rng, key.includes('.') ? option : 'mode').map((v) => v)];
    what = 'a key with more than section.option';
  } else if (family === 'prototype') {
    const name = rng.pick(PROTOTYPE_NAMES);
    const key = rng.pick([`${rng.pick(PROTOS)}.${name}`, name, `global.${name}`]);
    argv = ['set', key, ...Array.from({ length: rng.range(0, 2) }, () => rng.pick(['a|b', 'block', 'allow', '1', 'lan']))];
    what = `Object.prototype name in key '${key}'`;
  } else if (family === 'device') {
    argv = ['set', 'lan_device', ...Array.from({ length: rng.range(1, 2) }, () => boundaryDevice(rng))];
    what = 'lan_device at the length limit';
  } else if (family === 'mixed-ipv6') {
    const a = mixedIpv6(rng);
    argv = ['set', `${rng.pick(PROTOS)}.${rng.pick(['client', 'server'])}`, a];
    what = `an IPv6 address with an IPv4 part (${a})`;
  } else {
    if (rng.chance(0.5)) {
      const { key, option } = validKey(rng);
      const v = validValue(rng, option);
      const cut = rng.int(v.length + 1);
      argv = ['set', key, Buffer.from(v.slice(0, cut) + badUtf8(rng) + v.slice(cut), 'latin1')];
      what = 'a non-UTF-8 byte in a value';
    } else {
      base = latin1;
      const { key, option } = validKey(rng);
      argv = ['set', key, ...Array.from({ length: LISTS.includes(option) ? rng.range(0, 2) : 1 }, () => validValue(rng, option))];
      what = 'a valid set over a file with non-UTF-8 comments';
    }
  }
  return { family, argv: [...pre, ...argv], base, what };
}

// ---------------------------------------------------------------- rpcd inputs

export type RpcdFamily = 'plain' | 'not-json' | 'prototype' | 'device' | 'non-utf8' | 'mixed-ipv6';

export interface RpcdInput {
  family: RpcdFamily;
  method: string;
  /** stdin as a latin1 string (bytes). */
  input: string;
  base: number;
  what: string;
}

/** A JSON tree whose objects are entry lists, so any member name (even __proto__) can be written. */
export type Tree = null | boolean | number | string | Tree[] | { entries: [string, Tree][] };

const obj = (entries: [string, Tree][]): Tree => ({ entries });

function jsonString(s: string, escapes: number, rng: Rng): string {
  let out = '"';
  for (const c of s) {
    const code = c.charCodeAt(0);
    if (c === '"' || c === '\\') out += '\\' + c;
    else if (code < 0x20) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else if (escapes > 0 && rng.chance(0.15)) out += rng.pick([`\\u${code.toString(16).padStart(4, '0')}`, `\\u${code.toString(16).padStart(4, '0').toUpperCase()}`, c === '/' ? '\\/' : c]);
    else out += c;
  }
  return out + '"';
}

export function serialize(t: Tree, rng: Rng, style: { spaces: boolean; escapes: number }): string {
  const ws = () => (style.spaces && rng.chance(0.3) ? rng.pick([' ', '\n', '\t', '\r\n', '  ']) : '');
  if (t === null) return 'null';
  if (typeof t === 'boolean' || typeof t === 'number') return JSON.stringify(t);
  if (typeof t === 'string') return jsonString(t, style.escapes, rng);
  if (Array.isArray(t)) return `[${ws()}${t.map((x) => serialize(x, rng, style)).join(`,${ws()}`)}${ws()}]`;
  return `{${ws()}${t.entries.map(([k, v]) => `${jsonString(k, style.escapes, rng)}${ws()}:${ws()}${serialize(v, rng, style)}`).join(`,${ws()}`)}${ws()}}`;
}

function wrongValue(rng: Rng): Tree {
  return rng.pick<Tree>([null, true, false, 0, 1, -1, 1.5, 1e300, '', 'x', [], {entries: []}, ['block'], [1], [null], obj([['mode', 'block']]), 'true', '1', 'yes']);
}

function rpcdOptionValue(rng: Rng, option: string): Tree {
  const r = rng.float();
  if (r < 0.1) return null;
  if (r < 0.25) return wrongValue(rng);
  if (option === 'enabled' || option === 'log') return rng.chance(0.9) ? rng.chance(0.5) : rng.pick(['1', 1, '0']);
  if (LISTS.includes(option)) {
    const n = rng.weighted([[2, 0], [5, 1], [3, 2], [1, rng.range(3, 10)]] as const);
    return Array.from({ length: n }, () => (rng.chance(0.85) ? validValue(rng, option) : rng.chance(0.7) ? trickyValue(rng) : wrongValue(rng)));
  }
  return rng.chance(0.8) ? validValue(rng, option) : trickyValue(rng);
}

function setArgs(rng: Rng): Tree {
  const entries: [string, Tree][] = [];
  if (rng.chance(0.4)) {
    const g: [string, Tree][] = [];
    for (const o of GLOBAL_KEYS) if (rng.chance(0.35)) g.push([o, rpcdOptionValue(rng, o)]);
    if (rng.chance(0.05)) g.push([rng.pick(['colour', 'mode', 'Log', 'lan_zones']), 'x']);
    entries.push(['global', rng.chance(0.95) ? obj(g) : wrongValue(rng)]);
  }
  if (rng.chance(0.8)) {
    const ps: [string, Tree][] = [];
    for (const p of rng.shuffle([...PROTOS])) {
      if (!rng.chance(0.45)) continue;
      const os: [string, Tree][] = [];
      for (const o of PROTOCOL_OPTIONS) {
        if (o === 'esp' && p !== 'ipsec' && !rng.chance(0.05)) continue;
        if (rng.chance(o === 'mode' ? 0.6 : 0.25)) os.push([o, rpcdOptionValue(rng, o)]);
      }
      if (rng.chance(0.04)) os.push([rng.pick(['colour', 'Mode', 'clients']), 'x']);
      ps.push([p, rng.chance(0.96) ? obj(os) : wrongValue(rng)]);
    }
    if (rng.chance(0.05)) ps.push([rng.pick(['wireguard', 'PPTP', 'esp', 'ike', '']), obj([['mode', 'block']])]);
    entries.push(['protocols', rng.chance(0.97) ? obj(ps) : wrongValue(rng)]);
  }
  if (rng.chance(0.1)) entries.push(['ubus_rpc_session', rng.string('0123456789abcdef', 32)]);
  if (rng.chance(0.04)) entries.push([rng.pick(['colour', 'Global', 'protocol', 'config']), obj([])]);
  return obj(rng.shuffle(entries));
}

/** Breaks JSON in ways QuickJS 2021 also refuses. */
function breakJson(rng: Rng, text: string): string {
  const i = rng.int(text.length + 1);
  return rng.pick([
    text.slice(0, i),
    text + rng.pick(['}', ',', ' x', '0', ']']),
    text.replace(/"/g, "'"),
    text.replace(/}$/, ',}'),
    `/*c*/${text}`,
    text.replace(/:/, ':NaN,"x":'),
    text.slice(0, i) + rng.pick(['\\', '"', '{', ':', '\t\u0001']) + text.slice(i),
  ].filter((x) => x.trim() !== ''));
}

/** JSON that QuickJS 2021-03-27's JSON.parse takes but RFC 8259 does not (issue 10 item 4). */
function notQuiteJson(rng: Rng): { text: string; what: string } {
  const p = rng.pick(PROTOS);
  const mode = rng.pick(['block', 'allow']);
  const c = rng.int(mode.length);
  const esc = (ch: string) =>
    rng.pick([`\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`, `\\u{${ch.charCodeAt(0).toString(16)}}`, `\\${ch}`]);
  const kinds = [
    () => ({ text: `{"protocols":{"${p}":{"mode":"${mode.slice(0, c)}${esc(mode[c])}${mode.slice(c + 1)}"}}}`, what: 'an escape RFC 8259 lacks in a value' }),
    () => ({ text: `{"protocols":{"${p}":{"mode":"${mode}"}},"ubus_rpc_session":"\\'"}`, what: "\\' in a string" }),
    () => ({ text: `{"protocols":{"${p}":{"mode":"${mode}"}},"ubus_rpc_session":"a\\vb"}`, what: '\\v in a string' }),
    () => ({ text: `{"protocols":{"${p}":{"mode":"${mode}"}},"ubus_rpc_session":${rng.pick(['-01', '1.', '1.e5', '-0.'])}}`, what: 'a number RFC 8259 lacks' }),
    () => ({ text: `{"global":{"log_limit":"10\\/minute","enabled":${rng.pick(['true', 'false'])}},"ubus_rpc_session":"\\a"}`, what: 'an unknown escape' }),
    () => ({ text: `{"pr\\x6ftocols":{"${p}":{"mode":"${mode}"}}}`, what: 'an escape RFC 8259 lacks in a member name' }),
  ];
  return rng.pick(kinds)();
}

export function genRpcd(rng: Rng, baseCount: number): RpcdInput {
  const family = rng.weighted([[62, 'plain'], [10, 'not-json'], [10, 'prototype'], [7, 'device'], [8, 'non-utf8'], [3, 'mixed-ipv6']] as const);
  const base = rng.int(baseCount);
  const style = { spaces: rng.chance(0.2), escapes: rng.chance(0.15) ? 1 : 0 };
  if (family === 'plain') {
    const r = rng.float();
    if (r < 0.7) {
      const text = serialize(setArgs(rng), rng, style);
      if (rng.chance(0.08)) return { family, method: 'set', input: bytes(breakJson(rng, text)), base, what: 'broken JSON' };
      return { family, method: 'set', input: bytes(text), base, what: 'set' };
    }
    if (r < 0.92) {
      const method = rng.pick(['get', 'status', 'apply', 'get', 'status', 'doctor', 'sessions']);
      const args = rng.weighted([[6, obj([])], [2, obj([['ubus_rpc_session', 'abc']])], [2, obj([[rng.pick(['verbose', 'global', 'x']), wrongValue(rng)]])], [1, [] as Tree], [1, 'x'], [1, 1]] as const);
      return { family, method, input: bytes(serialize(args, rng, style)), base, what: method };
    }
    const method = rng.pick(['reboot', 'Set', 'list', 'call', 'get ', 'SET', 'sessions2', 'stat', 'help']);
    return { family, method, input: '{}', base, what: 'an unknown method' };
  }
  if (family === 'not-json') {
    const { text, what } = notQuiteJson(rng);
    return { family, method: 'set', input: text, base, what };
  }
  if (family === 'prototype') {
    const name = rng.pick(PROTOTYPE_NAMES);
    const where = rng.int(6);
    if (where === 0) return { family, method: name, input: '{}', base, what: `method '${name}'` };
    const p = rng.pick(PROTOS);
    const inner = obj([['log', true]]);
    const trees: Tree[] = [
      obj([[name, obj([])]]),
      obj([['global', obj([[name, rng.pick<Tree>([inner, 'x', null, true])]])]]),
      obj([['protocols', obj([[name, obj([['mode', 'block']])]])]]),
      obj([['protocols', obj([[p, obj([[name, rng.pick<Tree>(['block', inner, null])]])]])]]),
      obj([[name, obj([])], ['protocols', obj([[p, obj([['mode', 'block']])]])]]),
    ];
    const method = where === 1 && rng.chance(0.5) ? rng.pick(['apply', 'get', 'status']) : 'set';
    return { family, method, input: bytes(serialize(trees[where - 1], rng, style)), base, what: `'${name}' as a member name` };
  }
  if (family === 'device') {
    const devs = Array.from({ length: rng.range(1, 2) }, () => boundaryDevice(rng));
    return { family, method: 'set', input: serialize(obj([['global', obj([['lan_device', devs]])]]), rng, style), base, what: `lan_device ${devs.join(', ')}` };
  }
  if (family === 'mixed-ipv6') {
    const a = mixedIpv6(rng);
    const o = rng.pick(['client', 'server']);
    return { family, method: 'set', input: serialize(obj([['protocols', obj([[rng.pick(PROTOS), obj([['mode', 'allow'], [o, [a]]])]])]]), rng, style), base, what: `${o} ${a}` };
  }
  const text = serialize(setArgs(rng), rng, style);
  const raw = bytes(text);
  const quotes = [...raw.matchAll(/"/g)].map((m) => m.index!);
  const at = quotes.length ? rng.pick(quotes) : rng.int(raw.length);
  // Before a quote, a byte that swallows the next one can take the quote (or, after a backslash, the escape) with it.
  const input = rng.chance(0.5) ? raw.slice(0, at) + badUtf8(rng) + raw.slice(at) : raw.slice(0, at) + '\\' + badUtf8(rng) + raw.slice(at);
  return { family, method: 'set', input, base, what: 'a non-UTF-8 byte in the JSON' };
}
