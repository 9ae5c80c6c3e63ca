// The .apk files on a router (OpenWrt 25.12): installed, upgraded from r1
// to r2 with the admin's changed config kept, and removed, by a stand-in
// for apk that follows apk-tools 3.0.2's source (test/openwrt/apk.mjs: the
// scripts run as /proc/self/fd/N with the version as $1, protected /etc
// with .apk-new, purge). It runs in the scratch root test/package.test.ts
// uses too (test/lib/scratch-root.ts: an overlay over / chrooted in a
// network namespace, with the stand-ins of test/openwrt for rc.common/procd,
// functions.sh, ubus, uci and firewall4). What this proves is our half:
// that the package's scripts and /lib/apk/packages files do their work when
// run the way apk runs them; apk itself is not here.

import t from 'tap';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resign } from '../tools/apk-adb.mjs';
import { mkpkg } from '../tools/apk-mkpkg.mjs';
import { readApk } from '../tools/apk-read.mjs';
import { LANGUAGES } from './lib/i18n.ts';
import { bundleFiles, ROOT } from './lib/paths.ts';
import { noScratchRoot, scratchRoot } from './lib/scratch-root.ts';

const makefile = readFileSync(`${ROOT}openwrt/vpn-passthrough/Makefile`, 'utf8');
const field = (name: string) => new RegExp(`^${name}:=(.*)$`, 'm').exec(makefile)![1];
const R1 = `${field('PKG_VERSION')}-r${field('PKG_RELEASE')}`;
const R2 = `${field('PKG_VERSION')}-r${Number(field('PKG_RELEASE')) + 1}`;

