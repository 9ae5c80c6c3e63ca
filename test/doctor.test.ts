// doctor's judgements: each finding a router admin can act on, from the
// sessions of a real lab table (two clients with PPTP and IPsec NAT-T) and
// the facts around it, changed one at a time.

import t from 'tap';
import { readFileSync } from 'node:fs';
import { diagnose, type Check, type DoctorFacts } from '../src/core/doctor.ts';
import { SessionCollector } from '../src/core/sessions.ts';
import { ROOT } from './lib/paths.ts';

function sessionsOf(text: string | Buffer) {
  const c = new SessionCollector();
  c.push(typeof text === 'string' ? Buffer.from(text) : text);
  return c.result();
}

const lab = sessionsOf(readFileSync(`${ROOT}test/fixtures/conntrack-lab.list`));

const healthy: DoctorFacts = {
  enabled: true,
  nftFailure: null,
  tableLoaded: true,
  tableCurrent: true,
  pptpMode: 'allow',
  lanDevices: ['br-lan'],
  missingDevices: [],
  helper: { available: true, modules: [{ name: 'nf_conntrack_pptp', state: 'loaded' }] },
  helperCount: { packets: 16, bytes: 1496 },
  controlsWithHelper: 2,
  masqueradeZones: ['wan'],
  flowOffloading: false,
  accounting: true,
  sessions: lab,
  zoneHelpers: [{ zone: 'lan', helpers: [], auto: true }],
  espSenders: [],
  l2tpSenders: [],
  l2tpElsewhere: [],
};

const verdicts = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.id, c.verdict]));
const find = (checks: Check[], id: string) => checks.find((c) => c.id === id)!;

t.test('a healthy router with the lab sessions', async (t) => {
  const checks = diagnose(healthy);
  t.same(verdicts(checks), {
    table: 'ok',
    lan: 'ok',
    'helper-modules': 'ok',
    'helper-attached': 'ok',
    'zone-helpers': 'ok',
    masquerade: 'ok',
    'flow-offloading': 'ok',
    natt: 'ok',
    'pptp-in-use': 'warn',
  });
  t.match(find(checks, 'pptp-in-use').summary, /192\.168\.1\.10, 192\.168\.1\.11/, 'names the PPTP users');
  t.ok(checks.filter((c) => c.verdict !== 'ok').every((c) => c.fix), 'every finding that is not ok has a fix');
});

t.test('each fault is found and explained', async (t) => {
  const cases: [string, Partial<DoctorFacts>, string, RegExp][] = [
    ['table missing after a firewall stop', { tableLoaded: false, helperCount: null }, 'table', /apply/],
    ['no PPTP helper in the kernel', { helper: { available: false, modules: [{ name: 'nf_conntrack_pptp', state: 'missing' }] } }, 'helper-modules', /kmod-nf-nathelper-extra/],
    ['control connections without the helper', { controlsWithHelper: 1 }, 'helper-attached', /conntrack -D -p tcp --dport 1723/],
    ['no LAN device', { lanDevices: [] }, 'lan', /lan_zone|lan_device/],
    ['the only LAN device does not exist', { lanDevices: ['br-lna'], missingDevices: ['br-lna'] }, 'lan', /lan_device/],
  ];
  for (const [what, change, id, fix] of cases) {
    const check = find(diagnose({ ...healthy, ...change }), id);
    t.equal(check.verdict, 'fail', what);
    t.match(check.fix, fix, `${what}: the fix`);
  }
  const warnings: [string, Partial<DoctorFacts>, string, RegExp][] = [
    ['the table from an earlier config (an apply failed, or none ran since the edit)', { tableCurrent: false }, 'table', /vpn-passthrough apply/],
    ['flow offloading on', { flowOffloading: true }, 'flow-offloading', /flow_offloading '0'|conntrack -D/],
    ['no zone masquerades', { masqueradeZones: [] }, 'masquerade', /masq '1'/],
    ['one of two LAN devices does not exist', { lanDevices: ['br-lan', 'br-gst'], missingDevices: ['br-gst'] }, 'lan', /lan_device/],
    ['helper rule not hit, helpers not visible', { helperCount: { packets: 0, bytes: 0 }, controlsWithHelper: null }, 'helper-attached', /reconnect/],
  ];
  for (const [what, change, id, fix] of warnings) {
    const check = find(diagnose({ ...healthy, ...change }), id);
    t.equal(check.verdict, 'warn', what);
    t.match(check.fix, fix, `${what}: the fix`);
  }
  t.equal(find(diagnose({ ...healthy, accounting: false }), 'accounting').verdict, 'info', 'accounting off is only a note');
  t.equal(find(diagnose({ ...healthy, sessions: null }), 'conntrack').verdict, 'warn', 'an unreadable conntrack table is said, not hidden');
});

