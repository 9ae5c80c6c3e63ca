// `sessions` from conntrack text: real tables taken from the lab (two LAN
// clients, each with PPTP and IPsec NAT-T to one server, in both the /proc
// and the `conntrack -L` format), pieces cut anywhere, and a large table;
// the list read by index as the CLI streams it (table and JSON), and doctor
// visiting it. test/sessions-scale.test.ts runs the CLI on large tables.

import t from 'tap';
import { readFileSync } from 'node:fs';
import { Subnets } from '../src/core/address.ts';
import { SessionCollector, type ClientSessions } from '../src/core/sessions.ts';
import { writeSessions, writeSessionsJson } from '../src/cli/format.ts';
import { diagnose, type DoctorFacts } from '../src/core/doctor.ts';
import { ROOT } from './lib/paths.ts';

const fixture = (name: string) => readFileSync(`${ROOT}test/fixtures/${name}`);

function collect(...chunks: Uint8Array[]) {
  return collectOn(null, ...chunks);
}

function collectOn(lan: Subnets | null, ...chunks: Uint8Array[]) {
  const c = new SessionCollector(lan);
  for (const chunk of chunks) c.push(chunk);
  const clients = c.result();
  return { clients, rows: c.rows };
}

/** client -> protocol -> flow kinds, the shape a user reads off the table. */
function shape(clients: ClientSessions[]) {
  return clients.map((c) => ({
    client: c.client,
    sessions: c.sessions.map((s) => `${s.protocol} ${s.server}: ${s.flows.map((f) => `${f.transport}${f.serverPort ? `/${f.serverPort}` : ''}`).join(' ')}`),
  }));
}

const LAB = [
  { client: '192.168.1.10', sessions: ['pptp 203.0.113.7: tcp/1723 gre', 'ipsec 203.0.113.7: udp/500 udp/4500'] },
  { client: '192.168.1.11', sessions: ['pptp 203.0.113.7: tcp/1723 gre', 'ipsec 203.0.113.7: udp/500 udp/4500'] },
];

t.test('the lab table: PPTP control linked with its GRE, IKE with its NAT-T, per client', async (t) => {
  for (const name of ['conntrack-lab.proc', 'conntrack-lab.list']) {
    const { clients, rows } = collect(fixture(name));
    t.same(shape(clients), LAB, name);
    t.equal(rows, 9, `${name}: every entry counted, VPN or not`);
  }
  const [first] = collect(fixture('conntrack-lab.list')).clients;
  const pptp = first.sessions[0];
  t.equal(pptp.flows[0].helper, 'pptp', '`conntrack -L` shows the helper on the control connection');
  t.same(pptp.flows[1].callIds, { client: 1, server: 256, translated: 59526 }, 'Call IDs, with the one the helper translated to');
  t.equal(pptp.flows[0].publicAddress, '203.0.113.1', 'the address the client was masqueraded to');
  t.same(pptp.sent, { packets: 13, bytes: 948 }, 'a session sums its flows (conntrack accounting on)');
  t.equal(pptp.flows[0].state, 'TIME_WAIT');
});

t.test('lines cut between chunks anywhere give the same sessions', async (t) => {
  const bytes = fixture('conntrack-lab.proc');
  const whole = JSON.stringify(collect(bytes));
  let same = 0;
  for (let cut = 0; cut <= bytes.length; cut++) {
    if (JSON.stringify(collect(bytes.subarray(0, cut), bytes.subarray(cut))) === whole) same++;
  }
  t.equal(same, bytes.length + 1, 'every cut point');
  const bytewise = [...bytes].map((b) => Uint8Array.of(b));
  t.equal(JSON.stringify(collect(...bytewise)), whole, 'one byte at a time');
  const noFinalNewline = bytes.subarray(0, bytes.length - 1);
  t.equal(JSON.stringify(collect(noFinalNewline)), whole, 'a last line without its newline');
});

t.test('an entry the server opened (the helper saw its GRE first) still belongs to the LAN client', async (t) => {
  const line =
    'ipv4     2 gre      47 179 timeout=30, stream_timeout=180 src=203.0.113.7 dst=203.0.113.1 srckey=0x100 dstkey=0xe886 packets=2 bytes=80 src=192.168.1.10 dst=203.0.113.7 srckey=0x1 dstkey=0x100 packets=3 bytes=120 [ASSURED] mark=0 zone=0 use=2\n';
  const [c] = collect(Buffer.from(line)).clients;
  t.equal(c.client, '192.168.1.10');
  const flow = c.sessions[0].flows[0];
  t.same(flow.callIds, { client: 1, server: 256, translated: 59526 });
  t.same(flow.sent, { packets: 3, bytes: 120 }, 'sent is what the client sent');
  t.equal(flow.publicAddress, '203.0.113.1');
});

