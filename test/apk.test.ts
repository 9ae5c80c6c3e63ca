// The .apk files (APK v3, OpenWrt 25.12). apk-tools cannot run here, so the
// proof is twofold: our writer reproduces, byte for byte, packages that the
// real `apk mkpkg` of apk-tools 3.0.2 wrote from a known tree
// (../shared/reference/apk/, with its command line), with and without
// SOURCE_DATE_EPOCH; and a reader (tools/apk-read.mjs) walks every package
// `make` built: blocks, schema, sorted paths, sizes and SHA-256 against the
// data blocks, the unique id. Their content is checked against OpenWrt's
// include/package-pack.mk and the .ipk built from the same Makefile;
// signatures are checked by the openssl program (apk verifies through
// OpenSSL's EVP_DigestVerify with SHA-512, src/crypto_openssl.c).

import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { inflateRawSync } from 'node:zlib';
import { mkpkg } from '../tools/apk-mkpkg.mjs';
import { readApk } from '../tools/apk-read.mjs';
import { BLOCK, SCHEMA, block, decompress, keyId, parseBlocks, resign, versionCompare, versionValid, VERSION } from '../tools/apk-adb.mjs';
import { LANGUAGES } from './lib/i18n.ts';
import { bundleFiles, ROOT } from './lib/paths.ts';
import { untar } from './lib/tar.ts';

// A copy of ../shared/reference/apk/ (outputs of the real apk-tools), kept in the repository so a clone alone can run it.
const REF = `${ROOT}test/fixtures/apk-reference/`;
const makefile = readFileSync(`${ROOT}openwrt/vpn-passthrough/Makefile`, 'utf8');
const field = (name: string) => new RegExp(`^${name}:=(.*)$`, 'm').exec(makefile)![1];
const APK_VERSION = `${field('PKG_VERSION')}-r${field('PKG_RELEASE')}`;
const IPK_VERSION = `${field('PKG_VERSION')}-${field('PKG_RELEASE')}`;
const NAMES = ['vpn-passthrough', 'luci-app-vpn-passthrough', ...LANGUAGES.map((l) => l.pkg)];
// The feed directory a package's Makefile is in (the translations are built by the LuCI app's).
const SOURCE = (name: string) => (name.startsWith('luci-i18n-') ? 'luci-app-vpn-passthrough' : name);
const APK = (name: string) => `${ROOT}dist/${name}-${APK_VERSION}.apk`;