t.test('raw ESP: one client works, two clients to one server clash', async (t) => {
  const esp = (client: string) =>
    `ipv4     2 unknown  50 599 src=${client} dst=198.51.100.9 packets=4 bytes=400 src=198.51.100.9 dst=203.0.113.1 packets=4 bytes=400 [ASSURED] mark=0 zone=0 use=2`;
  const ike = (client: string) =>
    `ipv4     2 udp      17 170 src=${client} dst=198.51.100.9 sport=500 dport=500 packets=2 bytes=900 src=198.51.100.9 dst=203.0.113.1 sport=500 dport=500 packets=2 bytes=600 [ASSURED] mark=0 zone=0 use=2`;
  const one = diagnose({ ...healthy, sessions: sessionsOf(`${ike('192.168.1.10')}\n${esp('192.168.1.10')}\n`) });
  t.equal(find(one, 'natt').verdict, 'warn', 'raw ESP through NAT is a warning');
  t.notOk(one.some((c) => c.id === 'esp-clash'), 'one client is no clash');
  // The second client's ESP never gets an entry (the kernel cannot insert it): its IKE shows it.
  const two = diagnose({ ...healthy, sessions: sessionsOf(`${ike('192.168.1.10')}\n${esp('192.168.1.10')}\n${ike('192.168.1.11')}\n`) });
  const clash = find(two, 'esp-clash');
  t.equal(clash.verdict, 'fail');
  t.match(clash.summary, /192\.168\.1\.10, 192\.168\.1\.11.*198\.51\.100\.9/);
  t.match(clash.fix, /NAT-T/);
  const natt = `ipv4     2 udp      17 170 src=192.168.1.11 dst=198.51.100.9 sport=4500 dport=4500 src=198.51.100.9 dst=203.0.113.1 sport=4500 dport=1025 [ASSURED] mark=0 zone=0 use=2`;
  const mixed = diagnose({ ...healthy, sessions: sessionsOf(`${ike('192.168.1.10')}\n${esp('192.168.1.10')}\n${ike('192.168.1.11')}\n${natt}\n`) });
  t.notOk(mixed.some((c) => c.id === 'esp-clash'), 'a client on NAT-T beside one on raw ESP is no clash');
  const esp6 = (client: string) =>
    `ipv6     10 unknown  50 599 src=${client} dst=2001:db8:ff::7 packets=4 bytes=400 src=2001:db8:ff::7 dst=${client} packets=4 bytes=400 [ASSURED] mark=0 zone=0 use=2`;
  const v6 = diagnose({ ...healthy, sessions: sessionsOf(`${esp6('2001:db8:1::10')}\n${esp6('2001:db8:1::11')}\n`) });
  t.notOk(v6.some((c) => c.id === 'esp-clash' || c.id === 'natt'), 'routed IPv6 carries raw ESP for every client');
});

t.test('raw ESP: a second client that sends only ESP is seen by the table, not by conntrack', async (t) => {
  const esp = `ipv4     2 unknown  50 599 src=192.168.1.10 dst=198.51.100.9 packets=4 bytes=400 src=198.51.100.9 dst=203.0.113.1 packets=4 bytes=400 [ASSURED] mark=0 zone=0 use=2`;
  const senders = [
    { client: '192.168.1.10', server: '198.51.100.9' },
    { client: '192.168.1.11', server: '198.51.100.9' },
  ];
  const checks = diagnose({ ...healthy, sessions: sessionsOf(`${esp}\n`), espSenders: senders });
  const clash = find(checks, 'esp-clash');
  t.equal(clash.verdict, 'fail', 'a clash, though conntrack shows one client only');
  t.match(clash.summary, /192\.168\.1\.10, 192\.168\.1\.11.*198\.51\.100\.9/, 'names both clients and the server');
  t.match(find(checks, 'natt').summary, /192\.168\.1\.11 -> 198\.51\.100\.9/, 'the second sender is listed too');
  t.notOk(diagnose({ ...healthy, espSenders: senders.slice(0, 1) }).some((c) => c.id === 'esp-clash'), 'one sender is no clash');
});