t.test('plain GRE, raw ESP and IPv6 entries', async (t) => {
  const text = [
    'ipv4     2 gre      47 29 timeout=30, stream_timeout=180 src=192.168.1.10 dst=198.51.100.9 srckey=0x0 dstkey=0x0 packets=1 bytes=44 [UNREPLIED] src=198.51.100.9 dst=203.0.113.1 srckey=0x0 dstkey=0x0 packets=0 bytes=0 mark=0 zone=0 use=2',
    'ipv4     2 unknown  50 599 src=192.168.1.11 dst=198.51.100.9 packets=4 bytes=400 src=198.51.100.9 dst=203.0.113.1 packets=4 bytes=400 [ASSURED] mark=0 zone=0 use=2',
    'ipv6     10 udp      17 170 src=2001:db8:1::10 dst=2001:db8:ff::7 sport=4500 dport=4500 packets=9 bytes=900 src=2001:db8:ff::7 dst=2001:db8:1::10 sport=4500 dport=4500 packets=9 bytes=900 [ASSURED] mark=0 zone=0 use=2',
    'ipv4     2 udp      17 20 src=192.168.1.10 dst=9.9.9.9 sport=500 dport=53 src=9.9.9.9 dst=203.0.113.1 sport=53 dport=500 mark=0 zone=0 use=2',
    '',
  ].join('\n');
  const { clients } = collect(Buffer.from(text));
  t.same(shape(clients), [
    { client: '192.168.1.10', sessions: ['gre 198.51.100.9: gre'] },
    { client: '192.168.1.11', sessions: ['ipsec 198.51.100.9: esp'] },
    { client: '2001:db8:1::10', sessions: ['ipsec 2001:db8:ff::7: udp/4500'] },
  ], 'DNS from source port 500 is not IKE');
  t.equal(clients[2].sessions[0].family, 'ipv6');
  t.equal(clients[0].sessions[0].flows[0].replied, false, 'an unanswered flow says so');
  t.equal(clients[2].sessions[0].flows[0].publicAddress, undefined, 'IPv6 is routed, not translated');
});

t.test('a 65,536-entry table, 1,024 of them VPN: every entry counted, only VPN kept', async (t) => {
  const lines: string[] = [];
  for (let n = 0; n < 65536; n++) {
    const client = `192.168.${1 + ((n >> 8) & 15)}.${1 + (n % 254)}`;
    const server = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
    const port = n % 64 === 0 ? 4500 : 443;
    lines.push(`ipv4     2 udp      17 30 src=${client} dst=${server} sport=4500 dport=${port} packets=1 bytes=100 src=${server} dst=203.0.113.1 sport=${port} dport=4500 packets=1 bytes=100 mark=0 zone=0 use=2`);
  }
  const bytes = Buffer.from(lines.join('\n') + '\n');
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += 65536) chunks.push(bytes.subarray(i, i + 65536));
  const { clients, rows } = collect(...chunks);
  t.equal(rows, 65536);
  t.equal(clients.reduce((n, c) => n + c.sessions.length, 0), 1024, 'one IPsec session per VPN entry');
  t.ok(clients.every((c) => c.sessions.every((s) => s.protocol === 'ipsec' && s.flows[0].serverPort === 4500)));
});

