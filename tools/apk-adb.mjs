// The APK v3 "ADB" container as apk-tools 3.0.2 writes and reads it (the
// version OpenWrt 25.12 ships), in Node with its built-ins only. Followed
// from alpinelinux/apk-tools at v3.0.2 (d093f7c198a64bff0cd58afeaf638909fda24ca8):
//   src/adb.h, src/adb.c       blocks, values, the write cache that shares
//                              equal bytes, objects and arrays, signatures
//   src/apk_adb.h, apk_adb.c   the schemas (package, index) and their
//                              string forms (names, versions, dependencies)
//   src/version.c, ctype.c     version syntax and order, character classes
//   src/package.c              apk_dep_parse
//   src/adb_comp.c, io_gunzip.c  "ADBd" + raw deflate (level 9)
//   src/crypto_openssl.c       key ids and EVP_DigestSign with SHA-512
// The writer reproduces `apk mkpkg`'s bytes (see tools/apk-mkpkg.mjs); the
// reader walks what was written, checking what apk would reject.

import { createHash, createPublicKey, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';

export const SCHEMA = { INDEX: 0x78646e69, PACKAGE: 0x676b6370, INSTALLED_DB: 0x00626469 };
const MAGIC = 0x2e424441; // "ADB."

export const T = {
  SPECIAL: 0x00000000,
  INT: 0x10000000,
  INT_32: 0x20000000,
  INT_64: 0x30000000,
  BLOB_8: 0x80000000,
  BLOB_16: 0x90000000,
  BLOB_32: 0xa0000000,
  ARRAY: 0xd0000000,
  OBJECT: 0xe0000000,
  ERROR: 0xf0000000,
};
const TYPE_MASK = 0xf0000000;
const VALUE_MASK = 0x0fffffff;
export const NULL = 0;
const typeOf = (v) => (v & TYPE_MASK) >>> 0;
const valueOf = (v) => v & VALUE_MASK;

export const BLOCK = { ADB: 0, SIG: 1, DATA: 2, EXT: 3 };
const ALIGN = 8;
const roundUp = (n, a) => Math.ceil(n / a) * a;

// Field numbers (apk_adb.h).
export const DEP = { NAME: 1, VERSION: 2, MATCH: 3, MAX: 4 };
export const PI = {
  NAME: 1, VERSION: 2, HASHES: 3, DESCRIPTION: 4, ARCH: 5, LICENSE: 6, ORIGIN: 7, MAINTAINER: 8, URL: 9,
  REPO_COMMIT: 10, BUILD_TIME: 11, INSTALLED_SIZE: 12, FILE_SIZE: 13, PROVIDER_PRIORITY: 14, DEPENDS: 15,
  PROVIDES: 16, REPLACES: 17, INSTALL_IF: 18, RECOMMENDS: 19, LAYER: 20, TAGS: 21, MAX: 22,
};
export const ACL = { MODE: 1, USER: 2, GROUP: 3, XATTRS: 4, MAX: 5 };
export const FI = { NAME: 1, ACL: 2, SIZE: 3, MTIME: 4, HASHES: 5, TARGET: 6, MAX: 7 };
export const DI = { NAME: 1, ACL: 2, FILES: 3, MAX: 4 };
export const SCRPT = { TRIGGER: 1, PREINST: 2, POSTINST: 3, PREDEINST: 4, POSTDEINST: 5, PREUPGRADE: 6, POSTUPGRADE: 7, MAX: 8 };
export const PKG = { PKGINFO: 1, PATHS: 2, SCRIPTS: 3, TRIGGERS: 4, REPLACES_PRIORITY: 5, MAX: 6 };
export const NDX = { DESCRIPTION: 1, PACKAGES: 2, PKGNAME_SPEC: 3, MAX: 4 };

// ---------------------------------------------------------------- schemas
// Kinds: 'string' | 'version' | 'hex' | 'int' | 'oct' | 'time' | object/array schemas.
const obj = (name, fields, extra = {}) => ({ kind: 'object', name, fields, ...extra });
const arr = (name, item, extra = {}) => ({ kind: 'array', name, item, ...extra });

export const S = {};
S.dependency = obj('dependency', { 1: ['name', 'string'], 2: ['version', 'version'], 3: ['match', 'int'] }, { max: DEP.MAX });
S.dependencyArray = arr('dependency-array', S.dependency, { sort: 'unique' });
S.tags = arr('tags', 'string');
S.strings = arr('string-array', 'string');
S.xattrs = arr('xattr-array', 'string', { sort: 'plain' });
S.pkginfo = obj('pkginfo', {
  1: ['name', 'string'], 2: ['version', 'version'], 3: ['hashes', 'hex'], 4: ['description', 'string'],
  5: ['arch', 'string'], 6: ['license', 'string'], 7: ['origin', 'string'], 8: ['maintainer', 'string'],
  9: ['url', 'string'], 10: ['repo-commit', 'hex'], 11: ['build-time', 'time'], 12: ['installed-size', 'int'],
  13: ['file-size', 'int'], 14: ['provider-priority', 'int'], 15: ['depends', S.dependencyArray],
  16: ['provides', S.dependencyArray], 17: ['replaces', S.dependencyArray], 18: ['install-if', S.dependencyArray],
  19: ['recommends', S.dependencyArray], 20: ['layer', 'int'], 21: ['tags', S.tags],
}, { max: PI.MAX });
S.pkginfoArray = arr('pkginfo-array', S.pkginfo, { sort: 'plain' });
S.index = obj('index', { 1: ['description', 'string'], 2: ['packages', S.pkginfoArray], 3: ['pkgname-spec', 'string'] }, { max: NDX.MAX });
S.acl = obj('acl', { 1: ['mode', 'oct'], 2: ['user', 'string'], 3: ['group', 'string'], 4: ['xattrs', S.xattrs] }, { max: ACL.MAX });
S.file = obj('file', { 1: ['name', 'string'], 2: ['acl', S.acl], 3: ['size', 'int'], 4: ['mtime', 'time'], 5: ['hash', 'hex'], 6: ['target', 'hex'] }, { max: FI.MAX });
S.fileArray = arr('file-array', S.file, { sort: 'plain' });
S.dir = obj('dir', { 1: ['name', 'string'], 2: ['acl', S.acl], 3: ['files', S.fileArray] }, { max: DI.MAX });
S.dirArray = arr('dir-array', S.dir, { sort: 'plain' });
S.scripts = obj('scripts', {
  1: ['trigger', 'string'], 2: ['pre-install', 'string'], 3: ['post-install', 'string'], 4: ['pre-deinstall', 'string'],
  5: ['post-deinstall', 'string'], 6: ['pre-upgrade', 'string'], 7: ['post-upgrade', 'string'],
}, { max: SCRPT.MAX });
S.package = obj('package', { 1: ['info', S.pkginfo], 2: ['paths', S.dirArray], 3: ['scripts', S.scripts], 4: ['triggers', S.strings], 5: ['replaces-priority', 'int'] }, { max: PKG.MAX });

/** A field's number by its name in a schema (adb_s_field_by_name), 0 if none. */
export function fieldByName(schema, name) {
  for (const [i, [n]] of Object.entries(schema.fields)) if (n === name) return Number(i);
  return 0;
}

// ------------------------------------------------------ ctype and versions
const ctype = (() => {
  const t = new Uint8Array(128);
  const set = (chars, bits) => { for (const c of chars) t[c.charCodeAt(0)] |= bits; };
  const HEX = 1, PKGNAME = 2 | 8, VERSUF = 4, DEPNAME = 8, DEPCOMP = 16;
  set('+-.', PKGNAME);
  set(',:/[]', DEPNAME);
  set('<=>~', DEPCOMP);
  set('0123456789', HEX | PKGNAME);
  set('ABCDEFGHIJKLMNOPQRSTUVWXYZ_', PKGNAME);
  set('abcdef', HEX | VERSUF | PKGNAME);
  set('ghijklmnopqrstuvwxyz', VERSUF | PKGNAME);
  return { t, HEX, PKGNAME: 2, VERSUF, DEPNAME, DEPCOMP };
})();
const isClass = (ch, bit) => ch < 128 && (ctype.t[ch] & bit) !== 0;
/** apk_blob_spn: the length of the prefix whose bytes are all in the class. */
const spn = (b, bit) => { let i = 0; while (i < b.length && isClass(b[i], bit)) i++; return i; };
/** apk_blob_cspn: the length of the prefix with no byte of the class. */
const cspn = (b, bit) => { let i = 0; while (i < b.length && !isClass(b[i], bit)) i++; return i; };

export const VERSION = { EQUAL: 1, LESS: 2, GREATER: 4, FUZZY: 8, CONFLICT: 16, ANY: 7, CHECKSUM: 6 };
const TOK = { INITIAL_DIGIT: 0, DIGIT: 1, LETTER: 2, SUFFIX: 3, SUFFIX_NO: 4, COMMIT_HASH: 5, REVISION_NO: 6, END: 7, INVALID: 8 };
const SUFFIXES = ['', 'alpha', 'beta', 'pre', 'rc', '', 'cvs', 'svn', 'git', 'hg', 'p'];
const SUFFIX_NONE = 5;
function suffixValue(s) {
  if (!s) return 0;
  const first = { a: 1, b: 2, c: 6, g: 8, h: 9, r: 4, s: 7 }[s[0]] ?? (s[0] === 'p' ? (s.length > 1 ? 3 : 10) : 0);
  return first && SUFFIXES[first] === s ? first : 0;
}
function versionTokens(str) {
  const b = Buffer.from(str, 'latin1');
  let p = 0;
  const digits = (t) => {
    const start = p;
    while (p < b.length && b[p] >= 0x30 && b[p] <= 0x39) p++;
    t.value = b.subarray(start, p).toString('latin1');
    t.number = t.value ? BigInt(t.value) : 0n;
    if (!t.value) t.token = TOK.INVALID;
  };
  const t = { token: TOK.INITIAL_DIGIT, value: '', number: 0n, suffix: 0 };
  const first = () => { t.token = TOK.INITIAL_DIGIT; digits(t); };
  const next = () => {
    if (p >= b.length) { t.token = TOK.END; return; }
    const c = String.fromCharCode(b[p]);
    if (c >= 'a' && c <= 'z') {
      if (t.token > TOK.DIGIT) return void (t.token = TOK.INVALID);
      t.value = c; t.token = TOK.LETTER; p++;
    } else if (c === '.' || (c >= '0' && c <= '9')) {
      if (c === '.') { if (t.token > TOK.DIGIT) return void (t.token = TOK.INVALID); p++; }
      if (t.token === TOK.INITIAL_DIGIT || t.token === TOK.DIGIT) t.token = TOK.DIGIT;
      else if (t.token === TOK.SUFFIX) t.token = TOK.SUFFIX_NO;
      else return void (t.token = TOK.INVALID);
      digits(t);
    } else if (c === '_') {
      if (t.token > TOK.SUFFIX_NO) return void (t.token = TOK.INVALID);
      p++;
      const n = spn(b.subarray(p), ctype.VERSUF);
      t.value = b.subarray(p, p + n).toString('latin1'); p += n;
      t.suffix = suffixValue(t.value);
      t.token = t.suffix === 0 ? TOK.INVALID : TOK.SUFFIX;
    } else if (c === '~') {
      if (t.token >= TOK.COMMIT_HASH) return void (t.token = TOK.INVALID);
      p++;
      const n = spn(b.subarray(p), ctype.HEX);
      t.value = b.subarray(p, p + n).toString('latin1'); p += n;
      t.token = n === 0 ? TOK.INVALID : TOK.COMMIT_HASH;
    } else if (c === '-') {
      if (t.token >= TOK.REVISION_NO || b[p + 1] !== 0x72 /* r */) return void (t.token = TOK.INVALID);
      p += 2;
      t.token = TOK.REVISION_NO;
      digits(t);
    } else t.token = TOK.INVALID;
  };
  return { t, first, next };
}
/** apk_version_validate. */
export function versionValid(v) {
  const { t, first, next } = versionTokens(v);
  for (first(); t.token < TOK.END; next());
  return t.token === TOK.END;
}
function tokenCmp(a, b) {
  let x, y;
  switch (a.token) {
    case TOK.DIGIT:
      if (a.value[0] === '0' || b.value[0] === '0') return strCmp(a.value, b.value);
    // falls through
    case TOK.INITIAL_DIGIT: case TOK.SUFFIX_NO: case TOK.REVISION_NO: x = a.number; y = b.number; break;
    case TOK.LETTER: x = a.value.charCodeAt(0); y = b.value.charCodeAt(0); break;
    case TOK.SUFFIX: x = a.suffix; y = b.suffix; break;
    default: return strCmp(a.value, b.value);
  }
  return x < y ? VERSION.LESS : x > y ? VERSION.GREATER : VERSION.EQUAL;
}
function strCmp(a, b) {
  const r = blobSort(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'));
  return r < 0 ? VERSION.LESS : r > 0 ? VERSION.GREATER : VERSION.EQUAL;
}
/** apk_version_compare: VERSION.LESS, EQUAL or GREATER (null versions: ANY unless both null). */
export function versionCompare(a, b, fuzzy = false) {
  if (a == null || b == null) return a == null && b == null ? VERSION.EQUAL : VERSION.ANY;
  const A = versionTokens(a), B = versionTokens(b);
  for (A.first(), B.first(); A.t.token === B.t.token && A.t.token < TOK.END; A.next(), B.next()) {
    const r = tokenCmp(A.t, B.t);
    if (r !== VERSION.EQUAL) return r;
  }
  const ta = A.t, tb = B.t;
  if (ta.token === tb.token) return VERSION.EQUAL;
  if (tb.token === TOK.END && fuzzy) return VERSION.EQUAL;
  if (ta.token === TOK.SUFFIX && ta.suffix < SUFFIX_NONE) return VERSION.LESS;
  if (tb.token === TOK.SUFFIX && tb.suffix < SUFFIX_NONE) return VERSION.GREATER;
  if (ta.token > tb.token) return VERSION.LESS;
  if (tb.token > ta.token) return VERSION.GREATER;
  return VERSION.EQUAL;
}

/** apk_blob_sort: bytes, then length. */
export function blobSort(a, b) {
  const n = Math.min(a.length, b.length);
  const s = Buffer.compare(a.subarray(0, n), b.subarray(0, n));
  return s !== 0 ? s : a.length - b.length;
}

/** A package name as name_fromstring accepts it. */
export function nameValid(name) {
  const b = Buffer.from(name, 'utf8');
  return b.length > 0 && /^[A-Za-z0-9]/.test(name) && spn(b, ctype.PKGNAME) === b.length;
}

/** apk_dep_parse and dependency_fromstring: { name, op, version } or throws. */
export function parseDependency(spec) {
  let b = Buffer.from(spec, 'utf8');
  let op = 0;
  const fail = () => { throw new Error(`invalid dependency '${spec}'`); };
  if (b[0] === 0x21 /* ! */) { op |= VERSION.CONFLICT; b = b.subarray(1); }
  const n = cspn(b, ctype.DEPCOMP);
  let name = b, version = null;
  if (n < b.length) {
    name = b.subarray(0, n);
    const rest = b.subarray(n);
    const m = spn(rest, ctype.DEPCOMP);
    if (m === rest.length) fail();
    let mask = 0;
    for (const ch of rest.subarray(0, m).toString('latin1')) mask |= { '<': VERSION.LESS, '>': VERSION.GREATER, '=': VERSION.EQUAL, '~': VERSION.FUZZY | VERSION.EQUAL }[ch];
    op |= mask;
    if ((op & ~VERSION.CONFLICT) === 0) fail();
    version = rest.subarray(m).toString('latin1');
  } else op |= VERSION.ANY;
  if ((op & VERSION.CHECKSUM) !== VERSION.CHECKSUM && !versionValid(version ?? '')) fail();
  if (spn(name, ctype.DEPNAME) !== name.length) fail();
  return { name: name.toString('utf8'), op, version };
}

/** apk_version_op_string. */
export function opString(op) {
  return { 2: '<', 3: '<=', 11: '<~', 9: '~', 8: '~', 1: '=', 5: '>=', 13: '>~', 4: '>', 6: '><', 7: '' }[op & ~VERSION.CONFLICT] ?? '?';
}

/** dependency_tostring. */
export function dependencyString({ name, version, match }) {
  const op = match || VERSION.EQUAL;
  if (version == null) return op & VERSION.CONFLICT ? `!${name}` : name;
  return `${op & VERSION.CONFLICT ? '!' : ''}${name}${opString(op)}${version}`;
}

// ----------------------------------------------------------------- writer
/**
 * An ADB being written, as adb_w_* in adb.c: values appended at their
 * alignment, equal bytes written once (the cache of adb_w_data: a match at
 * an unfit alignment is written again and the cache then points there).
 */
export class AdbWriter {
  constructor(schema) {
    this.schema = schema;
    this.buf = Buffer.alloc(8192);
    this.len = 0;
    this.cache = new Map();
    this.raw([Buffer.alloc(8)], 8); // struct adb_hdr: compat 0, ver 0, reserved, root
  }

  raw(chunks, align) {
    const pad = roundUp(this.len, align) - this.len;
    const size = chunks.reduce((n, c) => n + c.length, 0);
    while (this.len + pad + size > this.buf.length) {
      const bigger = Buffer.alloc(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
    this.buf.fill(0, this.len, this.len + pad);
    this.len += pad;
    const offs = this.len;
    for (const c of chunks) { c.copy(this.buf, this.len); this.len += c.length; }
    return offs;
  }

  data(chunks, align, cached = true) {
    if (!cached) return this.raw(chunks, align);
    const key = Buffer.concat(chunks).toString('latin1');
    const hit = this.cache.get(key);
    if (hit !== undefined && (hit & (align - 1)) === 0) return hit;
    const offs = this.raw(chunks, align);
    this.cache.set(key, offs);
    return offs;
  }

  /** adb_w_blob_vec: a blob of the concatenated parts, or NULL when empty. */
  blob(parts, cached = true) {
    const list = (Array.isArray(parts) ? parts : [parts]).map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p));
    const size = list.reduce((n, c) => n + c.length, 0);
    let head, type;
    if (size > 0xffff) { head = Buffer.alloc(4); head.writeUInt32LE(size); type = T.BLOB_32; }
    else if (size > 0xff) { head = Buffer.alloc(2); head.writeUInt16LE(size); type = T.BLOB_16; }
    else if (size > 0) { head = Buffer.from([size]); type = T.BLOB_8; }
    else return NULL;
    return (type | this.data([head, ...list], head.length, cached)) >>> 0;
  }

  /** adb_w_blob_raw: never shared (its bytes are changed later). */
  blobRaw(bytes) { return this.blob(bytes, false); }

  /** adb_w_int. */
  int(n) {
    const v = BigInt(n);
    if (v >= 0x100000000n) { const b = Buffer.alloc(8); b.writeBigUInt64LE(v); return (T.INT_64 | this.data([b], 4)) >>> 0; }
    if (v >= 0x10000000n) { const b = Buffer.alloc(4); b.writeUInt32LE(Number(v)); return (T.INT_32 | this.data([b], 4)) >>> 0; }
    return (T.INT | Number(v)) >>> 0;
  }

  /**
   * __adb_w_obj: slots 1..n (index 0 unused), trailing NULLs cut; NULL when
   * nothing is left. mkpkg writes arrays through adb_w_obj too, so the
   * type is OBJECT unless asked otherwise.
   */
  obj(slots, type = T.OBJECT) {
    let n = slots.length;
    while (n > 1 && (slots[n - 1] ?? NULL) === NULL) n--;
    if (n <= 1) return NULL;
    const b = Buffer.alloc(4 * n);
    b.writeUInt32LE(n, 0);
    for (let i = 1; i < n; i++) b.writeUInt32LE((slots[i] ?? NULL) >>> 0, 4 * i);
    return (type | this.data([b], 4)) >>> 0;
  }

  /** A sorted array (the schema's pre_commit: adb_wa_sort, or adb_wa_sort_unique). */
  array(schema, values, type = T.OBJECT) {
    let list = values.filter((v) => v !== NULL);
    if (schema.sort) {
      const view = this.view();
      list = [...list].sort((a, b) => compareValue(view, schema.item, a, b));
      if (schema.sort === 'unique') list = list.filter((v, i) => i === 0 || v !== list[i - 1]);
    }
    return this.obj([0, ...list], type);
  }

  setRoot(v) { this.buf.writeUInt32LE(v >>> 0, 4); }

  /** The ADB as written so far (a copy). */
  bytes() { return Buffer.from(this.buf.subarray(0, this.len)); }

  view() { return new AdbView(this.buf.subarray(0, this.len)); }

  // The string forms of the schema's fields (adb_w_fromstring).
  fromString(kind, str) {
    switch (kind) {
      case 'string': return this.blob(str);
      case 'version':
        if (!versionValid(str)) throw new Error(`invalid version '${str}' (apk versions look like 1.2.3-r1)`);
        return this.blob(str);
      case 'hex': return this.blob(Buffer.from(str, 'hex'));
      case 'int': case 'time': if (!/^\d+$/.test(str)) throw new Error(`invalid number '${str}'`); return this.int(str);
      case 'oct': return this.int(parseInt(str, 8));
      default:
        if (kind === S.dependencyArray) {
          const deps = str.split(/[ \n]+/).filter(Boolean).map((d) => this.dependency(parseDependency(d)));
          return this.array(kind, deps);
        }
        if (kind === S.tags) return this.array(kind, str.split(/\s+/).filter(Boolean).map((w) => this.blob(w)));
        throw new Error('no string form for this field');
    }
  }

  /** dependency_fromstring's writes: name, then version and match unless "any". */
  dependency({ name, op, version }) {
    const slots = [0, this.blob(name)];
    if (op !== VERSION.ANY) {
      slots[DEP.VERSION] = this.blob(version ?? '');
      if (op !== VERSION.EQUAL) slots[DEP.MATCH] = this.int(op);
    }
    return this.obj(slots);
  }
}

// ----------------------------------------------------------------- reader
/** Values of one ADB (its block payload), read as adb_r_* does, but every reference checked. */
export class AdbView {
  constructor(adb) {
    if (adb.length < 8) throw new Error('ADB block shorter than its header');
    this.adb = adb;
  }

  get compat() { return this.adb[0]; }
  get version() { return this.adb[1]; }
  root() { return this.adb.readUInt32LE(4); }

  deref(v, offs, size) {
    const at = valueOf(v) + offs;
    if (at + size > this.adb.length) throw new Error(`value 0x${(v >>> 0).toString(16)} points past the ADB block`);
    return at;
  }

  int(v) {
    switch (typeOf(v)) {
      case T.SPECIAL: if (v !== NULL) throw new Error('not an integer'); return 0n;
      case T.INT: return BigInt(valueOf(v));
      case T.INT_32: return BigInt(this.adb.readUInt32LE(this.deref(v, 0, 4)));
      case T.INT_64: return this.adb.readBigUInt64LE(this.deref(v, 0, 8));
      default: throw new Error(`not an integer: 0x${(v >>> 0).toString(16)}`);
    }
  }

  blob(v) {
    switch (typeOf(v)) {
      case T.SPECIAL: if (v !== NULL) throw new Error('not a blob'); return null;
      case T.BLOB_8: { const at = this.deref(v, 0, 1); const n = this.adb[at]; return this.adb.subarray(this.deref(v, 1, n), at + 1 + n); }
      case T.BLOB_16: { const at = this.deref(v, 0, 2); const n = this.adb.readUInt16LE(at); return this.adb.subarray(this.deref(v, 2, n), at + 2 + n); }
      case T.BLOB_32: { const at = this.deref(v, 0, 4); const n = this.adb.readUInt32LE(at); return this.adb.subarray(this.deref(v, 4, n), at + 4 + n); }
      default: throw new Error(`not a blob: 0x${(v >>> 0).toString(16)}`);
    }
  }

  /** An object's or array's slots ([num, v1, ...]); NULL reads as [1]. */
  slots(v) {
    if (v === NULL) return [1];
    const t = typeOf(v);
    if (t !== T.OBJECT && t !== T.ARRAY) throw new Error(`not an object: 0x${(v >>> 0).toString(16)}`);
    const at = this.deref(v, 0, 4);
    const num = this.adb.readUInt32LE(at);
    if (num === 0) throw new Error('object with no slot count');
    this.deref(v, 0, 4 * num);
    const out = [num];
    for (let i = 1; i < num; i++) out.push(this.adb.readUInt32LE(at + 4 * i));
    return out;
  }

  /**
   * A value decoded by its schema into plain JavaScript, checking that
   * objects keep to their schema's slots and end in a set slot (as
   * __adb_w_obj writes them).
   */
  decode(kind, v) {
    if (typeof kind === 'string') {
      if (v === NULL) return undefined;
      switch (kind) {
        case 'string': case 'version': return this.blob(v).toString('utf8');
        case 'hex': return Buffer.from(this.blob(v));
        default: {
          const n = this.int(v);
          return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
        }
      }
    }
    if (v === NULL) return kind.kind === 'array' ? [] : undefined;
    const slots = this.slots(v);
    if (slots.length > 1 && slots[slots.length - 1] === NULL) throw new Error(`${kind.name}: ends in an empty slot`);
    if (kind.kind === 'array') return slots.slice(1).map((x) => this.decode(kind.item, x));
    if (slots[0] > kind.max) throw new Error(`${kind.name}: ${slots[0]} slots, the schema has ${kind.max}`);
    const out = {};
    for (let i = 1; i < slots.length; i++) {
      if (slots[i] === NULL) continue;
      const [name, fk] = kind.fields[i];
      out[name] = this.decode(fk, slots[i]);
    }
    return out;
  }
}

/** adb_ro_cmpobj in ADB_OBJCMP_EXACT mode, and the scalar compares of apk_adb.c. */
export function compareValue(view, kind, a, b) {
  if (typeof kind === 'string') {
    if (kind === 'version') {
      const r = versionCompare(view.blob(a)?.toString('latin1') ?? null, view.blob(b)?.toString('latin1') ?? null);
      return r === VERSION.LESS ? -1 : r === VERSION.GREATER ? 1 : 0;
    }
    if (kind === 'int' || kind === 'oct' || kind === 'time') {
      const x = view.int(a), y = view.int(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    return blobSort(view.blob(a) ?? Buffer.alloc(0), view.blob(b) ?? Buffer.alloc(0));
  }
  const sa = view.slots(a), sb = view.slots(b);
  const n = Math.max(sa[0], sb[0]);
  for (let i = 1; i < n; i++) {
    const fk = kind.kind === 'array' ? kind.item : kind.fields[i]?.[1];
    if (!fk) continue;
    const r = compareValue(view, fk, sa[i] ?? NULL, sb[i] ?? NULL);
    if (r) return r;
  }
  return 0;
}

// -------------------------------------------------------------- container
function blockHeader(type, length) {
  if (length <= 0x3fffffff - 4) {
    const h = Buffer.alloc(4);
    h.writeUInt32LE(((type << 30) >>> 0) + 4 + length);
    return h;
  }
  const h = Buffer.alloc(16);
  h.writeUInt32LE(((BLOCK.EXT << 30) >>> 0) + type, 0);
  h.writeBigUInt64LE(BigInt(16 + length), 8);
  return h;
}

/** adb_c_block / adb_c_block_data: header, payload parts, zero padding to 8. */
export function block(type, ...parts) {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const head = blockHeader(type, length);
  const raw = head.length + length;
  return Buffer.concat([head, ...parts, Buffer.alloc(roundUp(raw, ALIGN) - raw)]);
}

/** adb_c_header. */
export function fileHeader(schema) {
  const h = Buffer.alloc(8);
  h.writeUInt32LE(MAGIC, 0);
  h.writeUInt32LE(schema, 4);
  return h;
}

/** adb_compress with the default spec: "ADBd" and a raw deflate stream at level 9. */
export function compress(bytes) {
  return Buffer.concat([Buffer.from('ADBd'), deflateRawSync(bytes, { level: 9, memLevel: 8, windowBits: 15 })]);
}

/** adb_decompress: "ADB." as is, "ADBd" raw deflate ("ADBc" with a spec: deflate only). */
export function decompress(file) {
  const head = file.subarray(0, 4).toString('latin1');
  if (head === 'ADB.') return { bytes: file, compression: 'none' };
  if (head === 'ADBd') return { bytes: inflateRawSync(file.subarray(4)), compression: 'deflate' };
  if (head === 'ADBc' && file[4] === 1) return { bytes: inflateRawSync(file.subarray(6)), compression: `deflate:${file[5]}` };
  throw new Error(`not an ADB file (starts with ${JSON.stringify(head)})`);
}

/**
 * The blocks of an uncompressed ADB file, checked as __adb_m_parse checks
 * them: one ADB block first, then signatures, then data blocks only; sizes
 * within the file; padding zero (apk skips it; we write zeros).
 */
export function parseBlocks(bytes) {
  if (bytes.length < 8 || bytes.readUInt32LE(0) !== MAGIC) throw new Error('no ADB. header');
  const schema = bytes.readUInt32LE(4);
  const blocks = [];
  let pos = 8;
  let allowed = [BLOCK.ADB];
  while (pos < bytes.length) {
    if (pos + 4 > bytes.length) throw new Error(`truncated block header at ${pos}`);
    const ts = bytes.readUInt32LE(pos);
    let type = ts >>> 30, raw = ts & 0x3fffffff, hdr = 4;
    if (type === BLOCK.EXT) {
      if (pos + 16 > bytes.length) throw new Error(`truncated extended block header at ${pos}`);
      type = ts & 0x3fffffff; raw = Number(bytes.readBigUInt64LE(pos + 8)); hdr = 16;
    }
    if (raw < hdr) throw new Error(`block at ${pos}: size ${raw} smaller than its header`);
    const size = roundUp(raw, ALIGN);
    if (pos + size > bytes.length) throw new Error(`block at ${pos} runs past the end of the file`);
    if (!allowed.includes(type)) throw new Error(`block at ${pos}: type ${type} not allowed here`);
    allowed = type === BLOCK.DATA ? [BLOCK.DATA] : [BLOCK.SIG, BLOCK.DATA];
    if (bytes.subarray(pos + raw, pos + size).some((x) => x !== 0)) throw new Error(`block at ${pos}: padding not zero`);
    blocks.push({ type, offset: pos, size, payload: bytes.subarray(pos + hdr, pos + raw) });
    pos += size;
  }
  if (!blocks.length) throw new Error('no ADB block');
  const adb = blocks[0].payload;
  if (adb.length < 16 && schema === SCHEMA.PACKAGE) throw new Error('ADB block too short');
  if (adb[0] !== 0) throw new Error(`ADB compat version ${adb[0]}`);
  return { schema, blocks, adb };
}

// -------------------------------------------------------------- signatures
const SHA512 = 4;

/** apk_pkey_init: the first 16 bytes of SHA-512 over i2d_PublicKey (RSAPublicKey DER, or the EC point). */
export function keyId(key) {
  const pub = key?.type === 'public' ? key : createPublicKey(key);
  let der;
  if (pub.asymmetricKeyType === 'rsa') der = pub.export({ type: 'pkcs1', format: 'der' });
  else if (pub.asymmetricKeyType === 'ec') {
    const jwk = pub.export({ format: 'jwk' });
    der = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
  } else throw new Error(`apk signs with RSA or ECDSA keys, not ${pub.asymmetricKeyType}`);
  return createHash('sha512').update(der).digest().subarray(0, 16);
}

/** What adb_digest_v0_signature feeds the signer: schema, the v0 header with the key id, SHA-512 of the ADB block. */
function signedMessage(schema, id, adb) {
  const head = Buffer.alloc(4 + 18);
  head.writeUInt32LE(schema, 0);
  head[4] = 0; // sign_ver
  head[5] = SHA512; // hash_alg
  id.copy(head, 6);
  return { head: head.subarray(4), message: Buffer.concat([head, createHash('sha512').update(adb).digest()]) };
}

/** adb_trust_write_signatures for one private key: a SIG block. */
export function signatureBlock(schema, adb, privateKey) {
  const id = keyId(privateKey);
  const { head, message } = signedMessage(schema, id, adb);
  const sig = cryptoSign('sha512', message, privateKey);
  return block(BLOCK.SIG, head, sig);
}

/** adb_trust_verify_signature: true when a SIG block's payload is a valid signature by this public key. */
export function verifySignature(schema, adb, payload, publicKey) {
  if (payload.length < 18 || payload[0] !== 0) return false;
  const id = keyId(publicKey);
  if (!payload.subarray(2, 18).equals(id)) return false;
  if (payload[1] !== SHA512) return false;
  const { message } = signedMessage(schema, id, adb);
  return cryptoVerify('sha512', message, publicKey, payload.subarray(18));
}

/**
 * adb_w_copy: a value of another ADB written into this one (objects and
 * arrays depth first, keeping their type; blobs and numbers as their bytes).
 */
export function copyValue(db, src, v) {
  switch (typeOf(v)) {
    case T.SPECIAL: case T.INT: return v;
    case T.INT_32: return (T.INT_32 | db.data([src.adb.subarray(src.deref(v, 0, 4), valueOf(v) + 4)], 4)) >>> 0;
    case T.INT_64: return (T.INT_64 | db.data([src.adb.subarray(src.deref(v, 0, 8), valueOf(v) + 8)], 8)) >>> 0;
    case T.BLOB_8: case T.BLOB_16: case T.BLOB_32: {
      const head = { [T.BLOB_8]: 1, [T.BLOB_16]: 2, [T.BLOB_32]: 4 }[typeOf(v)];
      const body = src.blob(v);
      return (typeOf(v) | db.data([src.adb.subarray(valueOf(v), valueOf(v) + head + body.length)], head)) >>> 0;
    }
    case T.OBJECT: case T.ARRAY: {
      const slots = src.slots(v);
      const copy = [slots[0]];
      for (let i = 1; i < slots.length; i++) copy[i] = copyValue(db, src, slots[i]);
      const b = Buffer.alloc(4 * slots.length);
      copy.forEach((x, i) => b.writeUInt32LE(x >>> 0, 4 * i));
      return (typeOf(v) | db.data([b], 4)) >>> 0;
    }
    default: throw new Error(`cannot copy value 0x${(v >>> 0).toString(16)}`);
  }
}

/** The uncompressed file of an ADB: header, the ADB block, signatures by each key. */
export function adbFile(schema, adb, signKeys = []) {
  return Buffer.concat([fileHeader(schema), block(BLOCK.ADB, adb), ...signKeys.map((k) => signatureBlock(schema, adb, k))]);
}

/**
 * A package or index signed anew, as `apk adbsign --reset-signatures`:
 * the ADB block kept byte for byte (so its identity does not change), its
 * signature blocks replaced, data blocks kept; compressed as it was.
 */
export function resign(file, signKeys) {
  const { bytes, compression } = decompress(file);
  const parsed = parseBlocks(bytes);
  const rest = parsed.blocks.filter((b) => b.type === BLOCK.DATA);
  const out = Buffer.concat([
    adbFile(parsed.schema, parsed.adb, signKeys),
    ...rest.map((b) => bytes.subarray(b.offset, b.offset + b.size)),
  ]);
  return compression === 'none' ? out : compress(out);
}
