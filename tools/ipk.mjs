// Builds the .ipk files without the OpenWrt SDK, in the format opkg reads
// and OpenWrt's scripts/ipkg-build writes: a gzip'd tar of ./debian-binary,
// ./data.tar.gz and ./control.tar.gz. Reproducible: entries sorted, owners
// 0:0, every mtime SOURCE_DATE_EPOCH (default: 0), gzip without a name or
// time, so the same inputs give the same bytes.
// Usage: node tools/ipk.mjs [OUTDIR]  (after the bundle and the LuCI view are built)
//        node tools/ipk.mjs --quickjs ARCH...  (after make cross)

import { create } from 'tar';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { fileBytes, PACKAGES, readQuickjs } from './packages.mjs';

const epoch = Number(process.env.SOURCE_DATE_EPOCH ?? 0);

// What OpenWrt's SDK puts in every package: the real work is in
// /lib/functions.sh (uci-defaults, enable and start; stop and disable),
// which also sources the package's postinst-pkg / prerm-pkg.
const POSTINST = `#!/bin/sh
[ "\${IPKG_NO_SCRIPT}" = "1" ] && exit 0
[ -s \${IPKG_INSTROOT}/lib/functions.sh ] || exit 0
. \${IPKG_INSTROOT}/lib/functions.sh
default_postinst $0 $@
`;
const PRERM = `#!/bin/sh
[ -s \${IPKG_INSTROOT}/lib/functions.sh ] || exit 0
. \${IPKG_INSTROOT}/lib/functions.sh
default_prerm $0 $@
`;

/** Every directory above the given paths, parents first. */
function parents(paths) {
  const dirs = new Set();
  for (const p of paths) for (let d = dirname(p); d !== '.' && d !== '/'; d = dirname(d)) dirs.add(d);
  return [...dirs];
}

/** Writes a gzip'd tar of the named entries ("./" paths, in this order), byte-reproducible. */
function tarball(cwd, names, file) {
  return create(
    {
      cwd,
      file,
      gzip: { level: 9 },
      portable: true,
      noDirRecurse: true,
      mtime: new Date(epoch * 1000),
      onWriteEntry(entry) {
        entry.uid = 0;
        entry.gid = 0;
      },
    },
    names,
  );
}

/** A tree's files and the directories above them, sorted, as "./" paths. */
function sortedTree(paths) {
  return [...parents(paths), ...paths].map((e) => `./${e}`).sort();
}

function control(pkg, installedSize) {
  const lines = [
    `Package: ${pkg.name}`,
    `Version: ${pkg.version}`,
    ...(pkg.depends.length ? [`Depends: ${pkg.depends.join(', ')}`] : []),
    `Source: ${pkg.source}`,
    `SourceName: ${pkg.sourceName}`,
    `License: ${pkg.license}`,
    `Section: ${pkg.section}`,
    `SourceDateEpoch: ${epoch}`,
    `Architecture: ${pkg.architecture ?? 'all'}`,
    `Installed-Size: ${installedSize}`,
    `Description: ${pkg.title}`,
    ...pkg.description.map((l) => ` ${l}`),
  ];
  return lines.join('\n') + '\n';
}

export async function buildIpk(pkg, outDir = 'dist') {
  const work = mkdtempSync(`${tmpdir()}/ipk-${pkg.name}-`);
  try {
    const data = `${work}/data`;
    const ctl = `${work}/control`;
    for (const [source, target, mode] of pkg.files) {
      const path = data + target;
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, fileBytes(source));
      chmodSync(path, mode);
    }
    await tarball(data, sortedTree(pkg.files.map(([, target]) => target.slice(1))), `${work}/data.tar.gz`);
    mkdirSync(ctl);
    const scripts = { postinst: POSTINST, prerm: PRERM };
    // As ipkg-build measures it: the uncompressed data archive.
    const size = gunzipSync(readFileSync(`${work}/data.tar.gz`)).length;
    writeFileSync(`${ctl}/control`, control(pkg, size));
    if (pkg.conffiles.length) writeFileSync(`${ctl}/conffiles`, pkg.conffiles.join('\n') + '\n');
    for (const [name, text] of Object.entries(scripts)) writeFileSync(`${ctl}/${name}`, text, { mode: 0o755 });
    for (const [name, text] of Object.entries(pkg.scripts)) writeFileSync(`${ctl}/${name}`, text, { mode: 0o644 });
    writeFileSync(`${work}/debian-binary`, '2.0\n');
    const controlFiles = ['control', ...(pkg.conffiles.length ? ['conffiles'] : []), ...Object.keys(scripts), ...Object.keys(pkg.scripts)];
    await tarball(ctl, sortedTree(controlFiles), `${work}/control.tar.gz`);
    const out = `${outDir}/${pkg.name}_${pkg.version}_${pkg.architecture ?? 'all'}.ipk`;
    mkdirSync(outDir, { recursive: true });
    // ipkg-build's order: debian-binary, data, control.
    await tarball(work, ['./debian-binary', './data.tar.gz', './control.tar.gz'], out);
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [first, ...rest] = process.argv.slice(2);
  if (first === '--quickjs') {
    // The quickjs .ipk of each architecture `make cross` built.
    for (const arch of rest) console.log(await buildIpk(readQuickjs(arch), 'dist'));
  } else {
    for (const pkg of PACKAGES) console.log(await buildIpk(pkg, first));
  }
}