t.test('lines the kernel prints that are easy to misread', async (t) => {
  const text = [
    // Offloaded entries print no timeout.
    'ipv4     2 udp      17 src=192.168.1.10 dst=198.51.100.9 sport=4500 dport=4500 packets=9 bytes=900 src=198.51.100.9 dst=203.0.113.1 sport=4500 dport=4500 packets=9 bytes=900 [OFFLOAD] [ASSURED] mark=0 zone=0 use=3',
    'ipv4     2 tcp      6 120 SYN_SENT2 src=192.168.1.11 dst=198.51.100.9 sport=40000 dport=1723 src=198.51.100.9 dst=203.0.113.1 sport=1723 dport=40000 mark=0 zone=0 use=2',
    // Directional zones come between the tuple and its counters.
    'ipv4     2 udp      17 29 src=192.168.1.12 dst=198.51.100.9 sport=500 dport=500 zone-orig=5 packets=1 bytes=920 src=198.51.100.9 dst=203.0.113.1 sport=500 dport=500 zone-reply=5 packets=1 bytes=276 mark=0 use=2',
    // /proc prints IPv6 in full.
    'ipv6     10 udp      17 29 src=2001:0db8:0001:0000:0000:0000:0000:0010 dst=2001:0db8:00ff:0000:0000:0000:0000:0007 sport=4500 dport=4500 src=2001:0db8:00ff:0000:0000:0000:0000:0007 dst=2001:0db8:0001:0000:0000:0000:0000:0010 sport=4500 dport=4500 mark=0 zone=0 use=2',
    '',
  ].join('\n');
  const { clients } = collect(Buffer.from(text));
  t.same(shape(clients), [
    { client: '192.168.1.10', sessions: ['ipsec 198.51.100.9: udp/4500'] },
    { client: '192.168.1.11', sessions: ['pptp 198.51.100.9: tcp/1723'] },
    { client: '192.168.1.12', sessions: ['ipsec 198.51.100.9: udp/500'] },
    { client: '2001:db8:1::10', sessions: ['ipsec 2001:db8:ff::7: udp/4500'] },
  ]);
  const offloaded = clients[0].sessions[0].flows[0];
  t.equal(offloaded.offloaded, true, 'an offloaded flow says so');
  t.equal(offloaded.timeout, undefined, 'and has no timeout');
  t.equal(clients[1].sessions[0].flows[0].state, 'SYN_SENT2');
  t.same(clients[2].sessions[0].sent, { packets: 1, bytes: 920 }, 'counters after a directional zone');
});

t.test("with the LAN's subnets known, only LAN clients count", async (t) => {
  const lan = new Subnets(['192.168.1.0/24', '2001:db8:1::/64']);
  const text = [
    // A road warrior to a PPTP server on the router itself: not passthrough.
    'ipv4     2 tcp      6 431999 ESTABLISHED src=198.51.100.50 dst=203.0.113.1 sport=40000 dport=1723 src=203.0.113.1 dst=198.51.100.50 sport=1723 dport=40000 [ASSURED] mark=0 zone=0 use=2',
    // The router's own IPsec to a remote site.
    'ipv4     2 udp      17 29 src=203.0.113.1 dst=198.51.100.9 sport=4500 dport=4500 src=198.51.100.9 dst=203.0.113.1 sport=4500 dport=4500 mark=0 zone=0 use=2',
    // IPv6 ESP that the server sent first: the LAN side is still the client.
    'ipv6     10 unknown  50 599 src=2001:db8:ff::7 dst=2001:db8:1::10 packets=1 bytes=100 src=2001:db8:1::10 dst=2001:db8:ff::7 packets=1 bytes=100 mark=0 zone=0 use=2',
    'ipv4     2 udp      17 29 src=192.168.1.10 dst=198.51.100.9 sport=4500 dport=4500 src=198.51.100.9 dst=203.0.113.1 sport=4500 dport=4500 mark=0 zone=0 use=2',
    '',
  ].join('\n');
  t.same(shape(collectOn(lan, Buffer.from(text)).clients), [
    { client: '192.168.1.10', sessions: ['ipsec 198.51.100.9: udp/4500'] },
    { client: '2001:db8:1::10', sessions: ['ipsec 2001:db8:ff::7: esp'] },
  ]);
});

/** What `sessions` prints (text and --json) for a table, as the CLI streams it. */
function printed(bytes: Uint8Array, lan: Subnets | null = null) {
  const c = new SessionCollector(lan);
  c.push(bytes);
  const table = { source: 'test', entries: c.rows, list: c.sessions() };
  let text = '';
  let json = '';
  writeSessions(table, (s) => (text += s));
  writeSessionsJson(table, (s) => (json += s));
  return { text, json, clients: c.result(), rows: c.rows };
}