t.test('L2TP: two clients of a server that answers from another port collide through NAT', async (t) => {
  const senders = [
    { client: '192.168.1.10', server: '198.51.100.9' },
    { client: '192.168.1.11', server: '198.51.100.9' },
    { client: '192.168.1.12', server: '198.51.100.20' },
  ];
  const clash = diagnose({ ...healthy, l2tpSenders: senders, l2tpElsewhere: ['198.51.100.9'] }).filter((c) => c.id === 'l2tp-clash');
  t.equal(clash.length, 1, 'one clash: one server answers from another port, and has two clients');
  t.equal(clash[0].verdict, 'warn', 'a warning: they collide only when they connect close together');
  t.match(clash[0].summary, /192\.168\.1\.10, 192\.168\.1\.11 use L2TP to 198\.51\.100\.9, which answers from another port/, 'names both clients and the server');
  t.match(clash[0].fix, /one after another/);
  t.notOk(diagnose({ ...healthy, l2tpSenders: senders }).some((c) => c.id === 'l2tp-clash'), 'servers answering from 1701 serve any number of clients');
  t.notOk(
    diagnose({ ...healthy, l2tpSenders: senders.slice(0, 1), l2tpElsewhere: ['198.51.100.9'] }).some((c) => c.id === 'l2tp-clash'),
    'one client is no clash',
  );
});

t.test('helpers firewall4 attaches to the LAN besides ours', async (t) => {
  const auto = find(diagnose({ ...healthy, zoneHelpers: [{ zone: 'lan', helpers: ['pptp', 'sip', 'RAS', 'tftp'], auto: true }] }), 'zone-helpers');
  t.equal(auto.verdict, 'warn', 'auto_helper turns on the SIP ALG and the others');
  t.match(auto.summary, /zone lan \(sip, RAS, tftp\).*auto_helper/, 'names the zone and the helpers, not PPTP');
  t.match(auto.fix, /auto_helper '0'.*zone lan/, 'the fix');
  t.equal(find(diagnose({ ...healthy, zoneHelpers: [{ zone: 'lan', helpers: ['pptp'], auto: true }] }), 'zone-helpers').verdict, 'ok', 'PPTP alone is ours anyway');
  t.equal(find(diagnose({ ...healthy, zoneHelpers: [{ zone: 'lan', helpers: ['sip'], auto: false }] }), 'zone-helpers').verdict, 'info', "the admin's own list is only noted");
  t.notOk(diagnose({ ...healthy, zoneHelpers: null }).some((c) => c.id === 'zone-helpers'), "unknown without firewall4's state");
});

t.test('the PPTP helper is IPv4 only, and its counter counts new connections', async (t) => {
  const v6 = `ipv6     10 tcp      6 431999 ESTABLISHED src=2001:db8:1::10 dst=2001:db8:ff::7 sport=40000 dport=1723 src=2001:db8:ff::7 dst=2001:db8:1::10 sport=1723 dport=40000 [ASSURED] mark=0 zone=0 use=2`;
  const withV6 = sessionsOf(Buffer.concat([readFileSync(`${ROOT}test/fixtures/conntrack-lab.list`), Buffer.from(`${v6}\n`)]));
  t.equal(find(diagnose({ ...healthy, sessions: withV6 }), 'helper-attached').verdict, 'ok', 'an IPv6 control connection needs no helper');
  const older = find(diagnose({ ...healthy, controlsWithHelper: null, helperCount: { packets: 1, bytes: 60 } }), 'helper-attached');
  t.equal(older.verdict, 'warn', 'fewer new connections counted than are open: the older ones may lack it');
  t.equal(find(diagnose({ ...healthy, controlsWithHelper: null, helperCount: { packets: 2, bytes: 120 } }), 'helper-attached').verdict, 'ok');
});

t.test('nft cannot be run: said as such, not as a missing table or helper', async (t) => {
  const checks = diagnose({ ...healthy, nftFailure: 'nft -j list table inet vpn_passthrough could not be run (not installed?)', tableLoaded: false, helperCount: null });
  const first = checks[0];
  t.match(first, { id: 'nft', verdict: 'fail', summary: /nft cannot list the ruleset.*could not be run/, fix: /nftables-json/ });
  t.notOk(checks.some((c) => c.id === 'table' || c.id === 'helper-modules' || c.id === 'helper-attached'), 'no guesses about the table or the helper');
});

t.test('disabled: only says so', async (t) => {
  t.same(verdicts(diagnose({ ...healthy, enabled: false, tableLoaded: false })), { table: 'info' });
});
