// What each .ipk holds, read from the feed Makefiles (openwrt/<package>/
// Makefile): the one description of both packages, so the SDK route and the
// SDK-free .ipk route cannot drift apart. Only the Makefile subset those
// files use is understood: `NAME:=value`, `define ... endef` blocks, and
// $(INSTALL_BIN|DATA|CONF) lines from the repository into $(1), whose
// source may end in a shell pattern with `*` (the bundle's chunks).

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const MODES = { INSTALL_BIN: 0o755, INSTALL_DATA: 0o644, INSTALL_CONF: 0o600 };

function readMakefile(path) {
  const text = readFileSync(path, 'utf8');
  const vars = {};
  for (const m of text.matchAll(/^([A-Z_]+):=(.*)$/gm)) vars[m[1]] = m[2].trim();
  // The Makefile's REPO is the repository seen from the SDK; here, the cwd.
  vars.REPO = '.';
  const expand = (s) =>
    s
      .replace(/\$\(subst ([^,]*),([^,]*),(\$\([A-Z_]+\))\)/g, (all, from, to, inner) => expand(inner).split(from).join(to))
      .replace(/\$\(([A-Z_]+)\)/g, (all, name) => (name in vars ? expand(vars[name]) : all));
  const define = (name) => {
    const m = new RegExp(`^define ${name.replace(/[/]/g, '\\/')}\\n([^]*?)^endef$`, 'm').exec(text);
    return m === null ? null : m[1].replace(/\$\$/g, '$');
  };
  return { vars, expand, define };
}

function field(block, name) {
  return new RegExp(`^\\s*${name}:=(.*)$`, 'm').exec(block)?.[1].trim();
}

/** What every package's control file takes from its Makefile. */
function control(mk, name) {
  const info = mk.define(`Package/${name}`);
  const description = mk.define(`Package/${name}/description`);
  const conffiles = mk.define(`Package/${name}/conffiles`);
  return {
    name,
    // As the SDK versions it: $(PKG_VERSION)-$(PKG_RELEASE) for opkg,
    // $(PKG_VERSION)-r$(PKG_RELEASE) for apk (which refuses 0.1.0-1).
    version: `${mk.expand(mk.vars.PKG_VERSION)}-${mk.vars.PKG_RELEASE}`,
    apkVersion: `${mk.expand(mk.vars.PKG_VERSION)}-r${mk.vars.PKG_RELEASE}`,
    license: mk.vars.PKG_LICENSE,
    licenseFiles: mk.vars.PKG_LICENSE_FILES,
    maintainer: mk.expand(field(info, 'MAINTAINER') ?? mk.vars.PKG_MAINTAINER ?? ''),
    url: mk.expand(field(info, 'URL') ?? ''),
    source: `openwrt/${name}`,
    section: field(info, 'SECTION'),
    title: field(info, 'TITLE'),
    depends: field(info, 'DEPENDS').split(/\s+/).map((d) => d.replace(/^\+/, '')),
    description: description.split('\n').map((l) => l.trim()).filter(Boolean),
    // apk's description: $(strip ...) of the define, one line.
    descriptionText: description.trim().split(/\s+/).join(' '),
    conffiles: (conffiles ?? '').split('\n').filter(Boolean),
    // The define as the SDK echoes it into the conffiles file (text and a newline).
    conffilesText: conffiles === null ? null : `${conffiles.replace(/\n$/, '')}\n`,
  };
}

/** The files a source names, as the shell expands it: `*` in the last part only; no match is an error, as for install(1). */
function expandPattern(source) {
  const slash = source.lastIndexOf('/');
  const name = source.slice(slash + 1);
  if (!name.includes('*')) return [source];
  const dir = source.slice(0, slash);
  const re = new RegExp(`^${name.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);
  const found = readdirSync(dir || '.').filter((f) => re.test(f)).sort();
  if (found.length === 0) throw new Error(`${source}: no such file`);
  return found.map((f) => `${dir}/${f}`);
}

export function readPackage(name) {
  const mk = readMakefile(`openwrt/${name}/Makefile`);
  const files = [];
  for (const line of (mk.define(`Package/${name}/install`) ?? '').split('\n')) {
    const m = /\$\((INSTALL_BIN|INSTALL_DATA|INSTALL_CONF)\) (\S+) \$\(1\)(\S+)/.exec(line);
    if (!m) continue;
    const dir = m[3].endsWith('/') ? m[3] : `${m[3]}/`;
    for (const source of expandPattern(mk.expand(m[2]).replace(/^\.\//, ''))) {
      files.push([source, `${dir}${source.split('/').pop()}`, MODES[m[1]]]);
    }
  }
  files.sort((a, b) => (a[1] < b[1] ? -1 : 1));
  const scripts = {};
  for (const script of ['postinst', 'prerm']) {
    const text = mk.define(`Package/${name}/${script}`);
    if (text !== null) scripts[`${script}-pkg`] = text;
  }
  return { ...control(mk, name), scripts, files };
}

export const PACKAGES = ['vpn-passthrough', 'luci-app-vpn-passthrough'].map(readPackage);

/**
 * The one time stamp of a build: SOURCE_DATE_EPOCH when set, else the time
 * of the last commit (as OpenWrt's build takes PKG_SOURCE_DATE_EPOCH from
 * it), so two clones of one commit build the same bytes; 0 outside git.
 */
export function sourceDateEpoch(env = process.env) {
  if (env.SOURCE_DATE_EPOCH !== undefined && env.SOURCE_DATE_EPOCH !== '') return String(env.SOURCE_DATE_EPOCH);
  try {
    return execFileSync('git', ['log', '-1', '--format=%ct'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || '0';
  } catch {
    return '0';
  }
}

/**
 * The quickjs package for one OpenWrt architecture, holding the static qjs
 * that `make cross` built (so no Depends: the feed Makefile's libatomic is
 * for its dynamic SDK build).
 */
export function readQuickjs(arch) {
  const mk = readMakefile('openwrt/quickjs/Makefile');
  return {
    ...control(mk, 'quickjs'),
    architecture: arch,
    depends: [],
    scripts: {},
    files: [[`build/cross/${arch}/qjs`, '/usr/bin/qjs', 0o755]],
  };
}