t.test('the CLI table, written a row at a time', async (t) => {
  const { text } = printed(fixture('conntrack-lab.list'));
  t.equal(
    text,
    [
      'CLIENT        PROTOCOL  SERVER       FLOW                             STATE      SENT           RECEIVED       EXPIRES',
      '192.168.1.10  PPTP      203.0.113.7  tcp 59526 -> 1723 helper pptp    TIME_WAIT  8 pkts, 748 B  5 pkts, 456 B  119 s',
      '                                     gre call-id 1 -> 256 (as 59526)  replied    5 pkts, 200 B  5 pkts, 200 B  179 s',
      '              IPsec     203.0.113.7  udp 500 -> 500                   replied    1 pkts, 920 B  1 pkts, 276 B  29 s',
      '                                     udp 4500 -> 4500                 replied    1 pkts, 432 B  1 pkts, 256 B  29 s',
      '192.168.1.11  PPTP      203.0.113.7  tcp 51206 -> 1723 helper pptp    TIME_WAIT  8 pkts, 748 B  5 pkts, 456 B  119 s',
      '                                     gre call-id 1 -> 257 (as 51206)  replied    5 pkts, 200 B  5 pkts, 200 B  179 s',
      '              IPsec     203.0.113.7  udp 500 -> 500                   replied    1 pkts, 920 B  1 pkts, 276 B  29 s',
      '                                     udp 4500 -> 4500                 replied    1 pkts, 432 B  1 pkts, 256 B  29 s',
      '',
      '4 sessions from 2 clients (9 conntrack entries read from test)',
      '',
    ].join('\n'),
  );
  t.equal(printed(Buffer.from('')).text, 'no VPN sessions (0 conntrack entries read from test)\n');
});

/** A table of every kind of VPN entry, from both sides, translated or not, in both formats: n lines from a seed. */
function mixedTable(n: number, seed: number): string {
  let x = seed;
  const pick = <T>(items: T[]) => items[((x = (x * 1103515245 + 12345) & 0x7fffffff) >>> 16) % items.length];
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const client = pick(['192.168.1.10', '192.168.1.9', '192.168.1.100', '192.168.2.1', '2001:db8:1::10', '2001:db8:1::1']);
    const server = pick(['203.0.113.7', '198.51.100.20', '198.51.100.3', '2001:db8:ff::7']);
    const out = pick(['203.0.113.1', client]);
    const counted = pick([true, false]);
    const c = (p: number, b: number) => (counted ? `packets=${p} bytes=${b} ` : '');
    const head = pick(['ipv4     2 ', '']);
    const tail = pick(['[ASSURED] mark=0 zone=0 use=2', '[OFFLOAD] [ASSURED] mark=0 use=3', 'mark=0 helper=pptp use=1', 'mark=0 delta-time=42 use=1']);
    const sport = 1024 + (i % 60000);
    const kind = pick(['pptp', 'gre1', 'gre0', 'ike', 'natt', 'l2tp', 'esp', 'ah', 'dns']);
    const [proto, orig, reply] =
      kind === 'pptp' ? [`tcp      6 431999 ${pick(['ESTABLISHED', 'SYN_SENT2'])} `, `sport=${sport} dport=1723 `, `sport=1723 dport=${sport} `]
      : kind === 'gre1' ? ['gre      47 179 timeout=30, stream_timeout=180 ', `srckey=0x${pick(['1', '2'])} dstkey=0x100 `, `srckey=0x100 dstkey=0x${pick(['1', 'e886'])} `]
      : kind === 'gre0' ? ['gre      47 29 ', 'srckey=0x0 dstkey=0x0 ', 'srckey=0x0 dstkey=0x0 ']
      : kind === 'esp' ? ['unknown  50 599 ', '', '']
      : kind === 'ah' ? ['unknown  51 599 ', '', '']
      : [`udp      17 ${pick(['29 ', ''])}`, `sport=${pick([500, 4500, 1701, 53])} dport=${{ ike: 500, natt: 4500, l2tp: 1701, dns: 53 }[kind]} `, `sport=4500 dport=${sport} `];
    const unreplied = pick(['', '[UNREPLIED] ']);
    const forward = `src=${client} dst=${server} ${orig}${c(i % 90, i * 37)}${unreplied}src=${server} dst=${out} ${reply}${c(i % 7, i * 11)}`;
    const inward = `src=${server} dst=${out} ${reply}${c(i % 7, i * 11)}${unreplied}src=${client} dst=${server} ${orig}${c(i % 90, i * 37)}`;
    lines.push(`${head}${proto}${pick([forward, inward])}${tail}`);
  }
  return lines.join('\n') + '\n';
}

