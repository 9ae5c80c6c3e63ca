// tools/lmo.mjs, LuCI's translation catalogs without LuCI: a .po compiles to
// the bytes LuCI's po2lmo writes (reference files in test/fixtures/lmo, made
// by the real po2lmo), strings are found again the way LuCI's lmo.c looks
// them up (hash of the blank-collapsed msgid, binary search of the index),
// and the script LuCI serves the browser holds them under the keys its _()
// computes.

import t from 'tap';
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { canonHash, catalogScript, compilePo, readLmo, readPo } from '../tools/lmo.mjs';
import { ROOT } from './lib/paths.ts';

const FIXTURES = `${ROOT}test/fixtures/lmo`;
const fixture = (name: string) => readFileSync(`${FIXTURES}/${name}`);
const features = () => readLmo(compilePo(fixture('features.po'))!);

t.test("po2lmo's bytes for the same .po", async (t) => {
  for (const name of ['plain', 'features']) {
    t.same(compilePo(fixture(`${name}.po`), `${name}.po`), fixture(`${name}.lmo`), `${name}.po: the same bytes as po2lmo`);
  }
  t.equal(compilePo(fixture('none.po')), null, 'nothing translated: no file, as po2lmo writes none');
});

t.test('every string found again as LuCI looks it up', async (t) => {
  const lmo = features();
  t.equal(lmo.lookup('Save'), 'Сохранить');
  t.equal(lmo.lookup('Save', { context: 'button' }), 'Сохр.', 'a context is its own key');
  t.same([0, 1, 2].map((plural) => lmo.lookup('%d session', { plural })), ['%d сеанс', '%d сеанса', '%d сеансов'], 'each plural form');
  t.same([0, 1, 2].map((plural) => lmo.lookup('%d row', { context: 'table', plural })), ['%d строка', '%d строки', '%d строк'], 'plural forms in a context');
  t.equal(lmo.lookup('%d session'), null, 'a plural message has no plain form');
  t.equal(lmo.lookup('Say "hi" \\ then go'), 'Скажи "привет" \\ и иди', '\\" and \\\\ lose their backslash');
  t.equal(lmo.lookup('Line one\\nline two\\ttab'), 'Строка один\\nстрока два\\tтаб', 'other escapes stay as written');
  t.equal(lmo.lookup('A long message continued over three lines'), 'Длинное сообщение, на трёх строках', 'continued strings joined');
  t.equal(lmo.lookup('  A long message\n continued \tover three lines '), 'Длинное сообщение, на трёх строках', 'LuCI collapses and trims blanks before hashing');
  t.equal(lmo.lookup('Fuzzy but kept'), 'Неточно, но оставлено', 'po2lmo does not look at fuzzy flags');
  t.equal(lmo.lookup('Smile 😀'), 'Улыбка 😀');
  t.equal(lmo.lookup('ä'), '一');
  t.equal(lmo.lookup('abcä'), 'ab中');
  t.equal(lmo.lookup('aä'), 'bä');
  t.equal(lmo.lookup('IPsec'), null, 'a translation equal to its msgid is left out (LuCI shows the msgid)');
  t.equal(lmo.lookup('Untranslated'), null, 'an empty msgstr is left out');
  t.same([0, 1].map((plural) => lmo.lookup('Only the second form', { plural })), [null, null], 'a plural whose first form is empty is left out whole');
  t.equal(lmo.lookup('Obsolete'), null, 'obsolete entries are comments');
  t.equal(readLmo(compilePo('msgid "Trailing "\nmsgstr "x"\n')!).lookup('Trailing '), null,
    'po2lmo hashes a msgid as written, LuCI the blank-collapsed one: a msgid with outer or double blanks is never found');
  t.equal(lmo.lookup('Last, without a newline'), 'Последняя, без перевода строки');
  t.equal(lmo.pluralForms, 'nplurals=3; plural=n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2;',
    "the header's Plural-Forms under key 0");
  t.same(lmo.entries.map((e) => e.key), lmo.entries.map((e) => e.key).sort((a, b) => a - b), 'the index is sorted by key');
});

t.test('the binary search finds each of many strings', async (t) => {
  const ids = Array.from({ length: 700 }, (_, i) => `Message ${i} ${'x'.repeat((i % 7) + 1)}`);
  const po = ids.map((id, i) => `msgid "${id}"\nmsgstr "Nachricht ${i}"\n`).join('\n');
  const lmo = readLmo(compilePo(po)!);
  t.equal(lmo.entries.length, 700);
  t.same(ids.map((id) => lmo.lookup(id)), ids.map((_, i) => `Nachricht ${i}`), 'every one');
  t.equal(lmo.lookup('Message 700'), null, 'and nothing else');
});

t.test('the script LuCI serves the browser (admin/translations/<lang>)', async (t) => {
  const lmo = features();
  const script = catalogScript([lmo]).toString();
  t.match(script, /^window\.TR=\{("[0-9a-f]{8}":"(?:[^"\\]|\\.)*",)+\};$/, 'window.TR={"%08x":%J,...};');
  const window: { TR?: Record<string, string> } = {};
  runInNewContext(script, { window });
  const key = (msgid: string, context: string | null = null, plural = -1) => canonHash(msgid, context, plural).toString(16).padStart(8, '0');
  t.equal(window.TR![key('Save')], 'Сохранить');
  t.equal(window.TR![key('Save', 'button')], 'Сохр.');
  t.equal(window.TR![key('%d session', null, 2)], '%d сеансов');
  t.equal(window.TR![key('Say "hi" \\ then go')], 'Скажи "привет" \\ и иди');
  t.equal(window.TR!['00000000'], lmo.pluralForms, "N_() reads the plural formula from key 00000000");
  t.equal(Object.keys(window.TR!).length, lmo.entries.length, 'one key per entry');
});

t.test('what po2lmo would misread is refused, naming the line', async (t) => {
  t.throws(() => compilePo('msgid "a"\nmsgstr "b\n', 'x.po'), /x\.po:2: the string has no closing quote/);
  t.throws(() => compilePo(`msgid "a"\nmsgstr "${'b'.repeat(5000)}"\n`, 'x.po'), /x\.po:2: longer than the 4095 bytes po2lmo reads at once/);
  t.throws(() => compilePo(Buffer.from([0x6d, 0x73, 0x67, 0x69, 0x64, 0x20, 0x22, 0xff, 0x22, 0x0a]), 'x.po'), /x\.po: not UTF-8/);
  t.throws(() => compilePo('msgid "a"\nmsgstr "b"\n\nmsgid "a"\nmsgstr "c"\n', 'x.po'), /x\.po: the msgid at line 4 has the key \w+ of the msgid at line 1/);
  t.throws(() => compilePo('msgid "a"\nmsgid_plural "as"\nmsgstr[10] "b"\n', 'x.po'), /x\.po:3: msgstr\[N\] takes a form N from 0 to 9/);
  t.same(readPo('msgid "a"\nmsgstr "b"\n').map((m) => [m.id, m.values]), [['a', ['b']]], 'a well-formed one reads');
});
