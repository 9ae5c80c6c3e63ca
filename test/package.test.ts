// The .ipk files as opkg sees them, and the package's life on a router.
// Unpacked the way opkg unpacks them, their trees and control files are
// checked; built twice, they are byte-identical. Then they are installed
// into a scratch root (test/lib/scratch-root.ts): an overlay over this
// machine's / (so sh, tar, nft and python are there) with OpenWrt's parts
// that cannot run here replaced by stand-ins that follow their sources
// (test/openwrt: opkg, rc.common with procd's helpers, procd's service
// object behind ubus, the package-script part of /lib/functions.sh, uci,
// firewall4's init script with fw4), chrooted inside a network namespace
// whose nftables ruleset plays the router's. There: install (uci-defaults,
// enable, start, the one trigger), which changes re-apply the table and
// through whom, the init script's stop/start/reload, a firewall stop and
// start that the include survives, removal leaving no table and no include,
// and an install in the older default_postinst order.

import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { compilePo } from '../tools/lmo.mjs';
import { LANGUAGES, PO } from './lib/i18n.ts';
import { bundleFiles, ROOT } from './lib/paths.ts';
import { lockTarget } from './lib/lock.ts';
import { noScratchRoot, scratchRoot } from './lib/scratch-root.ts';
import { untar } from './lib/tar.ts';

const makefile = readFileSync(`${ROOT}openwrt/vpn-passthrough/Makefile`, 'utf8');
const field = (name: string) => new RegExp(`^${name}:=(.*)$`, 'm').exec(makefile)![1];
// As the SDK versions a package: PKG_VERSION-PKG_RELEASE.
const VERSION = `${field('PKG_VERSION')}-${field('PKG_RELEASE')}`;
const IPK = (name: string) => `${ROOT}dist/${name}_${VERSION}_all.ipk`;

function ipk(name: string) {
  const outer = untar(readFileSync(IPK(name)));
  const member = (n: string) => outer.find((m) => m.name === n)!.data;
  const control = untar(member('./control.tar.gz'));
  const data = untar(member('./data.tar.gz'));
  const text = (n: string) => control.find((m) => m.name === n)?.data.toString();
  return { outer, control, data, text };
}

