// LuCI's translation catalogs (.lmo) without LuCI's build tools: a .po file
// compiled into the bytes LuCI's po2lmo writes, an .lmo read back the way
// LuCI looks a string up in it, and the script of translations LuCI serves
// the browser. Follows openwrt/luci modules/luci-base: src/po2lmo.c
// (633ba0a3738abe6e348dfdda584775abcdb4267d), src/lib/lmo.c
// (9f7b3177a4297c998ea49880c23833d11bafda1d: sfh_hash, lmo_canon_hash,
// lmo_open, lmo_find_entry), ucode/controller/admin/index.uc
// (6a7f674055b06a638fcefb8f73b23de9cda91ea8: action_translations) and
// htdocs/luci-static/resources/cbi.js (008bd893105d2bc8bfb5e5dce1ef00fa09008533:
// _() and N_(), which look the hashes up in that script).
//
// An .lmo file: the translations in the order of the .po, each padded with
// NUL bytes to a multiple of 4; then the index, one 16-byte entry per string
// sorted by key: the key (the sfh hash of "msgid", "msgctxt\1msgid", and for
// plural form N "msgid\2N"), the number of forms (1 for a plain string; 0
// for the header's Plural-Forms, whose key is 0), the string's offset and
// length; last the index's offset. Every number is 32-bit big-endian.
//
// po2lmo reads a .po line by line: a string continues the last keyword's,
// \" and \\ lose their backslash and every other escape stays as written
// (\n is a backslash and an n), fuzzy flags are not looked at, an empty
// msgstr leaves the string out, and so does a translation whose hash equals
// its msgid's (the same text: LuCI then shows the msgid, which is the same).
// Usage: node tools/lmo.mjs input.po output.lmo

import { readFileSync, writeFileSync } from 'node:fs';

const u16 = (b, i) => b[i] | (b[i + 1] << 8);
const s8 = (b, i) => (b[i] > 0x7f ? b[i] - 256 : b[i]);

/** Paul Hsieh's SuperFastHash as lib/lmo.c computes it (a lone tail byte read as a signed char). */
export function sfhHash(bytes, init = bytes.length) {
  if (bytes.length === 0) return 0;
  let hash = init >>> 0;
  let off = 0;
  for (let n = bytes.length >>> 2; n > 0; n--, off += 4) {
    hash = (hash + u16(bytes, off)) >>> 0;
    const tmp = ((u16(bytes, off + 2) << 11) ^ hash) >>> 0;
    hash = ((hash << 16) ^ tmp) >>> 0;
    hash = (hash + (hash >>> 11)) >>> 0;
  }
  switch (bytes.length & 3) {
    case 3:
      hash = (hash + u16(bytes, off)) >>> 0;
      hash = (hash ^ (hash << 16)) >>> 0;
      hash = (hash ^ (s8(bytes, off + 2) << 18)) >>> 0;
      hash = (hash + (hash >>> 11)) >>> 0;
      break;
    case 2:
      hash = (hash + u16(bytes, off)) >>> 0;
      hash = (hash ^ (hash << 11)) >>> 0;
      hash = (hash + (hash >>> 17)) >>> 0;
      break;
    case 1:
      hash = (hash + s8(bytes, off)) >>> 0;
      hash = (hash ^ (hash << 10)) >>> 0;
      hash = (hash + (hash >>> 1)) >>> 0;
      break;
  }
  hash = (hash ^ (hash << 3)) >>> 0;
  hash = (hash + (hash >>> 5)) >>> 0;
  hash = (hash ^ (hash << 4)) >>> 0;
  hash = (hash + (hash >>> 17)) >>> 0;
  hash = (hash ^ (hash << 25)) >>> 0;
  return (hash + (hash >>> 6)) >>> 0;
}

// po2lmo reads with fgets into 4096 bytes, and builds each key in 4096.
const LINE_MAX = 4095;

/** The quoted string of a line as po2lmo's extract_string takes it, or null (a comment, no quote). */
function extractString(line, where) {
  if (line.startsWith('#')) return null;
  const open = line.indexOf('"');
  if (open < 0) return null;
  let out = '';
  for (let i = open + 1; i < line.length; i++) {
    const c = line[i];
    if (c === '"') return out;
    if (c === '\\' && i + 1 < line.length) {
      const next = line[++i];
      out += next === '"' || next === '\\' ? next : `\\${next}`;
    } else out += c;
  }
  throw new Error(`${where}: the string has no closing quote`);
}

/**
 * The messages of a .po file as po2lmo reads them: { ctxt, id, idPlural,
 * values[form], forms (the last msgstr[N] + 1), line }; null where the
 * file has no string (an empty one counts as none). The header is the
 * message whose id is null.
 */
