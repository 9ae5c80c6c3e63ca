// `make feed`: the directory a router subscribes to. Built here unsigned
// and signed (an ECDSA and an RSA key for apk, a usign key for opkg); every
// index read back and resolved the way each package manager resolves it:
// opkg takes Filename relative to the src/gz URL and checks Size and
// SHA256sum (libopkg); apk takes a repository line ending in .adb as the
// index, fetches <dir>/${name}-${version}.apk and checks the package's ADB
// block against the index's SHA-256 (apk-tools 3.0.2 database.c
// add_repository_component, apk_repo_package_url; extract_v3.c).
// Signatures are checked by real programs where this machine has them:
// openssl for apk's (EVP_DigestVerify, SHA-512, as crypto_openssl.c),
// signify-openbsd for usign's when installed (the same format), and
// Node's Ed25519 otherwise.

import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { readApk, readIndex } from '../tools/apk-read.mjs';
import { BLOCK, SCHEMA, decompress, parseBlocks } from '../tools/apk-adb.mjs';
import { opkgIndex, usignGenerate } from '../tools/feed.mjs';
import { LANGUAGES } from './lib/i18n.ts';
import { ROOT } from './lib/paths.ts';

const makefile = readFileSync(`${ROOT}openwrt/vpn-passthrough/Makefile`, 'utf8');
const field = (name: string) => new RegExp(`^${name}:=(.*)$`, 'm').exec(makefile)![1];
const APK_VERSION = `${field('PKG_VERSION')}-r${field('PKG_RELEASE')}`;
const IPK_VERSION = `${field('PKG_VERSION')}-${field('PKG_RELEASE')}`;
const NAMES = ['luci-app-vpn-passthrough', ...LANGUAGES.map((l) => l.pkg), 'vpn-passthrough'];

const tmp = (what: string) => {
  const dir = mkdtempSync(`${tmpdir()}/feed-test-${what}-`);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};
const feed = (out: string, env: Record<string, string> = {}) =>
  execFileSync('node', ['tools/feed.mjs', out], { cwd: ROOT, env: { ...process.env, KEY_APK: '', KEY_USIGN: '', ...env }, encoding: 'utf8' });

/** Packages split into its stanzas, each a map of its fields (Description with its continuation lines). */
function stanzas(text: string) {
  return text.split('\n\n').filter((s) => s.trim()).map((s) => {
    const fields: Record<string, string> = {};
    let last = '';
    for (const line of s.split('\n')) {
      if (line.startsWith(' ')) fields[last] += `\n${line}`;
      else { const i = line.indexOf(': '); last = line.slice(0, i); fields[last] = line.slice(i + 2); }
    }
    return fields;
  });
}