const tmp = (what: string) => {
  const dir = mkdtempSync(`${tmpdir()}/apk-test-${what}-`);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

t.test('the reference packages of apk mkpkg 3.0.2, byte for byte', async (t) => {
  const dir = tmp('ref');
  // As the reference README says: extracted keeping modes and mtimes.
  execFileSync('tar', ['-xzpf', `${REF}tree.tar.gz`, '-C', dir]);
  const info = {
    name: 'fixture', version: '2.3.4_rc1-r7', description: 'long description '.repeat(30),
    arch: 'noarch', license: 'MIT', origin: 'fixture', url: 'https://example.invalid', maintainer: 'me',
    depends: 'libc luci-base>=25.1 !opkg busybox~1.36', provides: 'fixture-any fixture-compat=2.3.4_rc1-r7',
  };
  const scripts = { 'post-install': readFileSync(`${REF}post-install`), 'pre-deinstall': readFileSync(`${REF}pre-deinstall`) };
  const build = (sourceDateEpoch: string | undefined, compressed: boolean) =>
    mkpkg({ info, scripts, files: `${dir}/tree`, sourceDateEpoch, compressed }).file;

  const epoch = build('1700000000', false);
  t.ok(epoch.equals(readFileSync(`${REF}fixture-epoch.uncompressed.apk`)), 'SOURCE_DATE_EPOCH=1700000000, --compression none: identical');
  const mtimes = build(undefined, false);
  t.ok(mtimes.equals(readFileSync(`${REF}fixture-mtimes.uncompressed.apk`)), 'SOURCE_DATE_EPOCH unset (files keep their mtimes): identical');
  t.ok(build('', false).equals(mtimes), 'an empty SOURCE_DATE_EPOCH counts as unset, as in apk_get_build_time');

  const compressed = build('1700000000', true);
  t.equal(compressed.subarray(0, 4).toString(), 'ADBd', 'default compression: "ADBd"');
  t.ok(inflateRawSync(compressed.subarray(4)).equals(epoch), '... then raw deflate of the uncompressed bytes');
  const reference = readFileSync(`${REF}fixture-epoch.apk`);
  t.ok(inflateRawSync(reference.subarray(4)).equals(epoch), "apk's own compressed file holds the same bytes");

  // The reader on apk's own file, against `apk adbdump`'s text of it.
  const dump = readFileSync(`${REF}fixture-epoch.adbdump.txt`, 'utf8');
  const pkg = readApk(reference);
  t.equal(pkg.compression, 'deflate');
  t.equal(pkg.info.hashes.toString('hex'), /hashes: (\w+)/.exec(dump)![1], 'unique id as adbdump shows it');
  t.equal(pkg.info['installed-size'], Number(/installed-size: (\d+)/.exec(dump)![1]));
  t.same(pkg.depends, ['busybox~1.36', 'libc', 'luci-base>=25.1', '!opkg'], 'dependencies sorted by name, as adbdump lists them');
  t.same(pkg.provides, ['fixture-any', 'fixture-compat=2.3.4_rc1-r7']);
  t.same(pkg.directories.map((d) => d.path), ['/', '/a', '/a-b', '/a/b', '/etc', '/etc/init.d', '/etc/secret', '/lib', '/lib/apk', '/lib/apk/packages', '/usr', '/usr/bin'],
    "every directory, the root first, sorted by whole path ('a-b' before 'a/b')");
  t.equal(pkg.directories.find((d) => d.path === '/etc/secret')!.mode, 0o700);
  const link = pkg.files.find((f) => f.path === '/usr/bin/tool-link')!;
  t.equal(link.type, 'symlink');
  t.equal(link.target!.toString(), '../bin/tool');
  t.equal(pkg.files.find((f) => f.path === '/a/b/big.bin')!.data!.length, 70000);
  t.equal(pkg.files.find((f) => f.path === '/etc/empty')!.size, 0, 'an empty file: no data block');
  t.equal(parseBlocks(epoch).blocks.filter((b) => b.type === BLOCK.DATA).length, Number(dump.match(/# data block/g)!.length));
});

t.test('versions and dependencies as apk parses them', async (t) => {
  t.ok(versionValid(APK_VERSION), `${APK_VERSION} is an apk version`);
  t.notOk(versionValid(IPK_VERSION), `${IPK_VERSION} (the opkg form) is not: apk rejects it`);
  t.equal(versionCompare('0.1.0-r2', '0.1.0-r1'), VERSION.GREATER, 'r2 upgrades r1');
  t.equal(versionCompare('0.1.1-r1', '0.1.0-r9'), VERSION.GREATER);
  t.equal(versionCompare('2.3.4_rc1-r7', '2.3.4-r1'), VERSION.LESS, '_rc before the release');
  t.throws(() => mkpkg({ info: { name: 'x', version: '0.1.0-1', arch: 'noarch' } }), /invalid version/, 'the writer refuses an opkg version');
});

t.test('every package make built, read back', async (t) => {
  const epochOf = (file: Buffer) => readApk(file).files[0].mtime;
  for (const name of NAMES) {
    t.test(name, async (t) => {
      t.ok(existsSync(APK(name)), `${APK(name)}: built by make`);
      const file = readFileSync(APK(name));
      const pkg = readApk(file); // throws on any broken block, value, order, size or hash
      t.equal(pkg.compression, 'deflate', 'compressed as apk mkpkg does by default');
      t.equal(pkg.info.name, name);
      t.equal(pkg.info.version, APK_VERSION);
      t.equal(pkg.info.arch, 'noarch', 'PKGARCH all: noarch');
      t.equal(pkg.info.license, 'GPL-2.0-only');
      t.equal(pkg.info.origin, `openwrt/${SOURCE(name)}`, 'origin: the feed directory of its Makefile');
      const maintainer = /^PKG_MAINTAINER:=(.*)$/m.exec(readFileSync(`${ROOT}openwrt/${SOURCE(name)}/Makefile`, 'utf8'))?.[1];
      t.ok(maintainer, 'the Makefile names a maintainer');
      t.equal(pkg.info.maintainer, maintainer, "PKG_MAINTAINER as the package's maintainer");
      t.same(pkg.provides, [`${name}-any`], "package-pack.mk's implicit <pkg>-any");
      t.equal(pkg.signatures, 0, 'unsigned (make feed signs when given a key)');

      // The same as the .ipk of the same Makefile: dependencies, files, modes, bytes.
      const outer = untar(readFileSync(`${ROOT}dist/${name}_${IPK_VERSION}_all.ipk`));
      const member = (n: string) => untar(outer.find((m) => m.name === n)!.data);
      const control = member('./control.tar.gz').find((m) => m.name === './control')!.data.toString();
      const ipkDepends = /^Depends: (.*)$/m.exec(control)![1].split(', ');
      t.same(pkg.depends, [...ipkDepends].sort(), 'depends: the .ipk\'s, in apk\'s order');
      const ipkFiles = member('./data.tar.gz').filter((m) => m.type === '0');
      const meta = `/lib/apk/packages/${name}.`;
      const own = pkg.files.filter((f) => !f.path.startsWith(meta));
      t.same(own.map((f) => [f.path, f.mode.toString(8)]), ipkFiles.map((m) => [m.name.slice(1), (m.mode & 0o777).toString(8)]), 'the .ipk\'s files and modes');
      for (const m of ipkFiles) t.ok(own.find((f) => f.path === m.name.slice(1))!.data!.equals(m.data), `${m.name.slice(1)}: same bytes`);
      t.ok(pkg.files.every((f) => f.user === 'root' && f.group === 'root') && pkg.directories.every((d) => d.user === 'root' && d.mode === 0o755), 'root:root, directories 0755');
      t.ok(pkg.files.every((f) => f.mtime === pkg.files[0].mtime), 'one mtime');

      // package-pack.mk's /lib/apk/packages files: base-files reads the .list to enable init scripts and run uci-defaults.
      const text = (suffix: string) => pkg.files.find((f) => f.path === `${meta}${suffix}`)?.data?.toString();
      t.equal(text('list'), own.map((f) => `${f.path}\n`).join(''), '<pkg>.list: every file, sorted');
      const conffiles = name === 'vpn-passthrough' ? ['/etc/config/vpn-passthrough'] : [];
      if (conffiles.length) {
        t.equal(text('conffiles'), conffiles.map((c) => `${c}\n`).join(''));
        const sha = createHash('sha256').update(readFileSync(`${ROOT}files/etc/config/vpn-passthrough`)).digest('hex');
        t.equal(text('conffiles_static'), `/etc/config/vpn-passthrough ${sha}\n`, '<pkg>.conffiles_static: path and SHA-256');
      } else {
        t.equal(text('conffiles'), undefined, 'no conffiles, no .conffiles');
      }

      // Scripts: pkgname exported before default_postinst / default_prerm (apk runs them as /proc/self/fd/N).
      const s = pkg.scripts;
      t.same(Object.keys(s).sort(), ['post-install', 'post-upgrade', 'pre-deinstall']);
      t.match(s['post-install'], new RegExp(`^#!/bin/sh\n(.*\n){2}\\. \\$\\{IPKG_INSTROOT\\}/lib/functions.sh\nexport root="\\$\\{IPKG_INSTROOT\\}"\nexport pkgname="${name}"\nadd_group_and_user\ndefault_postinst\n`));
      t.notMatch(s['post-install'], /\$0|\$@/, 'no $0: under apk it names /proc/self/fd/N');
      t.equal(s['post-upgrade'], `#!/bin/sh\nexport PKG_UPGRADE=1\n${s['post-install'].replace(/^#!.*\n/, '')}`, 'post-upgrade: PKG_UPGRADE=1, then post-install');
      t.match(s['pre-deinstall'], new RegExp(`export pkgname="${name}"\ndefault_prerm\n`));
      if (name.startsWith('luci-i18n-')) {
        t.match(s['post-install'], new RegExp(`default_postinst\n\t\\[ -n "\\$\\{IPKG_INSTROOT\\}" \\] \\|\\| \\{\n\t\t\\(\\. /etc/uci-defaults/${name}\\)`), "then luci.mk's postinst: the language offered");
      }
      if (name === 'vpn-passthrough') {
        t.match(s['post-install'], /default_postinst\n\[ -n "\$\{IPKG_INSTROOT\}" \] \|\| \/etc\/init.d\/rpcd reload/, 'then the package\'s own postinst');
        t.match(s['pre-deinstall'], /default_prerm\nif \[ -z "\$\{IPKG_INSTROOT\}" \]; then\n\tuci -q delete firewall.vpn_passthrough/);
      }
      for (const [type, script] of Object.entries(s)) {
        t.equal(spawnSync('sh', ['-n', '-c', script]).status, 0, `${type}: valid sh`);
      }
      t.ok(epochOf(file) > 0, 'mtime: SOURCE_DATE_EPOCH or the commit time');
    });
  }

  t.test('the same inputs give the same bytes, whatever the checkout', async (t) => {
    const epoch = String(epochOf(readFileSync(APK(NAMES[0]))));
    // A second checkout: the package inputs copied elsewhere, every file's mtime changed, another umask.
    const other = tmp('clone');
    for (const p of ['tools', 'openwrt', 'files', 'luci/root', 'dist/luci', ...bundleFiles().map((f) => `dist/${f}`)]) cpSync(`${ROOT}${p}`, `${other}/${p}`, { recursive: true });
    execFileSync('sh', ['-c', `find "${other}" -exec touch -d @1234567890 {} +`]);
    const builds = [];
    for (const [cwd, umask] of [[ROOT, '022'], [other, '077']]) {
      const out = tmp('out');
      execFileSync('sh', ['-c', `umask ${umask}; node tools/apk.mjs "${out}"`], { cwd, env: { ...process.env, SOURCE_DATE_EPOCH: epoch } });
      builds.push(out);
    }
    for (const name of NAMES) {
      const f = `${name}-${APK_VERSION}.apk`;
      t.ok(readFileSync(`${builds[0]}/${f}`).equals(readFileSync(`${builds[1]}/${f}`)), `${f}: identical from both checkouts`);
      t.ok(readFileSync(`${builds[0]}/${f}`).equals(readFileSync(APK(name))), `${f}: identical to make's`);
    }
  });
});

t.test('a broken package is refused by the reader', async (t) => {
  const good = decompress(readFileSync(APK('vpn-passthrough'))).bytes;
  const { blocks } = parseBlocks(good);
  const data = blocks.find((b) => b.type === BLOCK.DATA)!;
  const broken = (what: string, change: (b: Buffer) => Buffer, error: RegExp) => {
    t.throws(() => readApk(change(Buffer.from(good))), error, what);
  };
  broken('a changed byte of a file', (b) => { b[data.offset + 12] ^= 1; return b; }, /does not match its SHA-256/);
  broken('a changed byte of the ADB block', (b) => { b[blocks[0].offset + 64] ^= 0x40; return b; }, /./);
  broken('a data block missing', (b) => Buffer.concat([b.subarray(0, data.offset), b.subarray(data.offset + data.size)]), /data blocks for/);
  broken('cut short', (b) => b.subarray(0, b.length - 8), /runs past the end|data blocks for/);
  broken('padding not zero', (b) => { const last = blocks[blocks.length - 1]; if (last.size > last.payload.length + 4) b[last.offset + last.size - 1] = 1; else b[blocks[0].offset + blocks[0].size - 1] = 1; return b; }, /padding not zero|./);
  broken('a signature block after data', (b) => Buffer.concat([b, block(BLOCK.SIG, Buffer.alloc(20))]), /not allowed here/);
  broken('not a package', (b) => { b.writeUInt32LE(SCHEMA.INDEX, 4); return b; }, /not a package/);
});

t.test('signed packages: RSA and ECDSA keys, checked by openssl', async (t) => {
  const dir = tmp('sign');
  const unsigned = readFileSync(APK('vpn-passthrough'));
  for (const [type, keys] of [
    ['ecdsa prime256v1', generateKeyPairSync('ec', { namedCurve: 'prime256v1' })],
    ['rsa 2048', generateKeyPairSync('rsa', { modulusLength: 2048 })],
  ] as const) {
    const signed = resign(unsigned, [keys.privateKey]);
    const pkg = readApk(signed, { trustedKeys: [keys.publicKey] });
    t.equal(pkg.signatures, 1, `${type}: one signature block`);
    t.equal(pkg.signedBy.length, 1, `${type}: valid for its public key`);
    t.ok(pkg.identity.equals(readApk(unsigned).identity), `${type}: the identity (SHA-256 of the ADB block) is unchanged`);
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
    t.equal(readApk(signed, { trustedKeys: [other] }).signedBy.length, 0, `${type}: not valid for another key`);
    // The signed message as adb_digest_v0_signature builds it, verified by OpenSSL's own tool.
    const { adb, blocks } = parseBlocks(decompress(signed).bytes);
    const sig = blocks.find((b) => b.type === BLOCK.SIG)!.payload;
    t.equal(sig[0], 0, 'sign_ver 0');
    t.equal(sig[1], 4, 'hash_alg SHA-512');
    t.ok(sig.subarray(2, 18).equals(keyId(keys.publicKey)), 'key id: SHA-512 of the public key, first 16 bytes');
    const schema = Buffer.alloc(4);
    schema.writeUInt32LE(SCHEMA.PACKAGE);
    writeFileSync(`${dir}/msg`, Buffer.concat([schema, sig.subarray(0, 18), createHash('sha512').update(adb).digest()]));
    writeFileSync(`${dir}/sig`, sig.subarray(18));
    writeFileSync(`${dir}/pub.pem`, keys.publicKey.export({ type: 'spki', format: 'pem' }));
    const r = spawnSync('openssl', ['dgst', '-sha512', '-verify', `${dir}/pub.pem`, '-signature', `${dir}/sig`, `${dir}/msg`], { encoding: 'utf8' });
    t.equal(r.stdout.trim(), 'Verified OK', `${type}: openssl dgst -sha512 -verify`);
  }
  mkdirSync(`${dir}/x`);
  t.same(readdirSync(`${dir}/x`), []);
});
