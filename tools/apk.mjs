// Builds the .apk files (APK v3, for OpenWrt 25.12 and later) without the
// OpenWrt SDK and without apk-tools: the package tree and scripts as
// OpenWrt's include/package-pack.mk makes them when CONFIG_USE_APK is set
// (openwrt/openwrt 004b949da53ab641d756ec5d9b18e74e3759b39d), packed by
// tools/apk-mkpkg.mjs as `apk mkpkg` packs them, then read back and checked
// (tools/apk-read.mjs) so a broken package fails the build.
// From package-pack.mk:
//  - the tree is what Package/<pkg>/install puts in $(1), plus
//    lib/apk/packages/<pkg>.list (every file and link, "/path", sorted),
//    <pkg>.conffiles (the conffiles define) and <pkg>.conffiles_static
//    ("path sha256" of each conffile in the package);
//  - post-install: functions.sh, `export root` and `export pkgname`, then
//    add_group_and_user and default_postinst (apk runs scripts as
//    /proc/self/fd/N with the version as $1, so the opkg form
//    `default_postinst $0 $@` would name the wrong package), then the
//    package's postinst without its #! lines; post-upgrade: the same with
//    PKG_UPGRADE=1 exported first; pre-deinstall: default_prerm, then the
//    package's prerm;
//  - mkpkg's info: name, version $(PKG_VERSION)-r$(PKG_RELEASE), the
//    description on one line, arch noarch for PKGARCH all, license,
//    origin, url, maintainer, provides <pkg>-any, depends.
// Reproducible: every mtime is SOURCE_DATE_EPOCH, or the last commit's time
// (tools/packages.mjs); files and directories owned by root.
// Usage: node tools/apk.mjs [OUTDIR]   (after the bundle and the LuCI view are built)

import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, lstatSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { fileBytes, PACKAGES, sourceDateEpoch } from './packages.mjs';
import { mkpkg } from './apk-mkpkg.mjs';
import { readApk } from './apk-read.mjs';

const stripShebangs = (text) => text.split('\n').filter((l) => !/^\s*#!/.test(l)).join('\n');

/** The maintainer scripts package-pack.mk writes for apk. */
export function apkScripts(pkg) {
  const postinstPkg = pkg.scripts['postinst-pkg'];
  const prermPkg = pkg.scripts['prerm-pkg'];
  const postInstall = [
    '#!/bin/sh',
    '[ "${IPKG_NO_SCRIPT}" = "1" ] && exit 0',
    '[ -s ${IPKG_INSTROOT}/lib/functions.sh ] || exit 0',
    '. ${IPKG_INSTROOT}/lib/functions.sh',
    'export root="${IPKG_INSTROOT}"',
    `export pkgname="${pkg.name}"`,
    'add_group_and_user',
    'default_postinst',
  ].join('\n') + '\n' + (postinstPkg === undefined ? '' : stripShebangs(postinstPkg));
  const postUpgrade = '#!/bin/sh\nexport PKG_UPGRADE=1\n' + stripShebangs(postInstall);
  const preDeinstall = [
    '#!/bin/sh',
    '[ -s ${IPKG_INSTROOT}/lib/functions.sh ] || exit 0',
    '. ${IPKG_INSTROOT}/lib/functions.sh',
    'export root="${IPKG_INSTROOT}"',
    `export pkgname="${pkg.name}"`,
    'default_prerm',
  ].join('\n') + '\n' + (prermPkg === undefined ? '' : stripShebangs(prermPkg));
  return { 'post-install': postInstall, 'post-upgrade': postUpgrade, 'pre-deinstall': preDeinstall };
}

/** mkpkg's --info for a package, as package-pack.mk passes it. */
export function apkInfo(pkg) {
  return {
    name: pkg.name,
    version: pkg.apkVersion,
    description: pkg.descriptionText,
    arch: (pkg.architecture ?? 'all').includes('all') ? 'noarch' : pkg.architecture,
    license: pkg.license ?? '',
    origin: pkg.source,
    url: pkg.url ?? '',
    maintainer: pkg.maintainer ?? '',
    provides: `${pkg.name}-any`,
    depends: pkg.depends.join(' '),
  };
}

/** Files and links below a directory, as `find . -type f,l -printf "/%P\n" | sort` lists them (C locale). */
function listTree(root, rel = '') {
  const out = [];
  for (const name of readdirSync(rel ? `${root}/${rel}` : root)) {
    const path = rel ? `${rel}/${name}` : name;
    const st = lstatSync(`${root}/${path}`);
    if (st.isDirectory()) out.push(...listTree(root, path));
    else if (st.isFile() || st.isSymbolicLink()) out.push(`/${path}`);
  }
  return out;
}

/** The package's tree (IDIR) in a directory, as package-pack.mk leaves it before `apk mkpkg`. */
export function stageTree(pkg, idir) {
  mkdirSync(idir, { recursive: true });
  const dir = (path) => {
    // $(INSTALL_DIR) and mkdir -p under umask 022: every directory 0755.
    for (let d = path; d.length > idir.length; d = dirname(d)) {
      mkdirSync(d, { recursive: true });
      chmodSync(d, 0o755);
    }
  };
  chmodSync(idir, 0o755);
  for (const [source, target, mode] of pkg.files) {
    dir(dirname(idir + target));
    writeFileSync(idir + target, fileBytes(source));
    chmodSync(idir + target, mode);
  }
  const meta = `${idir}/lib/apk/packages`;
  dir(meta);
  const list = listTree(idir).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  writeFileSync(`${meta}/${pkg.name}.list`, list.map((l) => `${l}\n`).join(''), { mode: 0o644 });
  if (pkg.conffilesText !== null && pkg.conffilesText !== undefined) {
    writeFileSync(`${meta}/${pkg.name}.conffiles`, pkg.conffilesText, { mode: 0o644 });
    let sums = '';
    for (const file of pkg.conffilesText.split(/\s+/).filter(Boolean)) {
      let bytes;
      try { bytes = readFileSync(idir + file); } catch { continue; }
      sums += `${file} ${createHash('sha256').update(bytes).digest('hex')}\n`;
    }
    if (sums) writeFileSync(`${meta}/${pkg.name}.conffiles_static`, sums, { mode: 0o644 });
  }
  for (const f of readdirSync(meta)) chmodSync(`${meta}/${f}`, 0o644);
}

/** Builds one package: { path, bytes } after reading it back. */
export function buildApk(pkg, outDir = 'dist', { epoch = sourceDateEpoch(), compressed = true, signKeys = [] } = {}) {
  const work = mkdtempSync(`${tmpdir()}/apk-${pkg.name}-`);
  try {
    const idir = `${work}/${pkg.name}`;
    stageTree(pkg, idir);
    const { file } = mkpkg({ info: apkInfo(pkg), scripts: apkScripts(pkg), files: idir, sourceDateEpoch: epoch, compressed, signKeys });
    // Read back: a package that does not walk cleanly is not written.
    const back = readApk(file);
    const want = pkg.files.map(([source, target]) => [target, fileBytes(source)]);
    for (const [target, bytes] of want) {
      const f = back.files.find((x) => x.path === target);
      if (!f || !f.data.equals(bytes)) throw new Error(`${pkg.name}: ${target} did not read back as built`);
    }
    const out = `${outDir}/${pkg.name}-${pkg.apkVersion}.apk`;
    mkdirSync(outDir, { recursive: true });
    writeFileSync(out, file);
    return { path: out, bytes: file };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const outDir = process.argv[2] ?? 'dist';
  for (const pkg of PACKAGES) console.log(buildApk(pkg, outDir).path);
}
