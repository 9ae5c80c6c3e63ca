// The UCI file format: what libuci accepts reads the same here, errors carry
// file:line, and edits leave every other line (comments too) untouched.

import t from 'tap';
import { editUci, parseUci, UciSyntaxError } from '../src/core/uci.ts';

const FILE = '/etc/config/vpn-passthrough';

t.test('reads sections, options, lists, quotes and comments', async (t) => {
  const doc = parseUci(
    [
      '# managed by LuCI',
      "config global 'global'",
      "\toption enabled '1'   # trailing comment",
      '\tlist lan_zone lan',
      '\tlist lan_zone "guest zone"',
      '\toption log_limit 10/minute',
      '',
      'config protocol pptp',
      "\toption mode 'al'\"low\"",
      'config protocol',
      "\toption note 'it'\\''s'",
    ].join('\n'),
    FILE,
  );
  t.equal(doc.sections.length, 3);
  const [g, pptp, anon] = doc.sections;
  t.same(g.options.map((o) => [o.name, o.values, o.isList, o.line]), [
    ['enabled', ['1'], false, 3],
    ['lan_zone', ['lan', 'guest zone'], true, 4],
    ['log_limit', ['10/minute'], false, 6],
  ]);
  t.equal(pptp.name, 'pptp');
  t.same(pptp.options[0].values, ['allow'], 'adjacent quoted parts join');
  t.equal(anon.name, undefined);
  t.equal(anon.index, 1, 'anonymous sections are numbered per type, as @protocol[1]');
  t.same(anon.options[0].values, ["it's"], 'shell-style quote escaping');
});

t.test('a later option replaces an earlier one, lists accumulate', async (t) => {
  const doc = parseUci("config a 'x'\n\toption o '1'\n\toption o '2'\n\tlist l a\n\tlist l b\n", FILE);
  t.same(doc.sections[0].options.map((o) => o.values), [['2'], ['a', 'b']]);
});

// libuci (openwrt/uci file.c, uci_parse_config) looks a named section up
// before creating it: declared again with the same type, the later options
// are set on the first (uci_set replaces, uci_add_list appends); with
// another type its default strict mode fails the load.
t.test('a named section declared again continues the first, as in libuci', async (t) => {
  const text = [
    "config protocol 'pptp'",
    "\toption mode 'allow'",
    "\tlist client '10.0.0.1'",
    "config protocol 'l2tp'",
    "\toption mode 'allow'",
    '',
    "config protocol 'pptp'",
    "\toption mode 'block'",
    "\tlist client '10.0.0.2'",
    "\toption family 'ipv4'",
    '',
  ].join('\n');
  const doc = parseUci(text, FILE);
  t.same(doc.sections.map((s) => [s.name, s.index, s.line]), [['pptp', 0, 1], ['l2tp', 1, 4]], 'one pptp section, where it was first declared');
  t.same(doc.sections[0].options.map((o) => [o.name, o.values, o.line]), [
    ['mode', ['block'], 8],
    ['client', ['10.0.0.1', '10.0.0.2'], 3],
    ['family', ['ipv4'], 10],
  ], 'the later option wins, the list goes on, a new option joins; errors still point at their lines');
  t.equal(
    editUci(doc, [{ section: 'pptp', type: 'protocol', option: 'mode', value: 'allow' }]),
    text.replace("\toption mode 'block'\n", ''),
    'an edit leaves one value: at its first line, the later one removed',
  );
  t.equal(
    editUci(doc, [{ section: 'pptp', type: 'protocol', option: 'server', value: ['203.0.113.7'] }]),
    text.replace("\toption family 'ipv4'\n", "\toption family 'ipv4'\n\tlist server '203.0.113.7'\n"),
    'a new option goes after the last part of the section',
  );
  t.equal(parseUci("config protocol 'gre'\nconfig protocol 'gre'\n\toption mode 'block'\n", FILE).sections[0].lastLine, 3);
});

t.test('syntax errors name file and line', async (t) => {
  const cases: [string, number, RegExp][] = [
    ["config protocol 'pptp'\n\toption mode 'allow", 2, /unterminated single quote/],
    ["\toption mode 'allow'", 1, /before any "config"/],
    ["config protocol 'pptp'\n\toption mode allow block", 2, /one value/],
    ["config protocol 'pp-tp'", 1, /invalid section name/],
    ["config protocol 'pptp'\nconfig global 'pptp'", 2, /"pptp" is a "protocol" on line 1; a section of another type/],
    ["config protocol 'pptp'\n\tsetting mode 'allow'", 2, /unknown keyword "setting"/],
  ];
  for (const [text, line, why] of cases) {
    const error = t.throws(() => parseUci(text, FILE)) as unknown as UciSyntaxError;
    t.equal(error.line, line, `line of: ${why}`);
    t.match(error.message, new RegExp(`^${FILE}:${line}: .*${why.source}`));
  }
});

