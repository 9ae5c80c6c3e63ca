// `make feed`: dist/feed/, a package feed routers can subscribe to, with
// both packages in both formats and the index each package manager reads.
//  - opkg (OpenWrt 22.03-24.10): Packages as OpenWrt's package/Makefile
//    `index` target writes it (scripts/ipkg-make-index.sh: each .ipk's
//    control with Filename, Size and SHA256sum before Description, a blank
//    line after each; then the fields Maintainer, LicenseFiles, Source,
//    SourceName, Require*, SourceDateEpoch dropped; two newlines added where
//    (64 + size) % 128 is 110 or 111, usign's SHA-512 quirk), Packages.gz
//    (gzip -9n), Packages.sig when a usign key is given (openwrt/usign
//    c4c72b1 main.c: Ed25519 over the file, "untrusted comment: signed by
//    key <fingerprint>"). The quickjs .ipk files of `make cross` go in too.
//  - apk (OpenWrt 25.12 and later): packages.adb as `apk mkndx` writes it
//    (alpinelinux/apk-tools v3.0.2 src/app_mkndx.c, as OpenWrt's
//    package/Makefile `mkndx` target runs it): each package's info copied
//    value by value, its file size and SHA-256 identity (of its ADB block)
//    added, the list sorted; signed with the given key, and so are the
//    packages (a SIG block after the ADB block: the identity is unchanged).
// Keys (optional): KEY_APK, an RSA or ECDSA private key in PEM (OpenWrt's
// builds use prime256v1); KEY_USIGN, a usign/signify secret key without a
// password. Their public halves are written next to the indexes. Without a
// key the feed is unsigned (README: why --allow-untrusted then).
// Usage: node tools/feed.mjs [OUTDIR]              (after make)
//        node tools/feed.mjs keys DIR               (new keys: apk-private.pem, usign.sec, ...)

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign as cryptoSign } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { AdbWriter, AdbView, NDX, PI, S, SCHEMA, adbFile, compress, copyValue, decompress, keyId, parseBlocks, resign } from './apk-adb.mjs';
import { PACKAGES } from './packages.mjs';

// ----------------------------------------------------------------- usign
const b64 = (b) => b.toString('base64');
const ED25519_PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');

/** A usign secret key file (struct seckey): fingerprint, the Ed25519 seed and public key. */
export function readUsignSecret(text) {
  const raw = Buffer.from(text.split('\n').slice(1).join(''), 'base64');
  if (raw.length !== 104 || raw.subarray(0, 2).toString() !== 'Ed') throw new Error('not a usign secret key');
  if (raw.readUInt32BE(4) !== 0) throw new Error('password-protected usign keys are not supported (usign refuses them too)');
  const seckey = raw.subarray(40, 104);
  return { fingerprint: raw.subarray(32, 40), seed: seckey.subarray(0, 32), pub: seckey.subarray(32, 64) };
}

const fpHex = (fp) => fp.toString('hex');

/** usign -S: the .sig file for a message. */
export function usignSign(message, secretText) {
  const { fingerprint, seed } = readUsignSecret(secretText);
  const key = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8, seed]), format: 'der', type: 'pkcs8' });
  const sig = cryptoSign(null, message, key);
  return `untrusted comment: signed by key ${fpHex(fingerprint)}\n${b64(Buffer.concat([Buffer.from('Ed'), fingerprint, sig]))}\n`;
}

/** The public key file usign -G writes next to a secret key (for /etc/opkg/keys/<fingerprint>). */
export function usignPublic(secretText) {
  const { fingerprint, seed } = readUsignSecret(secretText);
  const key = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8, seed]), format: 'der', type: 'pkcs8' });
  const pub = Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x, 'base64url');
  return { fingerprint: fpHex(fingerprint), text: `untrusted comment: public key ${fpHex(fingerprint)}\n${b64(Buffer.concat([Buffer.from('Ed'), fingerprint, pub]))}\n` };
}

/** usign -G: a new key pair without a password (kdfalg "BK", 0 rounds). */
export function usignGenerate() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(16);
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url');
  const fingerprint = randomBytes(8);
  const seckey = Buffer.concat([seed, pub]);
  const head = Buffer.alloc(8);
  head.write('EdBK', 0, 'latin1');
  const raw = Buffer.concat([head, randomBytes(16), createHash('sha512').update(seckey).digest().subarray(0, 8), fingerprint, seckey]);
  const secret = `untrusted comment: private key ${fpHex(fingerprint)}\n${b64(raw)}\n`;
  return { secret, public: usignPublic(secret) };
}

// ------------------------------------------------------------------ opkg
/** The ./control file of an .ipk (a gzip'd tar of gzip'd tars). */
export function ipkControl(ipk) {
  const member = (tarball, name) => {
    const tar = gunzipSync(tarball);
    for (let pos = 0; pos + 512 <= tar.length;) {
      const header = tar.subarray(pos, pos + 512);
      if (header.every((b) => b === 0)) break;
      const entry = header.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '');
      const size = parseInt(header.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
      if (entry === name) return tar.subarray(pos + 512, pos + 512 + size);
      pos += 512 + Math.ceil(size / 512) * 512;
    }
    throw new Error(`${name} not found`);
  };
  return member(member(ipk, './control.tar.gz'), './control').toString('utf8');
}

