// The LuCI page's translations: the po template holds exactly the view's
// strings, as `make pot` writes it, each in a form LuCI can find; every
// language under luci/po/ is packaged under LuCI's name for it and
// translates every msgid of the template with the same placeholders, no
// guess left fuzzy; and its catalog, compiled as po2lmo compiles it, gives
// LuCI back each translation.

import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { compilePo, readLmo, readPo } from '../tools/lmo.mjs';
import { LANGUAGES, PO, POT } from './lib/i18n.ts';
import { ROOT } from './lib/paths.ts';

/** The template's msgids (the header left out). */
const templateIds = () => readPo(readFileSync(POT)).filter((m) => m.id !== null).map((m) => m.id!);

t.test('the template: what make pot writes, each msgid as LuCI looks it up', async (t) => {
  const written = execFileSync(process.execPath, ['--input-type=module', '-e',
    `import { template } from '${ROOT}luci/build.mjs'; process.stdout.write(template());`], { encoding: 'utf8' });
  t.equal(readFileSync(POT, 'utf8'), written, 'luci/po/templates/vpn-passthrough.pot is current (make pot rewrites it)');
  // LuCI hashes the msgid with its blanks collapsed and trimmed; po2lmo the msgid as written.
  const unreachable = templateIds().filter((id) => id !== id.trim().replace(/[ \t\n]+/g, ' ') || /\\[^"\\]/.test(id));
  t.same(unreachable, [], 'no msgid with outer or double blanks or an escape such as \\n: LuCI would never find its translation');
});

t.test("every language under luci/po/ is packaged, under luci.mk's names", async (t) => {
  const dirs = readdirSync(`${ROOT}luci/po`).filter((d) => d !== 'templates').sort();
  t.same(LANGUAGES.map((l) => l.po).sort(), dirs, "the LuCI app's LANGUAGES are the directories of luci/po/");
  // luci.mk: LUCI_LC_ALIAS names zh_Hans zh-cn; LUCI_LANG titles the languages.
  const known: Record<string, [code: string, title: string]> = {
    de: ['de', 'Deutsch (German)'],
    zh_Hans: ['zh-cn', '简体中文 (Chinese Simplified)'],
  };
  for (const l of LANGUAGES) t.same([l.code, l.title], known[l.po], `${l.po}: LuCI's code ${l.code}, shown as ${l.title}`);
});

for (const l of LANGUAGES) {
  t.test(`${l.po}: every msgid translated, as LuCI will show it`, async (t) => {
    const text = readFileSync(PO(l), 'utf8');
    t.match(text, /^"Content-Type: text\/plain; charset=UTF-8\\n"$/m, 'UTF-8');
    t.match(text, new RegExp(`^"Language: ${l.po}\\\\n"$`, 'm'), 'its Language');
    t.match(text, /^"Plural-Forms: nplurals=\d; plural=[^"]+;\\n"$/m, 'Plural-Forms (LuCI keeps it in the catalog for N_())');
    t.notMatch(text, /^#,.*\bfuzzy\b/m, 'no fuzzy entry: po2lmo would ship the guess as it is');

    const ids = templateIds();
    const strings = new Map(readPo(text).filter((m) => m.id !== null).map((m) => [m.id!, m.values[0] ?? '']));
    t.same(ids.filter((id) => !strings.get(id)), [], 'no msgid of the template left untranslated');
    t.same([...strings.keys()].filter((id) => !ids.includes(id)), [], 'no msgid the template lacks (make pot keeps those as #~)');

    // LuCI's String.prototype.format takes its arguments in order.
    const placeholders = (s: string) => (s.match(/%[-+ #0]*\d*(?:\.\d+)?[a-zA-Z%]/g) ?? []).join(' ');
    const changed = ids.filter((id) => strings.has(id) && placeholders(strings.get(id)!) !== placeholders(id));
    t.same(changed.map((id) => [id, strings.get(id)]), [], 'the same placeholders in the same order');
    t.same(ids.filter((id) => /<[a-z]/i.test(strings.get(id) ?? '')), [], 'no markup (the page sets most strings as text)');

    const lmo = readLmo(compilePo(readFileSync(PO(l)), PO(l))!);
    t.same(ids.map((id) => lmo.lookup(id) ?? id), ids.map((id) => strings.get(id) || id),
      'the compiled catalog gives LuCI every translation (one equal to its msgid is left out: LuCI shows the msgid)');
    t.equal(lmo.pluralForms, /^"Plural-Forms: ([^"]+)\\n"$/m.exec(text)![1]);
  });
}
