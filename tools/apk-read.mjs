// Reads APK v3 packages and indexes back, checking them as apk-tools 3.0.2
// would before installing (src/adb.c __adb_m_parse, src/extract_v3.c,
// src/apk_adb.c schemas; revision in tools/apk-adb.mjs) and a bit more:
// every block, every value reference, the schema's slots, the info
// (name, apk version, dependencies), paths sorted with every parent
// directory listed, files sorted within each, the unique id, the
// installed size, and each data block against its file's size and
// SHA-256, one block per non-empty regular file and in order. `make` runs it
// on what it builds (tools/apk.mjs), so a broken package fails the build.
// Usage: node tools/apk-read.mjs FILE...   (prints each as JSON)

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  AdbView, BLOCK, PI, S, SCHEMA, blobSort, decompress, dependencyString, nameValid, parseBlocks, parseDependency,
  verifySignature, versionValid,
} from './apk-adb.mjs';

const S_IFMT = 0o170000, S_IFREG = 0o100000, S_IFLNK = 0o120000;

function fail(what) { throw new Error(what); }

/** The identity apk keeps for a v3 package (index "hashes", extract_v3.c): SHA-256 of the ADB block. */
export function packageIdentity(adb) {
  return createHash('sha256').update(adb).digest();
}

function checkSignatures(schema, parsed, trustedKeys) {
  const sigs = parsed.blocks.filter((b) => b.type === BLOCK.SIG);
  const signedBy = [];
  for (const s of sigs) {
    const key = trustedKeys.find((k) => verifySignature(schema, parsed.adb, s.payload, k));
    if (key) signedBy.push(key);
  }
  return { signatures: sigs.length, signedBy };
}

function checkInfo(info, where) {
  if (!info.name || !nameValid(info.name)) fail(`${where}: invalid name ${JSON.stringify(info.name)}`);
  if (!info.version || !versionValid(info.version)) fail(`${where}: ${info.name}: invalid version ${JSON.stringify(info.version)}`);
  for (const field of ['depends', 'provides', 'replaces', 'install-if', 'recommends']) {
    for (const d of info[field] ?? []) {
      if (!d.name) fail(`${where}: ${info.name}: ${field} entry without a name`);
      parseDependency(dependencyString(d));
    }
    const names = (info[field] ?? []).map((d) => dependencyString(d));
    if (new Set(names).size !== names.length) fail(`${where}: ${info.name}: ${field} lists one entry twice`);
  }
}

/**
 * A package file (compressed or not) read back. trustedKeys: public keys
 * (KeyObjects); the result says which of them signed it.
 */
