// The SDK route against the SDK-free one: GNU make evaluates each feed
// Makefile (openwrt/<dir>/Makefile, the translation macro and its $(foreach)
// included) with stand-ins for the SDK's rules.mk and include/package.mk
// (test/openwrt/sdk) that run every package's install define, as
// package-pack.mk runs it, into a directory of its own. Each package and
// file the SDK would ship is the one tools/packages.mjs reads from the same
// Makefile for the .ipk and .apk files: same packages, files, modes, bytes,
// scripts, titles and dependencies.

import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileBytes, PACKAGES } from '../tools/packages.mjs';
import { ROOT } from './lib/paths.ts';

/** Every file below a directory: [/path, mode], sorted. */
function tree(dir: string, rel = ''): [string, number][] {
  return readdirSync(`${dir}${rel}`).sort().flatMap((name) => {
    const st = statSync(`${dir}${rel}/${name}`);
    return st.isDirectory() ? tree(dir, `${rel}/${name}`) : [[`${rel}/${name}`, st.mode & 0o777] as [string, number]];
  });
}

for (const dir of ['vpn-passthrough', 'luci-app-vpn-passthrough']) {
  t.test(`openwrt/${dir}/Makefile: what the SDK would install`, async (t) => {
    const out = mkdtempSync(`${tmpdir()}/sdk-${dir}-`);
    t.teardown(() => rmSync(out, { recursive: true, force: true }));
    // The SDK's build runs with umask 022.
    execFileSync('sh', ['-c', 'umask 022; exec make -s -C "$1" TOPDIR="$2" OUT="$3" all', 'sh',
      `${ROOT}openwrt/${dir}`, `${ROOT}test/openwrt/sdk`, out]);
    const ours = PACKAGES.filter((p) => p.source === `openwrt/${dir}`);
    t.same(readdirSync(out).sort(), ours.map((p) => p.name).sort(), 'the packages it builds: the ones make packs without the SDK');
    for (const pkg of ours) {
      const built = `${out}/${pkg.name}`;
      const files = tree(`${built}/root`);
      t.same(files, pkg.files.map(([, target, mode]) => [target, mode]), `${pkg.name}: the same files and modes`);
      for (const [source, target] of pkg.files) {
        t.ok(readFileSync(`${built}/root${target}`).equals(fileBytes(source)), `${pkg.name}: ${target}, the same bytes`);
      }
      // $(file >...,text) writes the define and a newline.
      const script = (name: string) => readFileSync(`${built}/${name}`, 'utf8').replace(/\n$/, '');
      t.equal(script('postinst'), pkg.scripts['postinst-pkg'] ?? '', `${pkg.name}: the same postinst`);
      t.equal(script('prerm'), pkg.scripts['prerm-pkg'] ?? '', `${pkg.name}: the same prerm`);
      const info = script('info');
      t.equal(/^\s*TITLE:=(.*)$/m.exec(info)?.[1], pkg.title, `${pkg.name}: the same title`);
      t.same(/^\s*DEPENDS:=(.*)$/m.exec(info)![1].split(/\s+/).map((d) => d.replace(/^\+/, '')), pkg.depends, `${pkg.name}: the same dependencies`);
    }
  });
}
