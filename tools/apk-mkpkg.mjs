// `apk mkpkg` in Node: an APK v3 package from a file tree, byte for byte
// as apk-tools 3.0.2 writes it (checked against ../shared/reference/apk/,
// test/apk.test.ts). Follows alpinelinux/apk-tools v3.0.2
// (d093f7c198a64bff0cd58afeaf638909fda24ca8) src/app_mkpkg.c: info fields
// written in schema order through their string forms; directories scanned
// in strcmp order, every one listed (the default --compat 3.0.0_pre1 keeps
// the root and empty directories); per directory its files (name, SHA-256,
// link target, mtime, size; mode, user, group), then the directory; the
// installed size; a 20-byte unique id, written zeroed and then filled with
// the first bytes of SHA-256 over the finished ADB; the ADB block,
// signatures, then one data block per non-empty regular file.
// mtime is SOURCE_DATE_EPOCH when that is set and not empty
// (apk_get_build_time), else the file's own.
// Left out: extended attributes (Node cannot read them; the trees we
// package have none: apk would store them in each acl), --triggers, user
// and group names other than root (OpenWrt runs mkpkg under fakeroot, so
// everything is root's; so does this), --compat other than the default.

import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import {
  AdbWriter, DI, FI, PI, PKG, S, SCHEMA, SCRPT, BLOCK, block, compress, fieldByName, fileHeader, nameValid, signatureBlock,
} from './apk-adb.mjs';

const S_IFMT = 0o170000, S_IFREG = 0o100000, S_IFDIR = 0o040000, S_IFLNK = 0o120000;
const byBytes = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Names in a directory, sorted as apk_dir_foreach_file_sorted sorts them (strcmp). */
const sortedNames = (dir) => readdirSync(dir).sort(byBytes);

/**
 * @param {object} o
 * @param {Record<string,string>} o.info   --info key:value pairs (name, version, description, arch, license,
 *                                          origin, maintainer, url, depends, provides, ... as apk mkpkg takes them)
 * @param {Record<string,string|Buffer>} [o.scripts]  --script type:content (post-install, pre-deinstall, ...)
 * @param {string} [o.files]               --files: the tree to package
 * @param {string} [o.sourceDateEpoch]     SOURCE_DATE_EPOCH as apk reads it from its environment
 * @param {boolean} [o.compressed]         false: --compression none
 * @param {import('node:crypto').KeyObject[]} [o.signKeys]  --sign-key: private keys (RSA or ECDSA)
 * @returns {{ file: Buffer, adb: Buffer, uncompressed: Buffer }}
 */
