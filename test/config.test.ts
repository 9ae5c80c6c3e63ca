// Validation: defaults when silent, and every mistake named by file:line,
// section and option with a fix, all reported at once.

import t from 'tap';
import { ConfigInvalid } from '../src/core/config.ts';
import { loadConfigText } from '../src/core/load.ts';

const FILE = '/etc/config/vpn-passthrough';
const load = (text: string) => loadConfigText(text, FILE);

function issuesOf(text: string): string[] {
  try {
    load(text);
  } catch (e) {
    if (e instanceof ConfigInvalid) return e.message.split('\n');
    throw e;
  }
  return [];
}

t.test('an empty or missing file means: enabled, LAN zone lan, everything allowed', async (t) => {
  const { config, warnings } = load('');
  t.equal(config.enabled, true);
  t.same(config.lanZones, ['lan']);
  t.equal(config.log, false);
  for (const name of ['pptp', 'l2tp', 'ipsec', 'gre'] as const) {
    t.match(config.protocols[name], { mode: 'allow', esp: 'allow', family: 'any', clients: [], servers: [] }, name);
  }
  t.same(warnings, []);
});

t.test('the shipped default config is valid and allows everything', async (t) => {
  const { readFileSync } = await import('node:fs');
  const text = readFileSync(new URL('../files/etc/config/vpn-passthrough', import.meta.url), 'utf8');
  const { config, warnings } = load(text);
  t.same(warnings, []);
  t.same(Object.values(config.protocols).map((p) => p.mode), ['allow', 'allow', 'allow', 'allow']);
});

t.test('ipsec esp follows mode unless set apart', async (t) => {
  t.equal(load("config protocol 'ipsec'\n\toption mode 'block'\n").config.protocols.ipsec.esp, 'block');
  t.equal(load("config protocol 'ipsec'\n\toption esp 'block'\n").config.protocols.ipsec.mode, 'allow');
});

t.test('lists may be written as a whitespace-separated option, as fw4 allows', async (t) => {
  const { config } = load("config protocol 'l2tp'\n\toption client '10.0.0.1 10.0.0.2'\n");
  t.same(config.protocols.l2tp.clients.map((a) => a.text), ['10.0.0.1', '10.0.0.2']);
});

t.test('every mistake is reported with where it is and how to fix it', async (t) => {
  const issues = issuesOf(
    [
      "config global 'global'",
      "\toption enabled 'maybe'",
      "\tlist lan_zone 'lan zone!'",
      "\toption colour 'blue'",
      "config protocol 'pptp'",
      "\toption mode 'alow'",
      "\toption esp 'block'",
      "config protocol 'ipsec'",
      "\tlist client '192.168.1.5/24'",
      "\tlist server 'aa:bb:cc:dd:ee:ff'",
      "\tlist mode 'allow'",
      "config protocol 'wireguard'",
      "config rule",
    ].join('\n'),
  );
  t.same(issues, [
    `${FILE}:2: section 'global' option 'enabled': invalid boolean 'maybe'; use '1' or '0'`,
    `${FILE}:3: section 'global' option 'lan_zone': invalid value 'lan zone!'; give a firewall zone name such as 'lan'`,
    `${FILE}:4: section 'global' option 'colour': unknown option; known options here: enabled, lan_zone, lan_device, log, log_limit, unused_days`,
    `${FILE}:6: section 'pptp' option 'mode': invalid value 'alow'; use one of 'allow', 'block'`,
    `${FILE}:7: section 'pptp' option 'esp': unknown option; known options here: mode, family, client, server, until`,
    `${FILE}:9: section 'ipsec' option 'client': '192.168.1.5/24' has host bits set after /24: give the network address of the subnet; write an IPv4/IPv6 address, a subnet such as 192.168.1.0/24, or a MAC address`,
    `${FILE}:10: section 'ipsec' option 'server': 'aa:bb:cc:dd:ee:ff' is not an IPv4 or IPv6 address; write an IPv4/IPv6 address or a subnet such as 203.0.113.0/24`,
    `${FILE}:11: section 'ipsec' option 'mode': takes one value, not a list; write "option mode '...'"`,
    `${FILE}:12: section 'wireguard': a protocol section must be named after its protocol; write "config protocol '<name>'" with one of pptp, l2tp, ipsec, gre`,
    `${FILE}:13: section @rule[0]: unknown section type 'rule'; use "config global" or "config protocol"`,
  ]);
});

t.test('a syntax error is an invalid config too, with its line', async (t) => {
  t.same(issuesOf("config protocol 'pptp'\n\toption mode 'allow\n"), [`${FILE}:2: unterminated single quote`]);
});

t.test('narrowing a blocked protocol warns that it has no effect', async (t) => {
  const { warnings } = load("config protocol 'gre'\n\toption mode 'block'\n\tlist client '10.0.0.1'\n");
  t.match(warnings, [{ line: 3, option: 'client', message: /no effect while the protocol is blocked/ }]);
});

t.test("names of Object.prototype are names like any other: unknown, and said so", async (t) => {
  const names = ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf'];
  for (const name of names) {
    t.match(issuesOf(`config ${name}\n`), [/unknown section type/], `config ${name}`);
    t.match(issuesOf(`config global\n\toption ${name} 'a|b'\n`), [new RegExp(`option '${name}': unknown option`)], `global option ${name}`);
    t.match(issuesOf(`config protocol 'pptp'\n\tlist ${name} 'x'\n`), [new RegExp(`option '${name}': unknown option`)], `protocol list ${name}`);
  }
  t.match(issuesOf("config protocol 'constructor'\n"), [/must be named after its protocol/]);
});

t.test('device names as the kernel takes them (IFNAMSIZ, no ":" "/" or space)', async (t) => {
  const device = (name: string) => issuesOf(`config global\n\tlist lan_device '${name}'\n`);
  for (const ok of ['br-lan', 'wg*', 'eth0.2', 'br-lan12345678*', 'lan@x', 'a']) t.same(device(ok), [], `${ok} is taken`);
  for (const bad of ['br-lan123456789*', 'br-lan1234567890', 'eth0:1', 'a/b', '.', '..', '*', 'br lan', '']) {
    t.match(device(bad), [/option 'lan_device': invalid value .*15 characters at most, counting a final '\*'/], `${JSON.stringify(bad)} is refused`);
  }
});

t.test('a file that is not UCI: its lines are not quoted back', async (t) => {
  const secret = 'root:$1$Zx9qK2bf$0123456789abcdefghijkl:19000:0:99999:7:::';
  const issues = issuesOf(`${secret}\n`);
  t.match(issues, [/:1: unknown keyword \(\d+ characters, not shown\)/]);
  t.notMatch(issues.join('\n'), /Zx9qK2bf/, 'nothing of the line');
  t.match(issuesOf('confg global\n'), [/unknown keyword "confg"/], 'a mistyped keyword is still quoted');
});