export function readPo(input, file = 'input.po') {
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  if (bytes.includes(0)) throw new Error(`${file}: a NUL byte (po2lmo would cut the line there)`);
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`${file}: not UTF-8 (LuCI's catalogs are UTF-8; set charset=UTF-8 and convert the file)`);
  }
  const lines = text.split(/(?<=\n)/);
  const messages = [];
  const fresh = (line) => ({ ctxt: null, id: null, idPlural: null, values: [], forms: 0, line, cur: null });
  let msg = fresh(1);
  const flush = (line) => {
    if (msg.id !== null || msg.values[0] !== undefined) {
      const { cur, ...done } = msg;
      messages.push(done);
      msg = fresh(line);
    }
  };
  for (let n = 0; n <= lines.length; n++) {
    const line = lines[n] ?? '';
    const where = `${file}:${n + 1}`;
    if (Buffer.byteLength(line) > LINE_MAX) throw new Error(`${where}: longer than the ${LINE_MAX} bytes po2lmo reads at once; split the string over several "..." lines`);
    const eof = n === lines.length;
    if (line.startsWith('msgctxt "')) {
      flush(n + 1);
      msg.ctxt = null;
      msg.cur = 'ctxt';
    } else if (eof || line.startsWith('msgid "')) {
      flush(n + 1);
      msg.id = null;
      msg.cur = 'id';
    } else if (line.startsWith('msgid_plural "')) {
      msg.idPlural = null;
      msg.cur = 'idPlural';
    } else if (line.startsWith('msgstr "') || line.startsWith('msgstr[')) {
      const form = line[6] === '[' ? /^msgstr\[(\d)\]/.exec(line)?.[1] : '0';
      if (form === undefined) throw new Error(`${where}: msgstr[N] takes a form N from 0 to 9 (po2lmo's limit)`);
      msg.forms = Number(form) + 1;
      msg.values[Number(form)] = undefined;
      msg.cur = Number(form);
    }
    if (eof) break;
    if (msg.cur === null) continue;
    const s = extractString(line, where);
    if (s === null || s === '') continue;
    if (typeof msg.cur === 'number') msg.values[msg.cur] = (msg.values[msg.cur] ?? '') + s;
    else msg[msg.cur] = (msg[msg.cur] ?? '') + s;
  }
  return messages;
}

/** The header's Plural-Forms value as po2lmo finds it: a field of the header that ends in a literal \\n. */
function pluralForms(header) {
  let field = 0;
  let esc = false;
  for (let i = 0; i < header.length; i++) {
    if (esc) {
      if (header[i] === 'n') {
        const text = header.slice(field, i - 1);
        if (text.slice(0, 14).replace(/[A-Z]/g, (c) => c.toLowerCase()) === 'plural-forms: ') return text.slice(14);
        field = i + 1;
      }
      esc = false;
    } else if (header[i] === '\\') esc = true;
  }
  return null;
}

const pad4 = (n) => (4 - (n % 4)) % 4;

/** Compiles a .po file to the bytes po2lmo writes; null where po2lmo writes no file (nothing translated). */
export function compilePo(input, file = 'input.po') {
  const strings = [];
  const index = [];
  let offset = 0;
  const add = (key, forms, value, what) => {
    const clash = index.find((e) => e.key === key);
    if (clash) throw new Error(`${file}: ${what} has the key ${key.toString(16).padStart(8, '0')} of ${clash.what} (the same msgid twice?)`);
    if (value.length === 0) throw new Error(`${file}: ${what} is empty`);
    index.push({ key, forms, offset, length: value.length, what });
    strings.push(value, Buffer.alloc(pad4(value.length)));
    offset += value.length + pad4(value.length);
  };
  for (const m of readPo(input, file)) {
    if (m.id !== null && m.values[0] !== undefined) {
      for (let i = 0; i < m.forms; i++) {
        if (m.values[i] === undefined) continue;
        const id = m.ctxt !== null ? `${m.ctxt}\x01${m.id}` : m.id;
        const key = Buffer.from(m.idPlural !== null ? `${id}\x02${i}` : id);
        if (key.length > LINE_MAX) throw new Error(`${file}:${m.line}: the msgid is longer than po2lmo's ${LINE_MAX} bytes`);
        const value = Buffer.from(m.values[i]);
        if (sfhHash(key) !== sfhHash(value)) add(sfhHash(key), m.forms, value, `the msgid at line ${m.line}`);
      }
    } else if (m.values[0] !== undefined) {
      const plural = pluralForms(m.values[0]);
      if (plural !== null) add(0, 0, Buffer.from(plural), 'Plural-Forms');
    }
  }
  if (offset === 0) return null;
  index.sort((a, b) => a.key - b.key);
  const table = Buffer.alloc(index.length * 16 + 4);
  index.forEach((e, i) => {
    table.writeUInt32BE(e.key, i * 16);
    table.writeUInt32BE(e.forms, i * 16 + 4);
    table.writeUInt32BE(e.offset, i * 16 + 8);
    table.writeUInt32BE(e.length, i * 16 + 12);
  });
  table.writeUInt32BE(offset, index.length * 16);
  return Buffer.concat([...strings, table]);
}