export function mkpkg({ info, scripts = {}, files, sourceDateEpoch, compressed = true, signKeys = [] }) {
  const epoch = sourceDateEpoch !== undefined && sourceDateEpoch !== '' ? BigInt.asUintN(64, BigInt(/^\d+/.exec(sourceDateEpoch)?.[0] ?? '0')) : null;
  const db = new AdbWriter(SCHEMA.PACKAGE);
  const pkgi = [0];
  const pkg = [0];
  if (!info.name || !info.version) throw new Error("required info field 'name' or 'version' not provided");
  if (!nameValid(info.name)) throw new Error(`invalid package name '${info.name}'`);
  if (!info.arch) throw new Error("info field 'arch' not provided (apk would use its build's own architecture)");

  // assign_fields: in field order, whatever order they were given in.
  for (let i = 1; i < PI.MAX; i++) {
    const [name, kind] = S.pkginfo.fields[i];
    if (!(name in info)) continue;
    if (i === PI.INSTALLED_SIZE || i === PI.FILE_SIZE) throw new Error(`invalid info field: ${name}`);
    pkgi[i] = db.fromString(kind, info[name]);
  }
  for (const key of Object.keys(info)) {
    if (fieldByName(S.pkginfo, key)) continue;
    if (key !== 'replaces-priority') throw new Error(`invalid info field: ${key}`);
  }
  if ('replaces-priority' in info) pkg[PKG.REPLACES_PRIORITY] = db.fromString('int', info['replaces-priority']);

  let installedSize = 0n;
  const dataFiles = []; // [pathIdx, fileIdx, absolute path, size]
  const paths = [];
  if (files !== undefined) {
    const dirs = [];
    const scan = (rel) => {
      for (const name of sortedNames(rel ? `${files}/${rel}` : files)) {
        const path = rel ? `${rel}/${name}` : name;
        if (lstatSync(`${files}/${path}`).isDirectory()) {
          dirs.push(path);
          scan(path);
        }
      }
    };
    scan('');
    dirs.sort(byBytes);
    const links = new Map();
    const mtime = (st) => (epoch !== null ? epoch : st.mtimeNs / 1000000000n);
    const acl = (mode) => db.obj([0, db.int(mode), db.blob('root'), db.blob('root')]);
    for (const dir of ['', ...dirs]) {
      const abs = dir ? `${files}/${dir}` : files;
      const dst = lstatSync(abs);
      const entries = [];
      for (const name of sortedNames(abs)) {
        const path = `${abs}/${name}`;
        const st = lstatSync(path, { bigint: true });
        const fmt = Number(st.mode) & S_IFMT;
        if (fmt === S_IFDIR) continue;
        let target = null, link = null;
        if (fmt === S_IFREG) {
          if (st.nlink > 1n) {
            const key = `${st.dev}:${st.ino}`;
            link = links.get(key) ?? null;
            if (link === null) {
              const mode = Buffer.alloc(2); mode.writeUInt16LE(S_IFREG);
              links.set(key, db.blob([mode, ...(dir ? [dir, '/'] : ['.', '/']), name]));
            }
          }
          if (link === null) installedSize += st.size;
        } else if (fmt === S_IFLNK) {
          const mode = Buffer.alloc(2); mode.writeUInt16LE(S_IFLNK);
          target = Buffer.concat([mode, readlinkSync(path, { encoding: 'buffer' })]);
        } else if ([0o060000, 0o020000, 0o010000].includes(fmt)) {
          target = Buffer.alloc(10); target.writeUInt16LE(fmt); target.writeBigUInt64LE(st.rdev, 2);
        } else continue; // sockets: "special file ignored"
        const fio = [0, db.blob(name)];
        if (fmt === S_IFREG) fio[FI.HASHES] = db.blob(createHash('sha256').update(readFileSync(path)).digest());
        if (target) fio[FI.TARGET] = db.blob(target);
        else if (link !== null) fio[FI.TARGET] = link;
        fio[FI.MTIME] = db.int(mtime(st));
        fio[FI.SIZE] = db.int(st.size);
        fio[FI.ACL] = acl(Number(st.mode) & 0o7777);
        entries.push({ name, value: db.obj(fio), data: fmt === S_IFREG && link === null && st.size > 0n ? [path, st.size] : null });
      }
      const dio = [0, db.blob(dir)];
      dio[DI.ACL] = acl(dst.mode & ~S_IFMT & 0o7777);
      dio[DI.FILES] = db.array(S.fileArray, entries.map((e) => e.value));
      paths.push({ value: db.obj(dio), entries });
    }
    if (installedSize === 0n) installedSize = 1n;
    // Data blocks in the order of the sorted arrays (they are written sorted already).
    paths.forEach((p, i) => p.entries.forEach((e, j) => { if (e.data) dataFiles.push([i + 1, j + 1, ...e.data]); }));
  }
  const hasScripts = Object.keys(scripts).length > 0;
  if (hasScripts && installedSize === 0n) installedSize = 1n;
  pkgi[PI.INSTALLED_SIZE] = db.int(installedSize);
  pkgi[PI.HASHES] = db.blobRaw(Buffer.alloc(20));
  pkg[PKG.PKGINFO] = db.obj(pkgi);
  pkg[PKG.PATHS] = db.array(S.dirArray, paths.map((p) => p.value));
  if (hasScripts) {
    const sc = [0];
    for (const [type, text] of Object.entries(scripts)) {
      const i = fieldByName(S.scripts, type);
      if (!i) throw new Error(`invalid script type: ${type}`);
      sc[i] = text;
    }
    for (let i = 1; i < SCRPT.MAX; i++) sc[i] = sc[i] === undefined ? 0 : db.blob(sc[i]);
    pkg[PKG.SCRIPTS] = db.obj(sc);
  }
  db.setRoot(db.obj(pkg));

  // The unique id: SHA-256 of the ADB with the id zeroed, its first 20 bytes.
  const adb = db.bytes();
  const idAt = (pkgi[PI.HASHES] & 0x0fffffff) + 1;
  createHash('sha256').update(adb).digest().copy(adb, idAt, 0, 20);

  const parts = [fileHeader(SCHEMA.PACKAGE), block(BLOCK.ADB, adb)];
  for (const key of signKeys) parts.push(signatureBlock(SCHEMA.PACKAGE, adb, key));
  for (const [pathIdx, fileIdx, path, size] of dataFiles) {
    const hdr = Buffer.alloc(8);
    hdr.writeUInt32LE(pathIdx, 0);
    hdr.writeUInt32LE(fileIdx, 4);
    const bytes = readFileSync(path);
    if (BigInt(bytes.length) !== size) throw new Error(`${path} changed while it was packaged`);
    parts.push(block(BLOCK.DATA, hdr, bytes));
  }
  const uncompressed = Buffer.concat(parts);
  return { file: compressed ? compress(uncompressed) : uncompressed, adb, uncompressed };
}

