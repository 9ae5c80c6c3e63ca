// `vpn-passthrough sessions` on a 65,536-entry conntrack table, next to
// `conntrack -L` and a plain `cat` of /proc/net/nf_conntrack (the kernel's
// share) on the same table in the same run. The table is real: crafted
// packets leave a scratch namespace (bench/fill-conntrack.py), one in 64 a
// VPN flow as on a busy router; a second table has one in 8.
// Usage (root, after `make`): node bench/sessions.mjs [rounds]

import { execFileSync, spawnSync } from 'node:child_process';

const rounds = Number(process.argv[2] ?? 7);
const ns = `vpt-bench-${process.pid}`;
const PYTHON = '/usr/bin/python3';
const inNs = (...argv) => {
  const r = spawnSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median wall time (ms) and peak memory (KiB) over the rounds, runs interleaved by the caller. */
function measure(argv) {
  const [ms, kib] = inNs(PYTHON, 'bench/measure.py', ...argv).trim().split(' ').map(Number);
  return { ms, kib };
}

function fill(every) {
  inNs('conntrack', '-F');
  inNs(PYTHON, 'bench/fill-conntrack.py', '65536', String(every));
  const rows = inNs('wc', '-l', '/proc/net/nf_conntrack').trim().split(' ')[0];
  if (rows !== '65536') throw new Error(`the table holds ${rows} entries, not 65536`);
}

function compare(label) {
  const runs = { ours: [], conntrack: [], cat: [] };
  const argv = {
    ours: ['build/qjs', '--std', '-m', 'dist/vpn-passthrough.js', 'sessions'],
    conntrack: ['conntrack', '-L'],
    cat: ['cat', '/proc/net/nf_conntrack'],
  };
  for (let i = 0; i < rounds; i++) for (const k of Object.keys(runs)) runs[k].push(measure(argv[k]));
  const ms = (k) => median(runs[k].map((r) => r.ms));
  const kib = (k) => Math.max(...runs[k].map((r) => r.kib));
  const summary = inNs(...argv.ours).trim().split('\n').pop();
  console.log(`${label}: ${summary}`);
  console.log(`  sessions under qjs:   ${ms('ours').toFixed(0)} ms, peak ${(kib('ours') / 1024).toFixed(1)} MiB`);
  console.log(`  conntrack -L:         ${ms('conntrack').toFixed(0)} ms, peak ${(kib('conntrack') / 1024).toFixed(1)} MiB`);
  console.log(`  cat (kernel's share): ${ms('cat').toFixed(0)} ms`);
  console.log(`  ratio sessions / conntrack -L: ${(ms('ours') / ms('conntrack')).toFixed(2)}x time, ${(kib('ours') / kib('conntrack')).toFixed(2)}x memory`);
}

execFileSync('ip', ['netns', 'add', ns]);
try {
  // One veth with a fixed neighbour: every crafted packet leaves without ARP.
  inNs('ip', 'link', 'add', 'd0', 'type', 'veth', 'peer', 'name', 'd1');
  inNs('ip', 'addr', 'add', '172.31.0.1/30', 'dev', 'd0');
  for (const dev of ['d0', 'd1', 'lo']) inNs('ip', 'link', 'set', dev, 'up');
  inNs('ip', 'neigh', 'add', '172.31.0.2', 'lladdr', '02:00:00:00:00:02', 'dev', 'd0');
  inNs('ip', 'route', 'add', '10.0.0.0/8', 'via', '172.31.0.2');
  // A rule that needs conntrack makes the kernel track this namespace.
  inNs('nft', 'add table ip bench; add chain ip bench out { type filter hook output priority 0; }; add rule ip bench out ct state new counter');
  const timeouts = ['udp_timeout', 'tcp_timeout_syn_sent', 'gre_timeout', 'generic_timeout'].map((t) => `net.netfilter.nf_conntrack_${t}=3600`);
  inNs('sysctl', '-q', 'net.netfilter.nf_conntrack_acct=1', 'net.netfilter.nf_conntrack_checksum=0', ...timeouts);
  fill(64);
  compare('65,536 entries, 1 in 64 VPN');
  fill(8);
  compare('65,536 entries, 1 in 8 VPN');
} finally {
  spawnSync('ip', ['netns', 'del', ns]);
}