/** Packages as ipkg-make-index.sh and package/Makefile's index target write it. */
export function opkgIndex(ipks) {
  let manifest = '';
  for (const { name, bytes } of [...ipks].sort((a, b) => (`./${a.name}` < `./${b.name}` ? -1 : 1))) {
    const sha = createHash('sha256').update(bytes).digest('hex');
    manifest += ipkControl(bytes).replace(/^Description:/m, `Filename: ${name}\nSize: ${bytes.length}\nSHA256sum: ${sha}\nDescription:`);
    manifest += '\n';
  }
  if (!ipks.length) manifest += '\n';
  let packages = manifest.split('\n').filter((l) => !/^(Maintainer|LicenseFiles|Source|SourceName|Require|SourceDateEpoch)/.test(l)).join('\n');
  if ([110, 111].includes((64 + Buffer.byteLength(packages)) % 128)) packages += '\n\n';
  return packages;
}

// ------------------------------------------------------------------- apk
/** packages.adb as `apk mkndx` writes it, for packages given as { name, bytes } (in command-line order). */
export function apkIndex(apks, { signKeys = [], description } = {}) {
  const db = new AdbWriter(SCHEMA.INDEX);
  const pkgs = [];
  for (const { bytes } of apks) {
    const parsed = parseBlocks(decompress(bytes).bytes);
    if (parsed.schema !== SCHEMA.PACKAGE) throw new Error('not a package');
    const src = new AdbView(parsed.adb);
    const pkginfo = src.slots(src.slots(src.root())[1]);
    // adb_wo_copyobj, then file-size and the identity (apk_extract_generate_identity, SHA-256).
    const slots = [0];
    for (let i = 1; i < pkginfo[0]; i++) slots[i] = copyValue(db, src, pkginfo[i]);
    slots[PI.FILE_SIZE] = db.int(bytes.length);
    slots[PI.HASHES] = db.blob(createHash('sha256').update(parsed.adb).digest());
    pkgs.push(db.obj(slots));
  }
  const ndx = [0];
  ndx[NDX.DESCRIPTION] = description ? db.blob(description) : 0;
  ndx[NDX.PACKAGES] = db.array(S.pkginfoArray, pkgs);
  db.setRoot(db.obj(ndx));
  return compress(adbFile(SCHEMA.INDEX, db.bytes(), signKeys));
}

/** The PEM public key for /etc/apk/keys/. */
export function apkPublicPem(privateKey) {
  return createPublicKey(privateKey).export({ type: 'spki', format: 'pem' });
}

// ------------------------------------------------------------------ feed
export function buildFeed({ dist = 'dist', out = `${dist}/feed`, keyApk, keyUsign } = {}) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const apkKey = keyApk ? createPrivateKey(readFileSync(keyApk)) : null;
  const usignKey = keyUsign ? readFileSync(keyUsign, 'utf8') : null;
  const written = [];
  const put = (name, bytes) => { writeFileSync(`${out}/${name}`, bytes); written.push(name); };

  const ipkNames = PACKAGES.map((p) => `${p.name}_${p.version}_${p.architecture ?? 'all'}.ipk`);
  // The quickjs builds of `make cross`, for releases without a quickjs package.
  for (const f of readdirSync(dist).sort()) if (/^quickjs_.*\.ipk$/.test(f)) ipkNames.push(f);
  const ipks = ipkNames.map((name) => {
    if (!existsSync(`${dist}/${name}`)) throw new Error(`${dist}/${name} is missing: run make first`);
    return { name, bytes: readFileSync(`${dist}/${name}`) };
  });
  for (const { name, bytes } of ipks) put(name, bytes);
  const packages = opkgIndex(ipks);
  put('Packages', packages);
  put('Packages.gz', gzipSync(packages, { level: 9 }));
  if (usignKey) {
    put('Packages.sig', usignSign(Buffer.from(packages), usignKey));
    const pub = usignPublic(usignKey);
    put(`${pub.fingerprint}.pub`, pub.text);
  }

  const apks = PACKAGES.map((p) => {
    const name = `${p.name}-${p.apkVersion}.apk`;
    if (!existsSync(`${dist}/${name}`)) throw new Error(`${dist}/${name} is missing: run make first`);
    const bytes = readFileSync(`${dist}/${name}`);
    return { name, bytes: apkKey ? resign(bytes, [apkKey]) : bytes };
  }).sort((a, b) => (a.name < b.name ? -1 : 1)); // as the shell expands *.apk
  for (const { name, bytes } of apks) put(name, bytes);
  put('packages.adb', apkIndex(apks, { signKeys: apkKey ? [apkKey] : [] }));
  if (apkKey) put(`vpn-passthrough-${keyId(apkKey).subarray(0, 4).toString('hex')}.pem`, apkPublicPem(apkKey));
  return written;
}

function newKeys(dir) {
  mkdirSync(dir, { recursive: true });
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  writeFileSync(`${dir}/apk-private.pem`, ec.privateKey.export({ type: 'sec1', format: 'pem' }), { mode: 0o600 });
  writeFileSync(`${dir}/apk-public.pem`, ec.publicKey.export({ type: 'spki', format: 'pem' }));
  const u = usignGenerate();
  writeFileSync(`${dir}/usign.sec`, u.secret, { mode: 0o600 });
  writeFileSync(`${dir}/usign.pub`, u.public.text);
  return [`${dir}/apk-private.pem`, `${dir}/apk-public.pem`, `${dir}/usign.sec`, `${dir}/usign.pub`];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [first, second] = process.argv.slice(2);
  if (first === 'keys') {
    for (const f of newKeys(second ?? 'keys')) console.log(f);
  } else {
    const out = first ?? 'dist/feed';
    const files = buildFeed({ out, keyApk: process.env.KEY_APK || undefined, keyUsign: process.env.KEY_USIGN || undefined });
    console.log(`${out}/: ${files.join(' ')}`);
  }
}