t.test('edits keep comments and untouched lines', async (t) => {
  const text = "# my router\nconfig protocol 'pptp'\n\t# keep me\n\toption mode 'allow'\n\nconfig protocol 'gre'\n";
  const doc = parseUci(text, FILE);
  t.equal(
    editUci(doc, [{ section: 'pptp', type: 'protocol', option: 'mode', value: 'block' }]),
    "# my router\nconfig protocol 'pptp'\n\t# keep me\n\toption mode 'block'\n\nconfig protocol 'gre'\n",
    'an option is changed in place',
  );
  const twins = parseUci("config protocol 'pptp'\n\toption mode 'allow'\nconfig protocol 'l2tp'\n\toption mode 'allow'\n", FILE);
  t.equal(
    editUci(twins, [{ section: 'l2tp', type: 'protocol', option: 'mode', value: 'block' }]),
    "config protocol 'pptp'\n\toption mode 'allow'\nconfig protocol 'l2tp'\n\toption mode 'block'\n",
    'the named section is edited, not the first identical line',
  );
  t.equal(
    editUci(parseUci("config global\n\toption log '0'\n", FILE), [{ section: 'global', type: 'global', single: true, option: 'log', value: '1' }]),
    "config global\n\toption log '1'\n",
    'a single section is found by type, even anonymous',
  );
  t.equal(
    editUci(doc, [{ section: 'gre', type: 'protocol', option: 'mode', value: 'block' }]),
    "# my router\nconfig protocol 'pptp'\n\t# keep me\n\toption mode 'allow'\n\nconfig protocol 'gre'\n\toption mode 'block'\n",
    'a missing option is added to its section',
  );
  t.equal(
    editUci(parseUci('', FILE), [{ section: 'l2tp', type: 'protocol', option: 'mode', value: 'block' }]),
    "config protocol 'l2tp'\n\toption mode 'block'\n",
    'a missing section is appended',
  );
  const withList = parseUci("config protocol 'ipsec'\n\tlist client '10.0.0.1'\n\tlist client '10.0.0.2'\n\toption mode 'allow'\n", FILE);
  t.equal(
    editUci(withList, [{ section: 'ipsec', type: 'protocol', option: 'client', value: ["it's", '10.0.0.3'] }]),
    "config protocol 'ipsec'\n\tlist client 'it'\\''s'\n\tlist client '10.0.0.3'\n\toption mode 'allow'\n",
    'a list is replaced where it stood, values quoted',
  );
  t.equal(
    editUci(withList, [{ section: 'ipsec', type: 'protocol', option: 'client', value: null }]),
    "config protocol 'ipsec'\n\toption mode 'allow'\n",
    'null removes an option',
  );
});

t.test('long values and many sections parse in one pass', async (t) => {
  // Under QuickJS 2021 a value built a character at a time took 25 s for 1 MiB.
  const value = 'a'.repeat(1 << 20);
  const doc = parseUci(`config global\n\toption log_limit ${value}\n\toption x "${value}\\"b"\n`, 'f');
  t.equal(doc.sections[0].options[0].values[0].length, 1 << 20);
  t.equal(doc.sections[0].options[1].values[0], `${value}"b`);
  const many = parseUci(Array.from({ length: 10000 }, (_, i) => `config protocol 'p${i}'`).join('\n'), 'f');
  t.equal(many.sections[9999].index, 9999, 'sections counted per type as they come');
});

t.test("what libuci reads otherwise is refused, never misread", async (t) => {
  const fails = (text: string, reason: RegExp) => t.throws(() => parseUci(text, 'f'), reason, JSON.stringify(text));
  fails("config global\n\toption log '1' \\\r\n\toption log '0'\n", /:2: a line ending in '\\' continues on the next one in libuci/);
  fails("config global\n\toption log 1; option log 0\n", /:2: an unquoted ';' separates statements in libuci/);
  fails("'config' global\n", /:1: the keyword "config" is written bare/);
  fails("config global\n\t\\option log 1\n", /:2: the keyword "option" is written bare/);
  fails("co'nfig' global\n", /:1: the keyword "config" is written bare/);
  t.equal(parseUci("config global\n\toption x 'a;b' # c; d\n", 'f').sections[0].options[0].values[0], 'a;b', "quoted, or in a comment, ';' is text");
});

t.test("a trailing '' is no argument, as in libuci", async (t) => {
  const doc = parseUci("config global 'global' ''\n\tlist lan_zone 'lan' ''\n", 'f');
  t.same(doc.sections[0].options[0].values, ['lan']);
});