t.test('an unsigned feed', async (t) => {
  const out = tmp('plain');
  feed(out);
  const files = readdirSync(out).sort();
  // The quickjs .ipk files go in too when `make cross` built them.
  const cross = readdirSync(`${ROOT}dist`).filter((f) => /^quickjs_.*\.ipk$/.test(f));
  t.same(files, [
    'Packages', 'Packages.gz', 'packages.adb', ...cross,
    ...NAMES.flatMap((name) => [`${name}-${APK_VERSION}.apk`, `${name}_${IPK_VERSION}_all.ipk`]),
  ].sort(), 'every package (the engine, the page, a translation per language) in both formats and both indexes; no signatures without keys');

  // opkg: Packages and Packages.gz.
  const packages = readFileSync(`${out}/Packages`, 'utf8');
  t.ok(gunzipSync(readFileSync(`${out}/Packages.gz`)).equals(Buffer.from(packages)), 'Packages.gz is Packages');
  const entries = stanzas(packages);
  t.same(entries.map((e) => e.Filename), files.filter((f) => f.endsWith('.ipk')), 'one entry per .ipk, sorted by file name');
  for (const e of entries) {
    const ipk = readFileSync(`${out}/${e.Filename}`);
    t.equal(Number(e.Size), ipk.length, `${e.Filename}: Size`);
    t.equal(e.SHA256sum, createHash('sha256').update(ipk).digest('hex'), `${e.Filename}: SHA256sum`);
    for (const dropped of ['Maintainer', 'LicenseFiles', 'Source', 'SourceName', 'SourceDateEpoch']) t.notOk(dropped in e, `${e.Filename}: no ${dropped} (dropped as OpenWrt's index does)`);
    if (e.Package === 'quickjs') continue;
    t.equal(e.Filename, `${e.Package}_${e.Version}_all.ipk`, `${e.Package}: Filename relative to the feed`);
    t.equal(e.Architecture, 'all');
  }
  t.equal(entries.find((e) => e.Package === 'vpn-passthrough')!.Depends, 'quickjs, nftables-json, kmod-nf-nathelper-extra, firewall4');
  t.match(packages, /^Package: [^]*\n\n$/, 'each entry ends in a blank line');

  // apk: packages.adb.
  const index = readIndex(readFileSync(`${out}/packages.adb`));
  t.equal(index.signatures, 0, 'unsigned: apk needs --allow-untrusted for it');
  t.equal(index.compression, 'deflate');
  t.same(index.packages.map((p) => p.name), NAMES, 'sorted by name');
  t.equal(index.pkgnameSpec, undefined, 'no pkgname-spec: apk fetches ${name}-${version}.apk next to the index');
  for (const p of index.packages) {
    // database.c: the URL base is the index URL without its last component; the file name from the default spec.
    const file = `${out}/${p.name}-${p.version}.apk`;
    t.ok(existsSync(file), `${p.name}: ${p.name}-${p.version}.apk is next to the index`);
    const bytes = readFileSync(file);
    const pkg = readApk(bytes);
    t.equal(p['file-size'], bytes.length, `${p.name}: file-size`);
    t.ok(p.hashes.equals(pkg.identity), `${p.name}: the SHA-256 of its ADB block, which apk checks on download`);
    t.equal(p.version, APK_VERSION);
    for (const k of ['description', 'arch', 'license', 'origin', 'installed-size'] as const) t.same(p[k], pkg.info[k], `${p.name}: ${k} as in the package`);
    t.same(p.depends, pkg.info.depends, `${p.name}: depends as in the package`);
  }

  t.test('reproducible', async (t) => {
    const again = tmp('again');
    feed(again);
    for (const f of readdirSync(out)) t.ok(readFileSync(`${again}/${f}`).equals(readFileSync(`${out}/${f}`)), f);
  });
});

