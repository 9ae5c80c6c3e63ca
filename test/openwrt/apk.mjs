// Stand-in for apk-tools' `apk add` of local .apk files and `apk del` on a
// running router (no --root), run as /usr/bin/apk through a shim. It follows
// alpinelinux/apk-tools v3.0.2 (d093f7c198a64bff0cd58afeaf638909fda24ca8):
//  - src/database.c apk_db_install_pkg: a new package's files are written,
//    then (upgrade) the old package's files the new one does not have are
//    purged, then post-install (args: version) or post-upgrade (args: new
//    version, old version); removal runs pre-deinstall, purges, then
//    post-deinstall. No pre-deinstall on an upgrade.
//  - apk_db_migrate_files_for_priority and apk_db_audit_file: in a
//    protected directory (the defaults when no --protected-paths: "+etc",
//    "@etc/init.d", "!etc/apk"), a file on disk that differs from what the
//    database recorded (or that no package owns) is kept; the package's file
//    is then dropped if the disk file already equals it, else written as
//    <file>.apk-new. A file missing on disk counts as unchanged.
//  - apk_db_purge_pkg: outside protected directories files go; inside, only
//    unchanged ones, and <file>.apk-new goes too (not for files the new
//    version of the package still owns).
//  - apk_ipkg_run_script and apk_db_run_script: the script is executed
//    through /proc/self/fd/N (so sh sees $0 = /proc/self/fd/N), with the
//    environment PATH=/usr/sbin:/usr/bin:/sbin:/bin, APK_SCRIPT and
//    APK_PACKAGE only, umask 022; a failing script is reported and the
//    operation goes on, apk then exits 1.
//  - __adb_m_parse (src/adb.c): a package without a signature by a key in
//    /etc/apk/keys is refused unless --allow-untrusted ("UNTRUSTED signature").
// The package is read with tools/apk-read.mjs (blocks, hashes, order).
// Left out: repositories and indexes, dependencies and their order (files
// are installed in the order given), triggers, pre-install/pre-upgrade,
// xattrs, uvol, the database's real format (kept as JSON in
// /lib/apk/db/standin.json), --purge, --no-scripts, --root and everything
// else apk does.