t.test('apk add, upgrade, del on a router', { skip: noScratchRoot }, async (t) => {
  // r2: the same inputs with the next PKG_RELEASE and a changed shipped config, built as make builds r1.
  const next = mkdtempSync(`${tmpdir()}/apk-r2-`);
  t.teardown(() => rmSync(next, { recursive: true, force: true }));
  for (const p of ['tools', 'openwrt', 'files', 'luci/root', 'dist/luci', ...bundleFiles().map((f) => `dist/${f}`)]) cpSync(`${ROOT}${p}`, `${next}/${p}`, { recursive: true });
  writeFileSync(`${next}/openwrt/vpn-passthrough/Makefile`, makefile.replace(/^PKG_RELEASE:=.*$/m, `PKG_RELEASE:=${Number(field('PKG_RELEASE')) + 1}`));
  writeFileSync(`${next}/files/etc/config/vpn-passthrough`, `${readFileSync(`${ROOT}files/etc/config/vpn-passthrough`, 'utf8')}# r2\n`);
  execFileSync('node', ['tools/apk.mjs', `${next}/out`], { cwd: next, env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } });

  const { put, read, exists, root, ok, table } = scratchRoot(t, 'apk');
  put('/sbin/apk', `#!/bin/sh\nexec node ${ROOT}test/openwrt/apk.mjs "$@"\n`, 0o755);
  // The packages: r1 as make built it (unsigned, and signed with a key the router trusts), r2.
  const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const r1 = readFileSync(`${ROOT}dist/vpn-passthrough-${R1}.apk`);
  put('/tmp/vpn-passthrough-r1.apk', r1);
  put('/tmp/signed/vpn-passthrough-r1.apk', resign(r1, [key.privateKey]));
  put('/tmp/luci-app-vpn-passthrough-r1.apk', readFileSync(`${ROOT}dist/luci-app-vpn-passthrough-${R1}.apk`));
  const [german] = LANGUAGES;
  put(`/tmp/${german.pkg}-r1.apk`, readFileSync(`${ROOT}dist/${german.pkg}-${R1}.apk`));
  put('/tmp/vpn-passthrough-r2.apk', readFileSync(`${next}/out/vpn-passthrough-${R2}.apk`));
  t.equal(readApk(readFileSync(`${next}/out/vpn-passthrough-${R2}.apk`)).info.version, R2, `r2 is ${R2}`);

  const config = '/etc/config/vpn-passthrough';

  t.test('how apk runs a script: $0 is /proc/self/fd/N, $1 the version', async (t) => {
    const probe = mkpkg({
      info: { name: 'probe', version: '1-r1', arch: 'noarch' },
      scripts: { 'post-install': '#!/bin/sh\necho "$0 $1 $APK_SCRIPT $APK_PACKAGE" >/tmp/probe\n' },
    }).file;
    put('/tmp/probe.apk', probe);
    ok('apk add --allow-untrusted /tmp/probe.apk && apk del probe');
    t.match(read('/tmp/probe'), /^\/proc\/self\/fd\/\d+ 1-r1 post-install probe\n$/,
      "so OpenWrt's opkg-style `default_postinst $0 $@` would take the package name from the fd number");
  });

  t.test('unsigned: refused without --allow-untrusted', async (t) => {
    const r = root('apk add /tmp/vpn-passthrough-r1.apk');
    t.not(r.status, 0);
    t.match(r.stderr, /UNTRUSTED signature/);
    t.notOk(exists('/usr/sbin/vpn-passthrough'), 'nothing installed');
  });

  t.test('signed by a key in /etc/apk/keys: plain apk add', async (t) => {
    put('/etc/apk/keys/vpn-passthrough.pem', key.publicKey.export({ type: 'spki', format: 'pem' }));
    ok('apk add /tmp/signed/vpn-passthrough-r1.apk');
    t.equal(table().status, 0, 'post-install ran default_postinst for vpn-passthrough: the table is loaded');
    t.match(read('/etc/config/firewall'), /config include 'vpn_passthrough'/, 'uci-defaults ran (found through /lib/apk/packages/vpn-passthrough.list)');
    t.notOk(exists('/etc/uci-defaults/90_vpn-passthrough'), 'and was removed');
    t.ok(exists('/etc/rc.d/S20vpn-passthrough'), 'the init script is enabled');
    t.match(read('/lib/apk/packages/vpn-passthrough.list'), /^\/etc\/config\/vpn-passthrough\n/m);
    t.match(ok('vpn-passthrough status'), /table inet vpn_passthrough loaded/);
    ok('apk add --allow-untrusted /tmp/luci-app-vpn-passthrough-r1.apk');
    t.ok(exists('/www/luci-static/resources/view/vpn-passthrough/vpn-passthrough.js'), 'the LuCI page is in place');
    ok(`apk add --allow-untrusted /tmp/${german.pkg}-r1.apk`);
    t.ok(exists(`/usr/lib/lua/luci/i18n/vpn-passthrough.${german.code}.lmo`), `${german.pkg}: the catalog in place`);
    t.equal(ok(`uci get luci.languages.${german.code}`).trim(), german.title, `${german.pkg}: the language offered in LuCI`);
    t.notOk(exists(`/etc/uci-defaults/${german.pkg}`), `${german.pkg}: its uci-defaults script ran and is gone`);
  });

  t.test(`apk add r2: the admin's config kept, the new one as .apk-new`, async (t) => {
    ok("sed -i \"/config protocol 'l2tp'/,/mode/ s/'allow'/'block'/\" /etc/config/vpn-passthrough; /etc/init.d/vpn-passthrough reload");
    const mine = read(config);
    t.match(mine, /option mode 'block'/);
    const out = ok('apk add --allow-untrusted /tmp/vpn-passthrough-r2.apk');
    t.match(out, /Upgrading vpn-passthrough/);
    t.match(out, /Executing vpn-passthrough-[^ ]+\.post-upgrade/);
    t.equal(read(config), mine, 'the changed config is untouched');
    t.match(read(`${config}.apk-new`), /# r2\n$/, "r2's config next to it");
    t.equal(table().status, 0, 'the table is still loaded');
    t.match(table().stdout, /chain handle_l2tp \{[^}]*reject/, "from the admin's config");
    t.ok(exists('/etc/rc.d/S20vpn-passthrough'), 'still enabled');
    t.match(read('/etc/config/firewall'), /config include 'vpn_passthrough'/, 'the include is still registered');
    t.match(ok('apk info'), new RegExp(`vpn-passthrough-${R2}`));
  });

  t.test('apk del: no table, no include, the config kept', async (t) => {
    ok(`apk del ${german.pkg}`);
    t.notOk(exists(`/usr/lib/lua/luci/i18n/vpn-passthrough.${german.code}.lmo`), `${german.pkg}: its catalog removed`);
    ok('apk del luci-app-vpn-passthrough');
    ok('apk del vpn-passthrough');
    t.not(table().status, 0, 'the table is gone');
    t.notMatch(read('/etc/config/firewall'), /vpn_passthrough/, 'the include is gone');
    t.notOk(exists('/etc/rc.d/S20vpn-passthrough'), 'disabled');
    for (const f of ['/usr/sbin/vpn-passthrough', '/etc/init.d/vpn-passthrough', '/usr/share/vpn-passthrough/vpn-passthrough.js', '/lib/apk/packages/vpn-passthrough.list', '/www/luci-static/resources/view/vpn-passthrough/vpn-passthrough.js']) {
      t.notOk(exists(f), `${f} removed`);
    }
    t.match(read(config), /option mode 'block'/, "the admin's config is kept");
    t.notOk(exists(`${config}.apk-new`), '.apk-new removed with the package');
  });
});