t.test('--json, written a session at a time, is the JSON of the sessions as objects', async (t) => {
  for (const bytes of [fixture('conntrack-lab.proc'), fixture('conntrack-lab.list'), Buffer.from(''), Buffer.from(mixedTable(400, 7))]) {
    for (const lan of [null, new Subnets(['192.168.1.0/24', '2001:db8:1::/64'])]) {
      const { json, clients, rows } = printed(bytes, lan);
      t.equal(json, JSON.stringify({ source: 'test', entries: rows, clients }) + '\n');
    }
  }
});

t.test('order: clients by address (IPv4 by number, then IPv6), sessions by protocol then server, control before data', async (t) => {
  const { clients } = printed(Buffer.from(mixedTable(400, 11)), new Subnets(['192.168.0.0/16', '2001:db8:1::/64']));
  t.same(clients.map((c) => c.client), ['192.168.1.9', '192.168.1.10', '192.168.1.100', '192.168.2.1', '2001:db8:1::1', '2001:db8:1::10']);
  const ranks = ['pptp', 'l2tp', 'ipsec', 'gre'];
  for (const c of clients) {
    const keys = c.sessions.map((s) => [ranks.indexOf(s.protocol), s.server.includes(':') ? 1 : 0, s.server.split('.').map((n) => n.padStart(3, '0')).join('.')].join(' '));
    t.same(keys, [...keys].sort(), `${c.client}: sessions in order`);
    for (const s of c.sessions) {
      const flows = s.flows.map((f) => ['tcp', 'udp', 'gre', 'esp', 'ah'].indexOf(f.transport) * 65536 + (f.serverPort ?? 0));
      t.same(flows, [...flows].sort((a, b) => a - b), `${c.client} ${s.protocol} ${s.server}: flows in order`);
    }
  }
});

t.test('plain-looking GRE joins a PPTP session to the same server, whichever comes first in the table', async (t) => {
  const control = 'tcp      6 431999 ESTABLISHED src=192.168.1.10 dst=203.0.113.7 sport=40000 dport=1723 src=203.0.113.7 dst=203.0.113.1 sport=1723 dport=40000 [ASSURED] mark=0 use=1';
  const gre = 'gre      47 29 src=192.168.1.10 dst=203.0.113.7 srckey=0x0 dstkey=0x0 src=203.0.113.7 dst=203.0.113.1 srckey=0x0 dstkey=0x0 mark=0 use=1';
  const other = gre.replace(/203\.0\.113\.7/g, '198.51.100.9');
  for (const text of [`${gre}\n${control}\n${other}\n`, `${control}\n${other}\n${gre}\n`]) {
    t.same(shape(printed(Buffer.from(text)).clients), [{ client: '192.168.1.10', sessions: ['pptp 203.0.113.7: tcp/1723 gre', 'gre 198.51.100.9: gre'] }]);
  }
});

t.test('doctor visiting the list a session at a time judges as it does the objects', async (t) => {
  const facts: DoctorFacts = {
    enabled: true, nftFailure: null, tableLoaded: true, tableCurrent: true, pptpMode: 'allow', lanDevices: ['br-lan'], missingDevices: [],
    helper: { available: true, modules: [] }, helperCount: { packets: 3, bytes: 0 }, controlsWithHelper: null, masqueradeZones: ['wan'],
    flowOffloading: false, accounting: true, sessions: null, zoneHelpers: [], espSenders: [], l2tpSenders: [], l2tpElsewhere: [],
  };
  // The last: raw ESP from several clients to one server.
  const tables = [fixture('conntrack-lab.list'), Buffer.from(mixedTable(300, 5)), Buffer.from(mixedTable(300, 9).replace(/unknown {2}5[01] 599 src=(\S+) dst=(\S+) /g, 'unknown  50 599 src=$1 dst=198.51.100.20 '))];
  const ids: string[][] = [];
  for (const bytes of tables) {
    const c = new SessionCollector();
    c.push(bytes);
    const checks = diagnose({ ...facts, sessions: c.sessions() });
    t.same(checks, diagnose({ ...facts, sessions: c.result() }));
    ids.push(checks.map((x) => `${x.id} ${x.verdict}`));
  }
  for (const id of ['helper-attached warn', 'esp-clash fail', 'natt warn', 'pptp-in-use warn']) t.ok(ids[1].includes(id), `the mixed table gives ${id}`);
  t.ok(ids[2].includes('esp-clash fail'), 'several clients need raw ESP to one server');
});