t.test('the .ipk files, unpacked as opkg unpacks them', async (t) => {
  for (const name of ['vpn-passthrough', 'luci-app-vpn-passthrough']) {
    t.ok(existsSync(IPK(name)), `${name}: built by make`);
  }
  const core = ipk('vpn-passthrough');
  t.same(core.outer.map((m) => m.name), ['./debian-binary', './data.tar.gz', './control.tar.gz'], "ipkg-build's members and order");
  t.equal(core.outer[0].data.toString(), '2.0\n');
  t.match(core.text('./control'), new RegExp(
    `^Package: vpn-passthrough\nVersion: ${VERSION}\nDepends: quickjs, nftables-json, kmod-nf-nathelper-extra, firewall4\nSource: .+\n` +
    `SourceName: vpn-passthrough\nLicense: .+\nSection: net\nSourceDateEpoch: \\d+\nArchitecture: all\nInstalled-Size: \\d+\nDescription: .+\n( .+\n)+$`,
  ));
  t.equal(core.text('./conffiles'), '/etc/config/vpn-passthrough\n');
  const uciDefaults = core.data.find((m) => m.name === './etc/uci-defaults/90_vpn-passthrough')!.data.toString();
  t.match(uciDefaults, /\nexit 0\n$/, 'the uci-defaults script ends with exit 0: deleted once run, whatever its last command returned');
  t.match(core.text('./postinst'), /default_postinst \$0 \$@/, "OpenWrt's postinst: default_postinst");
  t.match(core.text('./prerm'), /default_prerm \$0 \$@/);
  const files = core.data.filter((m) => m.type === '0').map((m) => [m.name, (m.mode & 0o777).toString(8)]);
  t.same(files, [
    ['./etc/config/vpn-passthrough', '600'],
    ['./etc/init.d/vpn-passthrough', '755'],
    ['./etc/uci-defaults/90_vpn-passthrough', '755'],
    ['./usr/libexec/rpcd/vpn-passthrough', '755'],
    ['./usr/sbin/vpn-passthrough', '755'],
    ['./usr/share/vpn-passthrough/firewall.include', '644'],
    ...bundleFiles().map((f) => [`./usr/share/vpn-passthrough/${f}`, '644']),
  ]);
  t.ok(core.data.every((m) => m.uid === 0 && m.gid === 0), 'owned by root');
  t.ok(core.data.every((m) => m.mtime === core.data[0].mtime), 'one fixed mtime');
  const size = gunzipSync(core.outer.find((m) => m.name === './data.tar.gz')!.data).length;
  t.match(core.text('./control'), `Installed-Size: ${size}\n`, "Installed-Size as ipkg-build measures it: the uncompressed data archive");
  t.equal(field('PKG_VERSION'), JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')).version, 'the feed and package.json agree on the version');
  for (const f of bundleFiles()) {
    t.same(core.data.find((m) => m.name === `./usr/share/vpn-passthrough/${f}`)?.data, readFileSync(`${ROOT}dist/${f}`), `${f} as built`);
  }

  const luci = ipk('luci-app-vpn-passthrough');
  t.match(luci.text('./control'), /^Depends: vpn-passthrough, luci-base$/m);
  t.same(luci.data.filter((m) => m.type === '0').map((m) => m.name), [
    './usr/share/luci/menu.d/luci-app-vpn-passthrough.json',
    './usr/share/rpcd/acl.d/luci-app-vpn-passthrough.json',
    './www/luci-static/resources/view/vpn-passthrough/vpn-passthrough.js',
  ]);
});

// As luci.mk's LuciTranslation packages a language (openwrt/luci 51da4d1).
t.test('a translation per language, as luci.mk packages it', async (t) => {
  for (const l of LANGUAGES) {
    t.ok(existsSync(IPK(l.pkg)), `${l.pkg}: built by make`);
    const pkg = ipk(l.pkg);
    const control = pkg.text('./control')!;
    t.match(control, new RegExp(`^Package: ${l.pkg}\nVersion: ${VERSION}\nDepends: luci-app-vpn-passthrough\nSource: openwrt/luci-app-vpn-passthrough\nSourceName: luci-app-vpn-passthrough\n`),
      `${l.pkg}: needs the page, built from its Makefile`);
    t.match(control, `Description: luci-app-vpn-passthrough - ${l.code} translation\n Translation for luci-app-vpn-passthrough - ${l.title}\n`);
    const files = pkg.data.filter((m) => m.type === '0');
    t.same(files.map((m) => [m.name, (m.mode & 0o777).toString(8)]), [
      [`./etc/uci-defaults/luci-i18n-vpn-passthrough-${l.code}`, '644'],
      [`./usr/lib/lua/luci/i18n/vpn-passthrough.${l.code}.lmo`, '644'],
    ], `${l.pkg}: the catalog where LuCI loads *.${l.code}.lmo, and the script that offers the language`);
    t.same(files[1].data, compilePo(readFileSync(PO(l)))!, `${l.pkg}: the catalog compiled from luci/po/${l.po}`);
    t.equal(files[0].data.toString(), `uci set luci.languages.${l.code.replace(/-/g, '_')}='${l.title}'; uci commit luci\n`);
    t.match(pkg.text('./postinst-pkg'), new RegExp(`\\(\\. /etc/uci-defaults/luci-i18n-vpn-passthrough-${l.code}\\) && rm -f /etc/uci-defaults/luci-i18n-vpn-passthrough-${l.code}`),
      `${l.pkg}: its postinst runs the script, as luci.mk's does`);
  }
});

t.test('the same inputs give the same bytes', async (t) => {
  const a = mkdtempSync(`${tmpdir()}/ipk-a-`);
  const b = mkdtempSync(`${tmpdir()}/ipk-b-`);
  t.teardown(() => [a, b].forEach((d) => rmSync(d, { recursive: true, force: true })));
  for (const dir of [a, b]) execFileSync('node', [`${ROOT}tools/ipk.mjs`, dir], { cwd: ROOT });
  for (const f of readdirSync(a)) t.same(readFileSync(`${b}/${f}`), readFileSync(`${a}/${f}`), f);
  t.same(readFileSync(`${a}/vpn-passthrough_${VERSION}_all.ipk`), readFileSync(IPK('vpn-passthrough')), 'and the same as make built');
});

t.test('installed on a router: lifecycle', { skip: noScratchRoot }, async (t) => {
  const { ns, upper, put, read, exists, ok, table, triggers, event } = scratchRoot(t, 'pkg');
  put('/bin/opkg', readFileSync(`${ROOT}test/openwrt/opkg`), 0o755);
  for (const name of ['vpn-passthrough', 'luci-app-vpn-passthrough', ...LANGUAGES.map((l) => l.pkg)]) put(`/tmp/${name}.ipk`, readFileSync(IPK(name)));
  const firewall = () => read('/etc/config/firewall');

  t.test('opkg install: uci-defaults, enable, start', async (t) => {
    ok('opkg install /tmp/vpn-passthrough.ipk');
    t.equal(table().status, 0, 'the table is loaded');
    t.match(table().stdout, /ct helper pptp/);
    t.match(firewall(), /config include 'vpn_passthrough'\n\toption type 'script'\n\toption path '\/usr\/share\/vpn-passthrough\/firewall.include'\n\toption fw4_compatible '1'/, 'the firewall include is registered');
    t.notOk(exists('/etc/uci-defaults/90_vpn-passthrough'), 'the uci-defaults script ran and is gone');
    t.ok(exists('/etc/rc.d/S20vpn-passthrough'), 'enabled at boot');
    t.same(triggers('vpn-passthrough'), [
      ['config.change', ['if', ['eq', 'package', 'vpn-passthrough'], ['run_script', '/etc/init.d/vpn-passthrough', 'reload']], 1000],
    ], 'one trigger: a change of its own config (firewall4 re-applies the table on its own changes and on ifup)');
    t.match(ok('vpn-passthrough status'), /table inet vpn_passthrough loaded/);
    ok('opkg install /tmp/luci-app-vpn-passthrough.ipk');
    t.ok(exists('/www/luci-static/resources/view/vpn-passthrough/vpn-passthrough.js'), 'the LuCI view is in place');
    for (const l of LANGUAGES) {
      ok(`opkg install /tmp/${l.pkg}.ipk`);
      t.ok(exists(`/usr/lib/lua/luci/i18n/vpn-passthrough.${l.code}.lmo`), `${l.pkg}: the catalog is where LuCI loads *.${l.code}.lmo`);
      t.equal(ok(`uci get luci.languages.${l.code.replace(/-/g, '_')}`).trim(), l.title, `${l.pkg}: ${l.title} offered in LuCI's language list`);
      t.notOk(exists(`/etc/uci-defaults/${l.pkg}`), `${l.pkg}: its uci-defaults script ran and is gone`);
    }
  });

  // As fw4's run_includes runs a script include: sourced by sh, ACTION=includes.
  const fw4Include = () => ok("ACTION=includes sh -c '. /usr/share/vpn-passthrough/firewall.include'");

  t.test('each change is applied once: by our trigger or by firewall4, not both', async (t) => {
    ok('/etc/init.d/firewall start');
    t.equal(table().status, 0);
    t.same(event('config.change', { package: 'firewall' }), ['/etc/init.d/firewall reload'],
      'a firewall change: fw4 reloads and runs our include; no reload of ours on top');
    t.equal(table().status, 0, 'the include applied it');
    t.same(event('config.change', { package: 'vpn-passthrough' }), ['/etc/init.d/vpn-passthrough reload'], 'our own config: our reload only');
    t.same(event('interface.update', { interface: 'lan', action: 'ifup' }), [],
      "an interface event: nothing of ours (fw4's hotplug script reloads the firewall for interfaces in its zones, which runs the include)");
    t.notOk(exists('/tmp/fw4-called'), 'nothing called the fw4 CLI');
  });

  t.test('the init script: stop, start, reload after an edit', async (t) => {
    ok('/etc/init.d/vpn-passthrough stop');
    t.not(table().status, 0, 'stop removes the table');
    t.equal(triggers('vpn-passthrough'), undefined, 'procd forgets the service and its trigger');
    t.ok(exists('/etc/config/vpn-passthrough'), 'the config stays');
    ok('/etc/init.d/firewall reload');
    t.not(table().status, 0, 'a firewall reload does not undo the stop');
    t.same(event('config.change', { package: 'vpn-passthrough' }), [], 'a config change while stopped reloads nothing');
    ok('/etc/init.d/vpn-passthrough reload');
    t.not(table().status, 0, 'nor does a reload by hand: only start brings the table back');
    ok('/etc/init.d/vpn-passthrough start');
    t.equal(table().status, 0, 'start loads it');
    ok("sed -i \"/config protocol 'l2tp'/,/mode/ s/'allow'/'block'/\" /etc/config/vpn-passthrough");
    ok('/etc/init.d/vpn-passthrough reload');
    t.match(table().stdout, /chain handle_l2tp \{[^}]*reject with icmpx admin-prohibited/, 'reload applies the edited config');
  });

  t.test('a firewall stop removes every table; the next start brings ours back', async (t) => {
    ok('/etc/init.d/firewall stop');
    t.not(table().status, 0, 'gone after fw4 flush');
    ok('/etc/init.d/firewall start');
    t.equal(table().status, 0, 'the include re-applied it');
    t.match(table().stdout, /chain handle_l2tp \{[^}]*reject/, 'from the current config');
    ok('/etc/init.d/firewall restart');
    t.equal(table().status, 0, 'fw4 restart replaces only its own table');
    t.notOk(exists('/tmp/fw4-called'), 'the include never called the fw4 CLI (fw4 holds its lock)');
    // fw4 has flushed the ruleset while another apply holds the lock (a
    // live process named in it as a running apply names itself).
    ok('/etc/init.d/firewall stop');
    // It ends 1.5 s later (its lock then names a dead process; the files of
    // the scratch root can only be changed through its overlay).
    const lock = ns.start(['sleep', '1.5']);
    await new Promise((r) => setTimeout(r, 200));
    symlinkSync(lockTarget(lock.pid!), `${upper}/run/lock/vpn-passthrough.lock`);
    fw4Include();
    t.equal(table().status, 0, 'the include waited for that apply to end, then loaded the table');
    ok('/etc/init.d/vpn-passthrough disable');
    ok('/etc/init.d/firewall stop; /etc/init.d/firewall start');
    t.not(table().status, 0, 'a disabled service is not brought back by the firewall');
    ok('/etc/init.d/vpn-passthrough enable');
    fw4Include();
    t.equal(table().status, 0);
  });

  t.test('boot: firewall4 (S19) loads the table through our include, our start (S20) does not load it again', async (t) => {
    // An apply replaces every rule of the table: new rule handles.
    const rules = () => ns.run(['nft', '-a', 'list', 'chain', 'inet', 'vpn_passthrough', 'forward']).stdout;
    ok('/etc/init.d/firewall stop');
    ok('/etc/init.d/firewall boot');
    const loaded = rules();
    t.match(loaded, /goto from_lan # handle \d+/, "the firewall's include loaded it");
    ok('/etc/init.d/vpn-passthrough boot');
    t.equal(rules(), loaded, 'our boot left that table as it was');
    t.equal(triggers('vpn-passthrough')?.length, 1, 'and registered its trigger all the same');
    ok('/etc/init.d/vpn-passthrough reload');
    t.not(rules(), loaded, 'a reload still applies');
    ok('/etc/init.d/firewall stop');
    ok('/etc/init.d/vpn-passthrough boot');
    t.equal(table().status, 0, "without the firewall's table (firewall4 disabled, or its include failed), our boot loads it");
  });

  t.test('opkg remove: no table, no include, the config kept', async (t) => {
    for (const l of LANGUAGES) {
      ok(`opkg remove ${l.pkg}`);
      t.notOk(exists(`/usr/lib/lua/luci/i18n/vpn-passthrough.${l.code}.lmo`), `${l.pkg}: its catalog removed`);
    }
    ok('opkg remove luci-app-vpn-passthrough');
    // The admin took the include out already: removal must not depend on it.
    ok('uci -q delete firewall.vpn_passthrough; uci commit firewall');
    ok('opkg remove vpn-passthrough');
    t.not(table().status, 0, 'the table is gone');
    t.notMatch(firewall(), /vpn_passthrough/, 'the include is gone');
    t.match(firewall(), /config zone 'lan'/, 'the rest of the firewall config is untouched');
    t.notOk(exists('/etc/rc.d/S20vpn-passthrough'), 'disabled');
    t.equal(triggers('vpn-passthrough'), undefined, 'stopped: procd holds nothing of it');
    for (const f of ['/usr/sbin/vpn-passthrough', '/etc/init.d/vpn-passthrough', '/usr/share/vpn-passthrough/vpn-passthrough.js', '/www/luci-static/resources/view/vpn-passthrough/vpn-passthrough.js']) {
      t.notOk(exists(f), `${f} removed`);
    }
    t.match(read('/etc/config/vpn-passthrough'), /option mode 'block'/, 'the edited config is kept (a changed conffile)');
  });

  // default_postinst's order changed between releases: postinst-pkg used to
  // run before the uci-defaults scripts, now after them (and after `uci commit`).
  t.test("default_postinst's order, as the stand-in plays each release", async (t) => {
    put('/usr/lib/opkg/info/probe.list', '/etc/uci-defaults/99_probe\n');
    put('/usr/lib/opkg/info/probe.postinst-pkg', 'echo postinst-pkg >>/tmp/order\n');
    for (const [order, expected] of [['', ['uci-defaults', 'postinst-pkg']], ['postinst-first', ['postinst-pkg', 'uci-defaults']]] as const) {
      put('/etc/uci-defaults/99_probe', 'echo uci-defaults >>/tmp/order\nexit 0\n');
      rmSync(`${upper}/tmp/order`, { force: true });
      ok(`DEFAULT_POSTINST_ORDER=${order} sh -c '. /lib/functions.sh; default_postinst /usr/lib/opkg/info/probe.postinst'`);
      t.same(read('/tmp/order').trim().split('\n'), expected, order || 'current');
      t.notOk(exists('/etc/uci-defaults/99_probe'), 'the uci-defaults script is gone once it succeeded');
    }
  });

  t.test('installed again on a release that runs postinst-pkg before uci-defaults', async (t) => {
    ok('DEFAULT_POSTINST_ORDER=postinst-first opkg install /tmp/vpn-passthrough.ipk');
    t.equal(table().status, 0, 'the table is loaded');
    t.match(firewall(), /config include 'vpn_passthrough'/, 'the include is registered again');
    t.match(read('/etc/config/vpn-passthrough'), /option mode 'block'/, "the admin's config stays in place");
    t.ok(exists('/etc/config/vpn-passthrough-opkg'), "the package's own next to it, as opkg leaves it");
    ok('opkg remove vpn-passthrough');
    t.not(table().status, 0);
  });
});