t.test('a signed feed', async (t) => {
  const keys = tmp('keys');
  execFileSync('node', ['tools/feed.mjs', 'keys', keys], { cwd: ROOT });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(`${keys}/rsa.pem`, rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }));

  for (const [kind, apkKey] of [['ecdsa', `${keys}/apk-private.pem`], ['rsa', `${keys}/rsa.pem`]] as const) {
    t.test(`apk key: ${kind}`, async (t) => {
      const out = tmp(`signed-${kind}`);
      feed(out, { KEY_APK: apkKey, KEY_USIGN: `${keys}/usign.sec` });
      const pem = readdirSync(out).find((f) => f.endsWith('.pem'))!;
      t.ok(pem, `the public key for /etc/apk/keys/: ${pem}`);
      const pub = createPublicKey(readFileSync(`${out}/${pem}`));
      t.same(pub.export({ type: 'spki', format: 'der' }), createPublicKey(readFileSync(apkKey)).export({ type: 'spki', format: 'der' }), 'the public half of KEY_APK');

      const indexFile = readFileSync(`${out}/packages.adb`);
      const index = readIndex(indexFile, { trustedKeys: [pub] });
      t.equal(index.signatures, 1);
      t.equal(index.signedBy.length, 1, 'the index is signed by the key (apk update trusts it once the key is in /etc/apk/keys)');
      // openssl, as apk's crypto_openssl.c verifies: SHA-512 over schema, signature header and SHA-512 of the ADB block.
      const { adb, blocks } = parseBlocks(decompress(indexFile).bytes);
      const sig = blocks.find((b) => b.type === BLOCK.SIG)!.payload;
      const schema = Buffer.alloc(4);
      schema.writeUInt32LE(SCHEMA.INDEX);
      writeFileSync(`${out}/.msg`, Buffer.concat([schema, sig.subarray(0, 18), createHash('sha512').update(adb).digest()]));
      writeFileSync(`${out}/.sig`, sig.subarray(18));
      const r = spawnSync('openssl', ['dgst', '-sha512', '-verify', `${out}/${pem}`, '-signature', `${out}/.sig`, `${out}/.msg`], { encoding: 'utf8' });
      t.equal(r.stdout.trim(), 'Verified OK', 'openssl dgst -sha512 -verify: the index signature');
      for (const p of index.packages) {
        const pkg = readApk(readFileSync(`${out}/${p.name}-${p.version}.apk`), { trustedKeys: [pub] });
        t.equal(pkg.signedBy.length, 1, `${p.name}: signed too (plain apk add of the file trusts it)`);
        t.ok(p.hashes.equals(pkg.identity), `${p.name}: the index names the signed file's identity`);
        t.equal(p['file-size'], readFileSync(`${out}/${p.name}-${p.version}.apk`).length, `${p.name}: and its size`);
      }

      // usign: Packages.sig and the public key for /etc/opkg/keys/<fingerprint>.
      const sigText = readFileSync(`${out}/Packages.sig`, 'utf8');
      const pubFile = readdirSync(out).find((f) => /^[0-9a-f]{16}\.pub$/.test(f))!;
      const fp = pubFile.slice(0, 16);
      t.match(sigText, new RegExp(`^untrusted comment: signed by key ${fp}\n[A-Za-z0-9+/=]+\n$`), "usign's signature file");
      const sigRaw = Buffer.from(sigText.split('\n')[1], 'base64');
      const pubRaw = Buffer.from(readFileSync(`${out}/${pubFile}`, 'utf8').split('\n')[1], 'base64');
      t.equal(sigRaw.length, 2 + 8 + 64, 'struct sig: "Ed", fingerprint, signature');
      t.equal(pubRaw.length, 2 + 8 + 32, 'struct pubkey: "Ed", fingerprint, key');
      t.equal(sigRaw.subarray(2, 10).toString('hex'), fp, 'usign -V -P /etc/opkg/keys finds the key by this fingerprint');
      const ed = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), pubRaw.subarray(10)]), format: 'der', type: 'spki' });
      const packages = readFileSync(`${out}/Packages`);
      t.ok(verify(null, packages, ed, sigRaw.subarray(10)), 'Ed25519 over Packages');
      t.notOk(verify(null, Buffer.concat([packages, Buffer.from('\n')]), ed, sigRaw.subarray(10)), 'and over nothing else');
      if (spawnSync('signify-openbsd', ['-h']).error === undefined) {
        const v = spawnSync('signify-openbsd', ['-V', '-p', `${out}/${pubFile}`, '-m', `${out}/Packages`, '-x', `${out}/Packages.sig`], { encoding: 'utf8' });
        t.equal(v.status, 0, `signify-openbsd -V (usign's format): ${v.stdout}${v.stderr}`);
      }
    });
  }
});

t.test("usign's SHA-512 quirk: Packages padded as OpenWrt pads it", async (t) => {
  // (64 + size) % 128 in {110, 111} gets two more newlines.
  const ipk = readFileSync(`${ROOT}dist/vpn-passthrough_${IPK_VERSION}_all.ipk`);
  const seen = new Set<number>();
  for (let extra = 0; extra < 128; extra++) {
    const text = opkgIndex([{ name: `${'x'.repeat(extra + 1)}.ipk`, bytes: ipk }]);
    const padded = text.endsWith('\n\n\n\n');
    const raw = Buffer.byteLength(padded ? text.slice(0, -2) : text);
    seen.add((64 + raw) % 128);
    if (padded !== [110, 111].includes((64 + raw) % 128)) t.fail(`${raw} bytes: padded ${padded}`);
  }
  t.equal(seen.size, 128, 'all 128 length classes tried');
  t.pass('every length class');
  const u = usignGenerate();
  t.match(u.secret, /^untrusted comment: private key [0-9a-f]{16}\n/);
  t.equal(Buffer.from(u.secret.split('\n')[1], 'base64').length, 104, 'struct seckey: 104 bytes');
});
