// Builds luci-app-vpn-passthrough's view: luci/src/view.ts becomes
// dist/luci/htdocs/luci-static/resources/view/vpn-passthrough/vpn-passthrough.js
// in LuCI's view form. `--pot` also rewrites luci/po/templates/vpn-passthrough.pot
// from the view's _('...') strings, the menu titles and the ACL description.
//
// LuCI fetches a view, reads its leading 'use strict' and 'require <module>'
// strings, and runs the rest as the body of
// function(window, document, L, <modules>), whose return value is the view
// class. So each `import x from 'luci:<module>'` becomes a require line, the
// type imports vanish, and the closing `export default` becomes `return`.
// Pure code the view imports from src/core (the option schema and its
// parsers) is bundled in by esbuild; nothing else may be.

import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const SOURCE = 'luci/src/view.ts';
const MENU = 'luci/root/usr/share/luci/menu.d/luci-app-vpn-passthrough.json';
const ACL = 'luci/root/usr/share/rpcd/acl.d/luci-app-vpn-passthrough.json';
const POT = 'luci/po/templates/vpn-passthrough.pot';
export const VIEW = 'dist/luci/htdocs/luci-static/resources/view/vpn-passthrough/vpn-passthrough.js';

/** `'require form'`, or `'require tools.widgets as widgets'` where the local name differs from LuCI's default. */
function requireLine(local, module) {
  return local === module.replace(/[^a-zA-Z0-9_]/g, '_') ? `'require ${module}';` : `'require ${module} as ${local}';`;
}

/** Files a view may bundle: itself and the backend's pure core (no I/O). */
const BUNDLED = /^(luci\/src\/[\w.-]+\.ts|src\/core\/[\w.-]+\.ts)$/;

export async function buildView() {
  const result = await build({
    entryPoints: [root + SOURCE],
    absWorkingDir: root,
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    target: 'es2017',
    legalComments: 'none',
    external: ['luci:*'],
  });
  const outside = Object.keys(result.metafile.inputs).filter((f) => !BUNDLED.test(f));
  if (outside.length) throw new Error(`${SOURCE}: a view may bundle only src/core and luci/src, not ${outside.join(', ')}`);

  // esbuild writes `export default X` as `var view_default = X; export { view_default as default };`,
  // and each LuCI module as `import x from "luci:module";` (x renamed if a bundled name collides).
  const code = result.outputFiles[0].text;
  const requires = [];
  const body = code.replace(/^import (\w+) from "luci:([\w.-]+)";\n/gm, (_, local, module) => {
    requires.push(requireLine(local, module));
    return '';
  });
  const m = /\nvar (\w+) = (view\.extend\(\{[\s\S]*\}\);)\nexport \{\n {2}\1 as default\n\};\n$/.exec(body);
  if (!m || /\n\S/.test(m[2].slice(0, -3)) || /^(import|export)\b/m.test(body.slice(0, m.index))) {
    throw new Error(`${SOURCE}: expected \`export default view.extend({...});\` as the last statement, and no other import or export`);
  }
  return [
    "'use strict';",
    ...requires,
    '',
    `// Built by luci/build.mjs from ${SOURCE} and the src/core modules it imports: edit those, not this file.`,
    `${body.slice(0, m.index)}\nreturn ${m[2]}\n`,
  ].join('\n');
}

/** Every _('literal') of the source, with its line; a _() of anything else cannot be translated. */
export function messages(source, file) {
  const found = [];
  source.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(/\b_\((\s*)/g)) {
      const rest = line.slice(m.index + m[0].length);
      const lit = /^'((?:[^'\\]|\\.)*)'|^"((?:[^"\\]|\\.)*)"/.exec(rest);
      if (!lit) throw new Error(`${file}:${i + 1}: _() needs a string literal to be translatable`);
      const text = lit[1] !== undefined ? lit[1].replace(/\\'/g, "'").replace(/"/g, '\\"') : lit[2];
      found.push({ msgid: JSON.parse(`"${text}"`), ref: `${file}:${i + 1}` });
    }
  });
  return found;
}

export function pot(entries) {
  const refs = new Map();
  for (const e of entries) refs.set(e.msgid, [...(refs.get(e.msgid) ?? []), e.ref]);
  const quote = (s) => JSON.stringify(s);
  const out = ['msgid ""', 'msgstr "Content-Type: text/plain; charset=UTF-8"', ''];
  for (const msgid of [...refs.keys()].sort()) out.push(...refs.get(msgid).map((r) => `#: ${r}`), `msgid ${quote(msgid)}`, 'msgstr ""', '');
  return out.join('\n');
}

/** The menu's titles and the ACL's description, which LuCI shows translated (its build/i18n-scan.pl takes both). */
function jsonStrings() {
  const menu = JSON.parse(readFileSync(root + MENU, 'utf8'));
  const acl = JSON.parse(readFileSync(root + ACL, 'utf8'));
  return [
    ...Object.values(menu).map((node) => ({ msgid: node.title, ref: MENU })),
    ...Object.values(acl).map((group) => ({ msgid: group.description, ref: ACL })),
  ];
}

/** The po template of the view's strings, the menu titles and the ACL description, as `--pot` writes it. */
export function template() {
  return pot([...messages(readFileSync(root + SOURCE, 'utf8'), SOURCE), ...jsonStrings()]);
}

if (fileURLToPath(import.meta.url) === process.argv[1]) {
  const js = await buildView();
  mkdirSync(dirname(root + VIEW), { recursive: true });
  writeFileSync(root + VIEW, js);
  console.log(`${VIEW}: ${js.length} bytes`);
  if (process.argv.includes('--pot')) {
    writeFileSync(root + POT, template());
    console.log(`${POT} written`);
  }
}
