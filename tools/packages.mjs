// What each package holds, read from the feed Makefiles (openwrt/<package>/
// Makefile): the one description of every package, so the SDK route and the
// SDK-free .ipk and .apk routes cannot drift apart. Only the Makefile subset
// those files use is understood: `NAME:=value`, `define ... endef` blocks
// (nested ones too), $(NAME), $(subst from,to,text), the translation macro
// called once per language as its $(foreach) calls it, $(INSTALL_BIN|DATA|CONF)
// lines from the repository into $(1), whose source may end in a shell
// pattern with `*` (the bundle's chunks), and `echo "text" > $(1)/file`.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const MODES = { INSTALL_BIN: 0o755, INSTALL_DATA: 0o644, INSTALL_CONF: 0o600 };

/** The define blocks of a Makefile text, unexpanded; a nested define belongs to its outer block, as for make. */
function defines(text) {
  const found = {};
  let name = null;
  let depth = 0;
  let body = [];
  for (const line of text.split('\n')) {
    const open = /^\s*define\s+(\S+)\s*$/.exec(line);
    if (/^\s*endef\s*$/.test(line) && --depth === 0) {
      found[name] = body.join('\n');
      name = null;
    } else if (name !== null) body.push(line);
    if (open && depth++ === 0) [name, body] = [open[1], []];
  }
  return found;
}

/**
 * make's expansion of the references this subset knows: $$ is a literal $,
 * $(N) the macro's Nth argument, $(NAME) a variable, $(subst from,to,text);
 * anything else stays as written.
 */
function expander(vars) {
  const expand = (s, args = []) => {
    let out = '';
    for (let i = 0; i < s.length; i++) {
      if (s[i] !== '$') out += s[i];
      else if (s[i + 1] === '$') out += '$', i++;
      else if (s[i + 1] === '(') {
        let depth = 0;
        let j = i + 1;
        for (; j < s.length; j++) if (s[j] === '(') depth++; else if (s[j] === ')' && --depth === 0) break;
        const inner = expand(s.slice(i + 2, j), args);
        const subst = /^subst ([^,]*),([^,]*),([^]*)$/.exec(inner);
        if (/^\d+$/.test(inner) && Number(inner) <= args.length) out += args[Number(inner) - 1];
        else if (subst) out += subst[3].split(subst[1]).join(subst[2]);
        else if (inner in vars) out += expand(vars[inner]);
        else out += `$(${inner})`;
        i = j;
      } else out += s[i];
    }
    return out;
  };
  return expand;
}

function parseMakefile(text, vars) {
  const blocks = defines(text);
  const expand = expander(vars);
  return {
    vars,
    expand: (s) => expand(s),
    /** A define's text as package-pack.mk uses it ($$ read as $), or null. */
    define: (name) => (name in blocks ? blocks[name].replace(/\$\$/g, '$') : null),
    /** $(eval $(call NAME,args...)): the macro expanded with its arguments, parsed as Makefile text. */
    call: (name, ...args) => parseMakefile(expand(blocks[name], args), vars),
    /** The packages it defines (define Package/<name>). */
    packages: () => Object.keys(blocks).filter((b) => /^Package\/[^/]+$/.test(b)).map((b) => b.slice(8)),
  };
}

function readMakefile(path) {
  const text = readFileSync(path, 'utf8');
  const vars = {};
  for (const m of text.matchAll(/^([A-Za-z_][\w.]*):=(.*)$/gm)) vars[m[1]] = m[2].trim();
  // The Makefile's REPO is the repository seen from the SDK; here, the cwd.
  vars.REPO = '.';
  return parseMakefile(text, vars);
}

function field(block, name) {
  return new RegExp(`^\\s*${name}:=(.*)$`, 'm').exec(block)?.[1].trim();
}

/** What every package's control file takes from its Makefile (in openwrt/<dir>). */
function control(mk, dir, name) {
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
    source: `openwrt/${dir}`,
    // package-pack.mk's SourceName: the Makefile's PKG_NAME, for each package it builds.
    sourceName: mk.vars.PKG_NAME,
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

/** The bytes of a package's file: a file of the repository, or the text an `echo` writes. */
export function fileBytes(source) {
  return typeof source === 'string' ? readFileSync(source) : Buffer.from(source.text);
}

/** One package of a feed Makefile in openwrt/<dir>: control fields, scripts, files ([source, target, mode], by target). */
function readFrom(mk, dir, name) {
  const files = [];
  for (const line of (mk.define(`Package/${name}/install`) ?? '').split('\n')) {
    const echo = /^\s*echo "([^"]*)" > \$\(1\)(\S+)$/.exec(line);
    if (echo && /[$`\\]/.test(echo[1])) throw new Error(`openwrt/${dir}/Makefile: ${name}: the shell would expand ${echo[1]}`);
    // The shell writes it under umask 022.
    if (echo) files.push([{ text: `${echo[1]}\n` }, echo[2], 0o644]);
    const m = /\$\((INSTALL_BIN|INSTALL_DATA|INSTALL_CONF)\) (\S+) \$\(1\)(\S+)/.exec(line);
    if (!m) continue;
    const target = m[3].endsWith('/') ? m[3] : `${m[3]}/`;
    for (const source of expandPattern(mk.expand(m[2]).replace(/^\.\//, ''))) {
      files.push([source, `${target}${source.split('/').pop()}`, MODES[m[1]]]);
    }
  }
  files.sort((a, b) => (a[1] < b[1] ? -1 : 1));
  const scripts = {};
  for (const script of ['postinst', 'prerm']) {
    const text = mk.define(`Package/${name}/${script}`);
    if (text !== null) scripts[`${script}-pkg`] = text;
  }
  return { ...control(mk, dir, name), scripts, files };
}

export function readPackage(name) {
  return readFrom(readMakefile(`openwrt/${name}/Makefile`), name, name);
}

/**
 * The LuCI app's translation packages: its Translation macro called for each
 * of its LANGUAGES with LuCI's code for the language (LANG_ALIAS, else the
 * po/ directory's name) and the directory, as its $(foreach) calls it.
 */
export function readTranslations(dir = 'luci-app-vpn-passthrough') {
  const mk = readMakefile(`openwrt/${dir}/Makefile`);
  return mk.vars.LANGUAGES.split(/\s+/).map((po) => {
    const code = mk.vars[`LANG_ALIAS.${po}`] ?? po;
    const macro = mk.call('Translation', code, po);
    const [name] = macro.packages();
    return { ...readFrom(macro, dir, name), language: { po, code } };
  });
}

export const PACKAGES = [...['vpn-passthrough', 'luci-app-vpn-passthrough'].map(readPackage), ...readTranslations()];

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
    ...control(mk, 'quickjs', 'quickjs'),
    architecture: arch,
    depends: [],
    scripts: {},
    files: [[`build/cross/${arch}/qjs`, '/usr/bin/qjs', 0o755]],
  };
}
