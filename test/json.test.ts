// Arguments over ubus are JSON exactly as RFC 8259 has it, whatever the
// QuickJS version: what 2021-03-27's JSON.parse lets through is refused.

import t from 'tap';
import { MAX_DEPTH, parseJson } from '../src/core/json.ts';

t.test('JSON is taken', async (t) => {
  const good = ['{}', '[]', ' {"a":[1,2,{"b":null}],"c":"x\\u0041\\n"} \n', '-0.5e+3', '"é ü"', 'true', '[[[]]]', '{"a":{}}', '0', '[1, 2 ,3 ]', '{"__proto__":{}}'];
  for (const text of good) t.same(parseJson(text), JSON.parse(text), text);
});

t.test('what is not JSON is refused, with where', async (t) => {
  const bad = ['"bl\\x6fck"', "\"\\'\"", '"\\v"', '-01', '1.', '{a:1}', "{'a':1}", '[1,]', '{"a":1,}', '', ' ', '01', '[1 2]', '{"a" 1}', '"\t"', 'nul', '{"a":1}}', '+1', '.5', 'NaN', '[', '{"a":', '"abc', '[1]x', '0x10', '1e', 'Infinity'];
  for (const text of bad) t.throws(() => parseJson(text), /at offset \d+$/, JSON.stringify(text));
  t.throws(() => parseJson('{"a":"\\x41"}'), /not a JSON value at offset 5/);
});

t.test('nesting is bounded, and checking is linear', async (t) => {
  t.throws(() => parseJson('['.repeat(MAX_DEPTH + 1) + ']'.repeat(MAX_DEPTH + 1)), /nesting deeper than 32/);
  t.same(parseJson('['.repeat(MAX_DEPTH) + ']'.repeat(MAX_DEPTH)), JSON.parse('['.repeat(MAX_DEPTH) + ']'.repeat(MAX_DEPTH)));
  // A million-element array goes through without recursion.
  const big = `[${Array.from({ length: 100000 }, (_, i) => `"10.0.${i >> 8 & 255}.${i & 255}"`).join(',')}]`;
  t.equal((parseJson(big) as string[]).length, 100000);
});

t.test('bytes: UTF-8 both ways, lone surrogates and invalid bytes named, not thrown', async (t) => {
  const { fromUtf8, readable, utf8Bytes } = await import('../src/core/bytes.ts');
  t.equal(utf8Bytes('é'), '\xc3\xa9');
  t.equal(utf8Bytes('a\ud800b'), 'a\xef\xbf\xbdb', 'a lone surrogate becomes U+FFFD');
  t.equal(utf8Bytes('\ud83d\ude00'), '\xf0\x9f\x98\x80', 'a pair is one character');
  t.equal(fromUtf8('\xc3\xa9'), 'é');
  t.equal(fromUtf8('\xb0'), null);
  t.equal(readable('20\xb0C\t'), '20\\xb0C\\x09');
});