import { spawnSync } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { chmodSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, rmdirSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { readApk } from '../../tools/apk-read.mjs';

const DB = '/lib/apk/db/standin.json';
const db = existsSync(DB) ? JSON.parse(readFileSync(DB, 'utf8')) : {};
let failed = false;
const err = (msg) => { console.error(`ERROR: ${msg}`); failed = true; };

/** The protect mode of a directory ("" for /): the defaults, longest match wins, inherited below. */
function protectMode(dir) {
  const rel = dir.replace(/^\/+/, '');
  let mode = 'none';
  for (const [pattern, m] of [['etc', 'changed'], ['etc/init.d', 'symlinks'], ['etc/apk', 'all']]) {
    if (rel === pattern || rel.startsWith(`${pattern}/`)) mode = m;
  }
  return mode;
}
const isProtected = (path) => protectMode(dirname(path)) !== 'none';

const sha256 = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** apk_db_audit_file: 0 (unchanged) or 1; a missing file is unchanged, an unowned one changed. */
function audit(path, entry) {
  let st;
  try { st = lstatSync(path); } catch { return 0; }
  if (!entry) return 1;
  if (entry.type === 'symlink') return st.isSymbolicLink() ? 0 : 1;
  if (!st.isFile()) return 1;
  return sha256(path) === entry.sha256 ? 0 : 1;
}

function owner(path) {
  for (const [name, pkg] of Object.entries(db)) if (pkg.files[path]) return { name, entry: pkg.files[path] };
  return null;
}

function runScript(name, version, scripts, type, args) {
  const text = scripts[type];
  if (text === undefined) return;
  console.log(`Executing ${name}-${version}.${type}`);
  // memfd_create's part: an anonymous executable file, reached through /proc/self/fd/3 in the child.
  const tmp = `/tmp/.apk-standin-${process.pid}-${type}`;
  writeFileSync(tmp, text, { mode: 0o700 });
  const fd = openSync(tmp, 'r');
  unlinkSync(tmp);
  const r = spawnSync('/proc/self/fd/3', args, {
    stdio: ['inherit', 'inherit', 'inherit', fd],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', APK_SCRIPT: type, APK_PACKAGE: name },
    cwd: '/',
  });
  closeSync(fd);
  if (r.status !== 0) err(`${name}-${version}.${type}: script exited with error ${r.status ?? r.signal}`);
}

function writeFile(path, f) {
  const tmp = `${dirname(path)}/.apk.${process.pid}`;
  rmSync(tmp, { force: true });
  if (f.type === 'symlink') symlinkSync(f.target, tmp);
  else {
    writeFileSync(tmp, f.data);
    chmodSync(tmp, f.mode);
    utimesSync(tmp, f.mtime, f.mtime);
  }
  renameSync(tmp, path);
}

function add(files, allowUntrusted) {
  const keys = existsSync('/etc/apk/keys') ? readdirSync('/etc/apk/keys').map((k) => createPublicKey(readFileSync(`/etc/apk/keys/${k}`))) : [];
  // Everything is read and checked before anything is changed.
  const pkgs = files.map((file) => {
    const pkg = readApk(readFileSync(file), { trustedKeys: keys });
    if (!pkg.signedBy.length && !allowUntrusted) throw new Error(`${file}: UNTRUSTED signature`);
    return pkg;
  });
  for (const pkg of pkgs) {
    const { name, version } = pkg.info;
    const old = db[name];
    if (old && old.version === version) continue;
    console.log(`${old ? `Upgrading ${name} (${old.version} -> ${version})` : `Installing ${name} (${version})`}`);
    for (const d of pkg.directories) if (!existsSync(d.path)) { mkdirSync(d.path, { recursive: true }); chmodSync(d.path, d.mode); }
    const record = {};
    for (const f of pkg.files) {
      const entry = f.type === 'symlink' ? { type: 'symlink' } : { type: 'file', sha256: createHash('sha256').update(f.data).digest('hex') };
      record[f.path] = entry;
      const prev = owner(f.path)?.entry;
      if (isProtected(f.path) && audit(f.path, prev) !== 0) {
        if (audit(f.path, entry) === 0) continue; // the disk file is already the package's
        console.log(`  Installing file to ${f.path.slice(1)}.apk-new`);
        writeFile(`${f.path}.apk-new`, f);
        continue;
      }
      writeFile(f.path, f);
    }
    if (old) {
      for (const [path, entry] of Object.entries(old.files)) {
        if (record[path]) continue;
        if (!isProtected(path) || audit(path, entry) === 0) rmSync(path, { force: true });
        if (isProtected(path)) rmSync(`${path}.apk-new`, { force: true });
      }
    }
    db[name] = { version, files: record, dirs: pkg.directories.map((d) => d.path), scripts: pkg.scripts };
    writeFileSync(DB, JSON.stringify(db));
    runScript(name, version, pkg.scripts, old ? 'post-upgrade' : 'post-install', old ? [version, old.version] : [version]);
  }
}

function del(names) {
  for (const name of names) {
    const pkg = db[name];
    if (!pkg) { err(`${name}: not installed`); continue; }
    console.log(`Purging ${name} (${pkg.version})`);
    runScript(name, pkg.version, pkg.scripts, 'pre-deinstall', [pkg.version]);
    for (const [path, entry] of Object.entries(pkg.files)) {
      if (!isProtected(path) || audit(path, entry) === 0) rmSync(path, { force: true });
      if (isProtected(path)) rmSync(`${path}.apk-new`, { force: true });
    }
    // Directories the package brought, once empty (and not another package's).
    const others = new Set(Object.entries(db).filter(([n]) => n !== name).flatMap(([, p]) => p.dirs));
    for (const d of [...pkg.dirs].sort().reverse()) {
      if (d === '/' || others.has(d)) continue;
      try { rmdirSync(d); } catch { /* not empty */ }
    }
    runScript(name, pkg.version, pkg.scripts, 'post-deinstall', [pkg.version]);
    delete db[name];
    writeFileSync(DB, JSON.stringify(db));
  }
}

mkdirSync(dirname(DB), { recursive: true });
process.umask(0o022);
const [cmd, ...rest] = process.argv.slice(2);
const allowUntrusted = rest.includes('--allow-untrusted');
const args = rest.filter((a) => !a.startsWith('--'));
try {
  if (cmd === 'add') add(args, allowUntrusted);
  else if (cmd === 'del') del(args);
  else if (cmd === 'info') for (const [n, p] of Object.entries(db)) console.log(`${n}-${p.version}`);
  else throw new Error(`apk stand-in: ${cmd}: not played`);
} catch (e) {
  err(e.message);
}
process.exit(failed ? 1 : 0);