// isspace() in the C locale.
const isSpace = (b) => b === 0x20 || (b >= 0x09 && b <= 0x0d);

/** lmo_canon_hash: the key's hash with blanks collapsed and trimmed, "ctxt\1" before it, "\2N" after it for form N; 0 where LuCI gives up. */
export function canonHash(msgid, context = null, plural = -1) {
  const out = [];
  const canon = (bytes) => {
    let prev = 0x20;
    for (const b of bytes) {
      if (out.length >= 4096) return false;
      if (!isSpace(b)) out.push(b);
      else if (!isSpace(prev)) out.push(0x20);
      prev = b;
    }
    if (out.length > 0 && isSpace(out[out.length - 1])) out.pop();
    return true;
  };
  if (context !== null) {
    if (!canon(Buffer.from(context)) || out.length >= 4096) return 0;
    out.push(1);
  }
  if (!canon(Buffer.from(msgid))) return 0;
  if (plural > -1) {
    if (plural >= 100 || out.length + 3 >= 4096) return 0;
    // snprintf(ptr, 3, "\2%d", plural) keeps one digit; its count takes the NUL for two.
    out.push(2, 0x30 + Math.floor(plural / (plural >= 10 ? 10 : 1)));
    if (plural >= 10) out.push(0);
  }
  return sfhHash(Buffer.from(out));
}

/** An .lmo file as lmo_open maps it: its index, each entry's string, and lookups by binary search as lmo_find_entry does. */
export function readLmo(bytes) {
  if (bytes.length < 4) throw new Error('not an LMO file: shorter than its index offset');
  const at = bytes.readUInt32BE(bytes.length - 4);
  if (at >= bytes.length) throw new Error(`not an LMO file: its index offset ${at} is past its end`);
  const entries = [];
  for (let p = at; p + 16 <= bytes.length - 4; p += 16) {
    const e = { key: bytes.readUInt32BE(p), forms: bytes.readUInt32BE(p + 4), offset: bytes.readUInt32BE(p + 8), length: bytes.readUInt32BE(p + 12) };
    if (e.offset + e.length > at) throw new Error(`not an LMO file: the string of key ${e.key.toString(16)} runs into the index`);
    entries.push(e);
  }
  const string = (e) => bytes.subarray(e.offset, e.offset + e.length);
  const find = (hash) => {
    if (entries.length === 0) return null;
    for (let l = 0, r = entries.length - 1; r >= l; ) {
      const m = l + Math.floor((r - l) / 2);
      if (entries[m].key === hash) return entries[m];
      if (entries[m].key > hash) {
        if (m === 0) break;
        r = m - 1;
      } else l = m + 1;
    }
    return null;
  };
  /** The translation of a msgid (of one plural form, in one context), or null as lmo_translate_ctxt finds none. */
  const lookup = (msgid, { context = null, plural = -1 } = {}) => {
    const hash = canonHash(msgid, context, plural);
    const e = hash === 0 ? null : find(hash);
    return e === null ? null : string(e).toString();
  };
  const header = find(0);
  return { entries, string, lookup, pluralForms: header === null ? null : string(header).toString() };
}

/** A string as ucode's %J writes it: JSON, byte by byte (bytes from 0x80 as they are). */
function jsonBytes(bytes) {
  const esc = { 0x22: '\\"', 0x5c: '\\\\', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t' };
  const parts = [Buffer.from('"')];
  for (const b of bytes) {
    if (esc[b]) parts.push(Buffer.from(esc[b]));
    else if (b < 0x20) parts.push(Buffer.from(`\\u${b.toString(16).padStart(4, '0')}`));
    else parts.push(Buffer.from([b]));
  }
  parts.push(Buffer.from('"'));
  return Buffer.concat(parts);
}

/**
 * The script /cgi-bin/luci/admin/translations/<lang> answers (action_translations):
 * window.TR with every entry of the language's catalogs, keyed by the hash in
 * 8 hex digits; the archives in the order the catalog holds them.
 */
export function catalogScript(lmos) {
  const parts = [Buffer.from('window.TR={')];
  for (const lmo of lmos) {
    for (const e of lmo.entries) parts.push(Buffer.from(`"${e.key.toString(16).padStart(8, '0')}":`), jsonBytes(lmo.string(e)), Buffer.from(','));
  }
  parts.push(Buffer.from('};'));
  return Buffer.concat(parts);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) {
    console.error('usage: node tools/lmo.mjs input.po output.lmo');
    process.exit(1);
  }
  try {
    const lmo = compilePo(readFileSync(input), input);
    if (lmo === null) throw new Error(`${input}: nothing translated (po2lmo would write no file)`);
    writeFileSync(output, lmo);
  } catch (e) {
    console.error(`Error: ${e.message}`);
    process.exit(1);
  }
}
