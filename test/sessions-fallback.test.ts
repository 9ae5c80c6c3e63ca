// `sessions` under the real QuickJS 2021-03-27 on a router whose kernel has
// no /proc/net/nf_conntrack: the table comes from `conntrack -L` (here a
// stand-in on PATH printing a listing in its format), read as it comes. The
// sessions are those of the same table read from /proc, and the listing is
// never held whole: peak memory against /proc on a 131,072-entry table.

import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { BUNDLE, QJS, ROOT } from './lib/paths.ts';

const dir = mkdtempSync(`${tmpdir()}/vpn-passthrough-fallback-`);
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A `conntrack` on PATH: `-L -f ipv4` prints the file, `-L -f ipv6` nothing
 * (this table has no IPv6 entry), anything else fails as conntrack does.
 */
function fakeConntrack(listing: string, status = 0): string {
  const bin = `${dir}/bin-${Math.random().toString(36).slice(2)}`;
  spawnSync('mkdir', [bin]);
  writeFileSync(
    `${bin}/conntrack`,
    status === 0
      ? `#!/bin/sh\n[ "$*" = "-L -f ipv4" ] && exec cat '${listing}'\n[ "$*" = "-L -f ipv6" ] && exit 0\necho "conntrack: unexpected arguments: $*" >&2; exit 2\n`
      : `#!/bin/sh\necho 'conntrack v1.4.7 (conntrack-tools): Operation failed: Permission denied' >&2\nexit ${status}\n`,
  );
  chmodSync(`${bin}/conntrack`, 0o755);
  return bin;
}

/** The CLI under qjs (GNU time: peak resident KiB); table: the /proc path, PATH with bin first when given. */
function cli(table: string, bin: string | null, ...args: string[]) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', QJS, '--std', '-m', BUNDLE, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: {
      ...process.env,
      PATH: bin === null ? process.env.PATH : `${bin}:${process.env.PATH}`,
      VPN_PASSTHROUGH_CONNTRACK: table,
      VPN_PASSTHROUGH_CONFIG: `${dir}/none`,
      VPN_PASSTHROUGH_FW4_STATE: `${dir}/none`,
    },
  });
  const lines = r.stderr.trim().split('\n');
  return { status: r.status, stdout: r.stdout, stderr: lines.slice(0, -1).join('\n'), kib: Number(lines[lines.length - 1]) };
}

const missing = `${dir}/no-nf_conntrack`;

t.test('the lab table from conntrack -L: the same sessions as from /proc, with the PPTP helper', async (t) => {
  const bin = fakeConntrack(`${ROOT}test/fixtures/conntrack-lab.list`);
  const listed = cli(missing, bin, '--json', 'sessions');
  t.equal(listed.status, 0, listed.stderr);
  const fromList = JSON.parse(listed.stdout);
  const fromProc = JSON.parse(cli(`${ROOT}test/fixtures/conntrack-lab.proc`, null, '--json', 'sessions').stdout);
  t.equal(fromList.source, 'conntrack -L', 'the source is named');
  t.equal(fromList.entries, 9);
  t.same(
    fromList.clients.map((c: { client: string; sessions: { protocol: string }[] }) => `${c.client}: ${c.sessions.map((s) => s.protocol).join(' ')}`),
    ['192.168.1.10: pptp ipsec', '192.168.1.11: pptp ipsec'],
  );
  t.same(fromList.clients.map((c: { client: string }) => c.client), fromProc.clients.map((c: { client: string }) => c.client));
  t.equal(fromList.clients[0].sessions[0].flows[0].helper, 'pptp', 'only conntrack -L shows helper=');
  const text = cli(missing, bin, 'sessions');
  t.match(text.stdout, /4 sessions from 2 clients \(9 conntrack entries read from conntrack -L\)/);
});

t.test('conntrack -L failing: the user is told what was tried and what it said', async (t) => {
  const r = cli(missing, fakeConntrack('', 1), 'sessions');
  t.not(r.status, 0);
  t.match(r.stderr, /cannot read the conntrack table: .*no-nf_conntrack is missing or unreadable, and conntrack -L -f ipv4 exited with 1:\nconntrack v1\.4\.7 \(conntrack-tools\): Operation failed: Permission denied/);
});

t.test('131,072 entries, 1 in 64 VPN: the sessions of /proc, in the memory of /proc, not of the listing', async (t) => {
  // The same entries in both formats: /proc prefixes the family.
  const count = 131072;
  const list: string[] = [];
  for (let i = 0; i < count; i++) {
    const client = `192.168.1.${10 + ((i >> 6) % 200)}`;
    const server = `198.51.${(i >> 8) & 255}.${i & 255}`;
    const [sport, dport] = i % 64 === 0 ? [4500, 4500] : [20000 + (i % 40000), 443];
    list.push(
      `udp      17 29 src=${client} dst=${server} sport=${sport} dport=${dport} packets=3 bytes=300 ` +
        `src=${server} dst=203.0.113.1 sport=${dport} dport=${1024 + (i % 60000)} packets=2 bytes=200 [ASSURED] mark=0 use=1`,
    );
  }
  writeFileSync(`${dir}/big.list`, list.join('\n') + '\n');
  writeFileSync(`${dir}/big.proc`, list.map((l) => `ipv4     2 ${l}`).join('\n') + '\n');
  const listing = readFileSync(`${dir}/big.list`).length;

  const fromList = cli(missing, fakeConntrack(`${dir}/big.list`), 'sessions');
  const fromProc = cli(`${dir}/big.proc`, null, 'sessions');
  t.equal(fromList.status, 0, fromList.stderr);
  const body = (out: string) => out.split('\n').slice(0, -2);
  t.equal(fromList.stdout.split('\n').length, 2048 + 4, 'a header, 2,048 sessions, a blank line, the summary');
  t.same(body(fromList.stdout), body(fromProc.stdout), 'row for row the sessions read from /proc');
  t.match(fromList.stdout, /2048 sessions from 200 clients \(131072 conntrack entries read from conntrack -L\)/);
  // Held whole, the listing alone would add its size (a QuickJS string of it).
  const extra = (fromList.kib - fromProc.kib) * 1024;
  t.ok(extra < listing / 4, `peak ${(fromList.kib / 1024).toFixed(1)} MiB from conntrack -L, ${(fromProc.kib / 1024).toFixed(1)} MiB from /proc; the listing is ${(listing / 1048576).toFixed(0)} MiB`);
});
