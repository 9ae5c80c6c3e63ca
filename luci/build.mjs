// Builds luci-app-vpn-passthrough's view: luci/src/view.ts becomes
// dist/luci/htdocs/luci-static/resources/view/vpn-passthrough/vpn-passthrough.js
// in LuCI's view form. `--pot` also rewrites luci/po/templates/vpn-passthrough.pot
// from the view's _('...') strings and the menu titles.
//
// LuCI fetches a view, reads its leading 'use strict' and 'require <module>'
// strings, and runs the rest as the body of
// function(window, document, L, <modules>), whose return value is the view
// class. So each `import x from 'luci:<module>'` becomes a require line, the
// type imports vanish, and the closing `export default` becomes `return`.

import { transform } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const SOURCE = 'luci/src/view.ts';
const MENU = 'luci/root/usr/share/luci/menu.d/luci-app-vpn-passthrough.json';
const POT = 'luci/po/templates/vpn-passthrough.pot';
export const VIEW = 'dist/luci/htdocs/luci-static/resources/view/vpn-passthrough/vpn-passthrough.js';

/** `'require form'`, or `'require tools.widgets as widgets'` where the local name differs from LuCI's default. */
function requireLine(local, module) {
  return local === module.replace(/[^a-zA-Z0-9_]/g, '_') ? `'require ${module}';` : `'require ${module} as ${local}';`;
}

export async function buildView(source = readFileSync(root + SOURCE, 'utf8')) {
  const requires = [];
  for (const line of source.split('\n').filter((l) => /^import\s/.test(l))) {
    const m = /^import (\w+) from '(?:luci:)([\w.-]+)';$/.exec(line);
    if (m) requires.push(requireLine(m[1], m[2]));
    else if (!/^import type /.test(line)) throw new Error(`${SOURCE}: a view can import LuCI modules ('luci:x') and types only: ${line}`);
  }

  const { code } = await transform(source, {
    loader: 'ts',
    format: 'esm',
    target: 'es2017',
    sourcefile: SOURCE,
    legalComments: 'none',
  });
  // esbuild writes `export default X` as `var stdin_default = X; export { stdin_default as default };`.
  const body = code.replace(/^import \w+ from "luci:[\w.-]+";\n/gm, '');
  const m = /\nvar (\w+) = (view\.extend\(\{[\s\S]*\}\);)\nexport \{\n {2}\1 as default\n\};\n$/.exec(body);
  if (!m || /\n\S/.test(m[2].slice(0, -3)) || /^(import|export) /m.test(body.slice(0, m.index))) {
    throw new Error(`${SOURCE}: expected \`export default view.extend({...});\` as the last statement, and no other import or export`);
  }
  return [
    "'use strict';",
    ...requires,
    '',
    `// Built by luci/build.mjs from ${SOURCE}: edit that file, not this one.`,
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

function menuTitles() {
  const menu = JSON.parse(readFileSync(root + MENU, 'utf8'));
  return Object.values(menu).map((node) => ({ msgid: node.title, ref: MENU }));
}

if (fileURLToPath(import.meta.url) === process.argv[1]) {
  const source = readFileSync(root + SOURCE, 'utf8');
  const js = await buildView(source);
  mkdirSync(dirname(root + VIEW), { recursive: true });
  writeFileSync(root + VIEW, js);
  console.log(`${VIEW}: ${js.length} bytes`);
  if (process.argv.includes('--pot')) {
    writeFileSync(root + POT, pot([...messages(source, SOURCE), ...menuTitles()]));
    console.log(`${POT} written`);
  }
}