export function readApk(file, { trustedKeys = [] } = {}) {
  const { bytes, compression } = decompress(file);
  const parsed = parseBlocks(bytes);
  if (parsed.schema !== SCHEMA.PACKAGE) fail(`schema 0x${parsed.schema.toString(16)} is not a package's`);
  const view = new AdbView(parsed.adb);
  const pkg = view.decode(S.package, view.root());
  const info = pkg.info ?? fail('no package info');
  checkInfo(info, 'package');
  if (!Buffer.isBuffer(info.hashes) || info.hashes.length !== 20) fail('the unique id (info hashes) is not 20 bytes');
  // mkpkg fills the id with SHA-256 of the ADB as written with the id zeroed.
  const idValue = view.slots(view.slots(view.root())[1])[PI.HASHES];
  if ((idValue & 0xf0000000) >>> 0 !== 0x80000000) fail('the unique id is not a short blob');
  const idAt = (idValue & 0x0fffffff) + 1;
  const zeroed = Buffer.from(parsed.adb);
  zeroed.fill(0, idAt, idAt + 20);
  if (!createHash('sha256').update(zeroed).digest().subarray(0, 20).equals(info.hashes)) fail('the unique id is not the ADB\'s SHA-256');

  // A package without files (mkpkg without --files) has no paths at all.
  const paths = pkg.paths ?? [];
  for (const d of paths) d.files ??= [];
  const names = paths.map((p) => p.name ?? '');
  if (paths.length && names[0] !== '') fail('the root directory is not listed first');
  const listed = new Set(names);
  const expected = [];
  let regular = 0n;
  paths.forEach((dir, i) => {
    const name = names[i];
    if (i > 0 && blobSort(Buffer.from(names[i - 1]), Buffer.from(name)) >= 0) fail(`paths not sorted: '${names[i - 1]}' before '${name}'`);
    if (name !== '' && name.split('/').some((c) => c === '' || c === '.' || c === '..')) fail(`bad path '${name}'`);
    if (name.includes('/') && !listed.has(name.slice(0, name.lastIndexOf('/')))) fail(`'${name}' is listed but its parent is not`);
    if (name !== '' && !name.includes('/') && !listed.has('')) fail('no root directory');
    if (!dir.acl || typeof dir.acl.mode !== 'number') fail(`'${name}': no mode`);
    dir.files.forEach((f, j) => {
      const where = `${name ? `${name}/` : ''}${f.name}`;
      if (!f.name || f.name.includes('/')) fail(`bad file name in '${name}'`);
      if (j > 0 && blobSort(Buffer.from(dir.files[j - 1].name), Buffer.from(f.name)) >= 0) fail(`files of '${name}' not sorted`);
      if (!f.acl || typeof f.acl.mode !== 'number') fail(`${where}: no mode`);
      const size = BigInt(f.size ?? 0);
      if (f.target) {
        const mode = f.target.readUInt16LE(0);
        if ((mode & S_IFMT) === S_IFLNK && BigInt(f.target.length - 2) !== size) fail(`${where}: link size is not its target's length`);
        if ((mode & S_IFMT) === S_IFREG && f.hash?.length !== 32) fail(`${where}: hard link without a hash`);
        return;
      }
      if (!f.hash || f.hash.length !== 32) fail(`${where}: regular file without a SHA-256`);
      regular += size;
      if (size > 0n) expected.push({ path: i + 1, file: j + 1, where, size, hash: f.hash });
      else if (!f.hash.equals(createHash('sha256').digest())) fail(`${where}: empty file with the hash of something`);
    });
  });
  // mkpkg: the files' sizes, at least 1 when there is a tree or a script.
  const installed = BigInt(info['installed-size'] ?? 0);
  const floor = paths.length || Object.keys(pkg.scripts ?? {}).length ? 1n : 0n;
  if (installed !== (regular > floor ? regular : floor)) fail(`installed-size ${installed}, the files add up to ${regular}`);

  const data = parsed.blocks.filter((b) => b.type === BLOCK.DATA);
  if (data.length !== expected.length) fail(`${data.length} data blocks for ${expected.length} non-empty files`);
  const contents = new Map();
  data.forEach((b, k) => {
    const e = expected[k];
    if (b.payload.length < 8) fail('data block without its header');
    const p = b.payload.readUInt32LE(0), f = b.payload.readUInt32LE(4);
    if (p !== e.path || f !== e.file) fail(`data block ${k + 1} is for ${p}/${f}, expected ${e.where}`);
    const body = b.payload.subarray(8);
    if (BigInt(body.length) !== e.size) fail(`${e.where}: ${body.length} bytes of data, size says ${e.size}`);
    if (!createHash('sha256').update(body).digest().equals(e.hash)) fail(`${e.where}: data does not match its SHA-256`);
    contents.set(e.where, body);
  });

  const files = [];
  for (const [i, dir] of paths.entries()) {
    for (const f of dir.files) {
      const path = `/${names[i] ? `${names[i]}/` : ''}${f.name}`;
      const type = f.target ? f.target.readUInt16LE(0) & S_IFMT : S_IFREG;
      files.push({
        path, mode: f.acl.mode, user: f.acl.user, group: f.acl.group, size: Number(f.size ?? 0), mtime: f.mtime,
        type: type === S_IFLNK ? 'symlink' : type === S_IFREG ? (f.target ? 'hardlink' : 'file') : 'device',
        target: f.target ? f.target.subarray(2) : undefined,
        data: f.target ? undefined : contents.get(path.slice(1)) ?? Buffer.alloc(0),
      });
    }
  }
  const directories = paths.map((d, i) => ({ path: `/${names[i]}`, mode: d.acl.mode, user: d.acl.user, group: d.acl.group }));
  return {
    compression, schema: parsed.schema, adb: parsed.adb, identity: packageIdentity(parsed.adb), info,
    depends: (info.depends ?? []).map(dependencyString), provides: (info.provides ?? []).map(dependencyString),
    scripts: pkg.scripts ?? {}, triggers: pkg.triggers, directories, files,
    ...checkSignatures(parsed.schema, parsed, trustedKeys),
  };
}

/** A repository index (packages.adb) read back, with the packages it lists. */
export function readIndex(file, { trustedKeys = [] } = {}) {
  const { bytes, compression } = decompress(file);
  const parsed = parseBlocks(bytes);
  if (parsed.schema !== SCHEMA.INDEX) fail(`schema 0x${parsed.schema.toString(16)} is not an index's`);
  if (parsed.blocks.some((b) => b.type === BLOCK.DATA)) fail('an index has no data blocks');
  const view = new AdbView(parsed.adb);
  const ndx = view.decode(S.index, view.root());
  const packages = ndx.packages ?? [];
  packages.forEach((p, i) => {
    checkInfo(p, 'index');
    if (!Buffer.isBuffer(p.hashes) || p.hashes.length !== 32) fail(`index: ${p.name}: no SHA-256 identity`);
    if (p['file-size'] === undefined) fail(`index: ${p.name}: no file size`);
    if (i > 0) {
      const a = packages[i - 1];
      if (blobSort(Buffer.from(a.name), Buffer.from(p.name)) > 0) fail('index: packages not sorted by name');
    }
  });
  return { compression, schema: parsed.schema, adb: parsed.adb, description: ndx.description, pkgnameSpec: ndx['pkgname-spec'], packages, ...checkSignatures(parsed.schema, parsed, trustedKeys) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const f of process.argv.slice(2)) {
    const buf = readFileSync(f);
    const r = decompress(buf).bytes.readUInt32LE(4) === SCHEMA.INDEX ? readIndex(buf) : readApk(buf);
    const show = (k, v) => (k === 'adb' || k === 'data' ? undefined : typeof v === 'bigint' ? String(v) : v?.type === 'Buffer' ? Buffer.from(v.data).toString('hex') : v);
    console.log(JSON.stringify(r, show, 2));
  }
}
