// `sessions` and `doctor` under the real QuickJS 2021-03-27 on tables larger
// than anything the unit tests build: past 65,536 flows (where spreading
// rows as arguments used to fail). That time per entry stays flat as the
// table grows is measured by make bench (bench/sessions.mjs), not here.

import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { BUNDLE, QJS } from './lib/paths.ts';

const dir = mkdtempSync(`${tmpdir()}/vpn-passthrough-scale-`);
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** count IPsec NAT-T entries, each from its own client: one session each. */
function natTable(count: number): string {
  const path = `${dir}/conntrack-${count}`;
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const client = `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`;
    const server = `198.51.${(i >> 8) & 255}.${i & 255}`;
    lines.push(
      `ipv4     2 udp      17 29 src=${client} dst=${server} sport=4500 dport=4500 packets=3 bytes=300 ` +
        `src=${server} dst=203.0.113.1 sport=4500 dport=${1024 + (i % 60000)} packets=2 bytes=200 [ASSURED] mark=0 zone=0 use=2`,
    );
  }
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

/** The CLI under qjs on a conntrack table file. */
function cli(table: string, ...args: string[]) {
  return spawnSync(QJS, ['--std', '-m', BUNDLE, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, VPN_PASSTHROUGH_CONNTRACK: table, VPN_PASSTHROUGH_CONFIG: `${dir}/none`, VPN_PASSTHROUGH_FW4_STATE: `${dir}/none` },
  });
}

t.test('more than 65,536 flows: the table and --json', async (t) => {
  const table = natTable(70000);
  const text = cli(table, 'sessions');
  t.equal(text.status, 0, 'sessions: exit 0');
  const lines = text.stdout.split('\n');
  t.equal(lines.length, 70004, 'a header, a row per flow, a blank line, the summary (and the final newline)');
  t.equal(lines[70002], `70000 sessions from 70000 clients (70000 conntrack entries read from ${table})`);
  t.match(lines[1], /^10\.0\.0\.0 +IPsec +198\.51\.0\.0 +udp 4500 -> 4500 +replied +3 pkts, 300 B +2 pkts, 200 B +29 s$/);
  const json = cli(table, '--json', 'sessions');
  t.equal(json.status, 0, '--json sessions: exit 0');
  const data = JSON.parse(json.stdout);
  t.equal(data.entries, 70000);
  t.equal(data.clients.length, 70000);
  t.same(data.clients[69999].sessions[0].flows[0].sent, { packets: 3, bytes: 300 });
  const doctor = cli(table, 'doctor');
  t.match(doctor.stdout, /70000 IPsec sessions through NAT, all using NAT-T or IKE only/, 'doctor reads them all');
});
