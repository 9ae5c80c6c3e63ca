// `vpn-passthrough sessions` and `doctor` on real 65,536-entry conntrack
// tables, next to `conntrack -L` and a plain `cat` of /proc/net/nf_conntrack
// (the kernel's share) on the same table in the same run, and `sessions`
// as on a kernel without that file (read through `conntrack -L`); then
// `sessions` on tables where every entry is a VPN flow, 4,096 to 65,536
// entries, to show that time per entry stays flat. Ratios, not seconds:
// machines differ.
//
// The kernel tables are real: crafted packets leave a scratch namespace
// through source NAT (bench/fill-conntrack.py), one in 64 a VPN flow as on
// a busy router, then one in 8, then every entry a VPN flow to its own
// server (doctor's worst case). Times are medians of interleaved runs: wall time, and CPU time
// (user + system, which a loaded machine disturbs less); memory is the peak
// resident size.
//
// Usage (root, after `make`): node bench/sessions.mjs [rounds]
// BASELINE=old.js also measures another bundle (e.g. from git show
// HEAD~1:dist/...) in the same runs, for before/after figures.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { copyBundle } from './bundle.mjs';

const rounds = Number(process.argv[2] ?? 5);
const ns = `vpt-bench-${process.pid}`;
const PYTHON = '/usr/bin/python3';
const BASELINE = process.env.BASELINE;
const dir = mkdtempSync(`${tmpdir()}/vpn-passthrough-bench-`);
const BUNDLE = process.env.BUNDLE ?? copyBundle(dir);
const inNs = (...argv) => {
  const r = spawnSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0 && !(r.status === 1 && argv.includes('doctor'))) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const qjs = (bundle, ...args) => ['build/qjs', '--std', '-m', bundle, ...args];

/** One run: wall time (ms), CPU time (ms), peak memory (KiB). */
function measure(argv, env = []) {
  const [ms, cpu, kib] = inNs('env', ...env, PYTHON, 'bench/measure.py', ...argv).trim().split(' ').map(Number);
  return { ms, cpu, kib };
}

/** Runs every program `rounds` times, interleaved; medians per program. */
function compare(programs, env = [], n = rounds) {
  const runs = Object.fromEntries(Object.keys(programs).map((k) => [k, []]));
  for (let i = 0; i < n; i++) for (const k of Object.keys(programs)) runs[k].push(measure(programs[k], env));
  const out = {};
  for (const k of Object.keys(runs)) {
    out[k] = { ms: median(runs[k].map((r) => r.ms)), cpu: median(runs[k].map((r) => r.cpu)), kib: Math.max(...runs[k].map((r) => r.kib)) };
  }
  return out;
}

const mib = (kib) => `${(kib / 1024).toFixed(1)} MiB`;
const ratio = (a, b) => `${(a.ms / b.ms).toFixed(2)}x wall, ${(a.cpu / Math.max(b.cpu, 1)).toFixed(2)}x CPU`;

function fill(count, every) {
  inNs('conntrack', '-F');
  inNs(PYTHON, 'bench/fill-conntrack.py', String(count), String(every));
  const rows = inNs('wc', '-l', '/proc/net/nf_conntrack').trim().split(' ')[0];
  if (rows !== String(count)) throw new Error(`the table holds ${rows} entries, not ${count}`);
}

function bundles() {
  return BASELINE ? { ours: BUNDLE, baseline: BASELINE } : { ours: BUNDLE };
}

function sessionsOnKernel(label) {
  const programs = { conntrack: ['conntrack', '-L'], cat: ['cat', '/proc/net/nf_conntrack'] };
  for (const [name, bundle] of Object.entries(bundles())) {
    programs[name] = qjs(bundle, 'sessions');
    programs[`${name} --json`] = qjs(bundle, '--json', 'sessions');
    // A kernel without /proc/net/nf_conntrack: the same table through conntrack -L (its time and memory included).
    programs[`${name} -L`] = ['env', 'VPN_PASSTHROUGH_CONNTRACK=/nonexistent', ...qjs(bundle, 'sessions')];
  }
  const r = compare(programs);
  const summary = inNs(...qjs(BUNDLE, 'sessions')).trim().split('\n').pop();
  console.log(`${label}: ${summary}`);
  console.log(`  conntrack -L:           ${r.conntrack.ms.toFixed(0)} ms (CPU ${r.conntrack.cpu} ms), peak ${mib(r.conntrack.kib)}`);
  console.log(`  cat (kernel's share):   ${r.cat.ms.toFixed(0)} ms (CPU ${r.cat.cpu} ms)`);
  for (const name of Object.keys(bundles())) {
    for (const k of [name, `${name} --json`]) {
      const what = `${k === name ? 'sessions' : 'sessions --json'}${name === 'baseline' ? ' (baseline)' : ''}`;
      console.log(`  ${what.padEnd(22)}  ${r[k].ms.toFixed(0)} ms (CPU ${r[k].cpu} ms), peak ${mib(r[k].kib)}; / conntrack -L: ${ratio(r[k], r.conntrack)}`);
    }
    const k = `${name} -L`;
    const what = `no /proc: sessions${name === 'baseline' ? ' (baseline)' : ''}`;
    console.log(
      `  ${what.padEnd(22)}  ${r[k].ms.toFixed(0)} ms (CPU ${r[k].cpu} ms), peak ${mib(r[k].kib)}; / conntrack -L: ${ratio(r[k], r.conntrack)}; ` +
        `peak / sessions from /proc: ${(r[k].kib / r[name].kib).toFixed(2)}x`,
    );
  }
}

function doctorOnKernel(label) {
  const programs = { conntrack: ['conntrack', '-L'] };
  for (const [name, bundle] of Object.entries(bundles())) programs[name] = qjs(bundle, 'doctor');
  // The baseline may take minutes here: one round of it.
  const r = compare(programs, [], BASELINE ? 1 : rounds);
  console.log(`${label}:`);
  console.log(`  conntrack -L:           ${r.conntrack.ms.toFixed(0)} ms (CPU ${r.conntrack.cpu} ms), peak ${mib(r.conntrack.kib)}`);
  for (const name of Object.keys(bundles())) {
    const what = `doctor${name === 'baseline' ? ' (baseline)' : ''}`;
    console.log(`  ${what.padEnd(22)}  ${r[name].ms.toFixed(0)} ms (CPU ${r[name].cpu} ms), peak ${mib(r[name].kib)}; / conntrack -L: ${ratio(r[name], r.conntrack)}`);
  }
}

/** A table where every entry is IPsec NAT-T from its own client to its own server: one session each. */
function allVpnTable(count) {
  const lines = [];
  for (let i = 0; i < count; i++) {
    const client = `192.168.${1 + ((i >> 8) % 250)}.${i % 256}`;
    const server = `198.51.${(i >> 8) & 255}.${i & 255}`;
    lines.push(
      `ipv4     2 udp      17 29 src=${client} dst=${server} sport=4500 dport=4500 packets=3 bytes=300 ` +
        `src=${server} dst=203.0.113.1 sport=4500 dport=${1024 + (i % 60000)} packets=2 bytes=200 [ASSURED] mark=0 zone=0 use=2`,
    );
  }
  const path = `${dir}/all-vpn-${count}`;
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

/** Time per entry at each size, as a ratio to the smallest: flat means linear. */
function linearity() {
  const sizes = [4096, 8192, 16384, 32768, 65536];
  const files = Object.fromEntries(sizes.map((n) => [n, allVpnTable(n)]));
  console.log('every entry a VPN flow (one session each), from a file; time per entry against 4,096 entries:');
  for (const [name, bundle] of Object.entries(bundles())) {
    for (const args of [['sessions'], ['--json', 'sessions']]) {
      const per = {};
      const peaks = {};
      for (const n of sizes) {
        if (name === 'baseline' && n > 32768) continue;
        const env = [`VPN_PASSTHROUGH_CONNTRACK=${files[n]}`, 'VPN_PASSTHROUGH_CONFIG=/nonexistent'];
        const r = compare({ run: qjs(bundle, ...args) }, env, name === 'baseline' ? 1 : Math.min(rounds, 3)).run;
        per[n] = r;
        peaks[n] = r.kib;
      }
      const base = per[sizes[0]];
      const cells = Object.keys(per).map((n) => `${n / 1024}k ${((per[n].cpu / n) / (base.cpu / sizes[0])).toFixed(2)}x (${per[n].cpu} ms, ${mib(peaks[n])})`);
      console.log(`  ${`${args.join(' ')}${name === 'baseline' ? ' (baseline)' : ''}`.padEnd(27)} ${cells.join('  ')}`);
    }
  }
}

execFileSync('ip', ['netns', 'add', ns]);
try {
  // One veth with a fixed neighbour: every crafted packet leaves without ARP.
  inNs('ip', 'link', 'add', 'd0', 'type', 'veth', 'peer', 'name', 'd1');
  inNs('ip', 'addr', 'add', '172.31.0.1/30', 'dev', 'd0');
  for (const dev of ['d0', 'd1', 'lo']) inNs('ip', 'link', 'set', dev, 'up');
  inNs('ip', 'neigh', 'add', '172.31.0.2', 'lladdr', '02:00:00:00:00:02', 'dev', 'd0');
  inNs('ip', 'route', 'add', '10.0.0.0/8', 'via', '172.31.0.2');
  // A rule that needs conntrack makes the kernel track this namespace; the
  // packets leave with the router's address, as from a LAN (doctor then
  // judges IPsec through NAT), but GRE, which this kernel drops when
  // translating plain (version 0) GRE.
  inNs('nft', 'add table ip bench; add chain ip bench out { type filter hook output priority 0; }; add rule ip bench out ct state new counter');
  inNs('nft', 'add chain ip bench post { type nat hook postrouting priority srcnat; }; add rule ip bench post oifname "d0" ip protocol != gre snat to 172.31.0.1');
  const timeouts = ['udp_timeout', 'tcp_timeout_syn_sent', 'gre_timeout', 'generic_timeout'].map((t) => `net.netfilter.nf_conntrack_${t}=3600`);
  inNs('sysctl', '-q', 'net.netfilter.nf_conntrack_acct=1', 'net.netfilter.nf_conntrack_checksum=0', ...timeouts);
  fill(65536, 64);
  sessionsOnKernel('65,536 entries, 1 in 64 VPN');
  fill(65536, 8);
  sessionsOnKernel('65,536 entries, 1 in 8 VPN');
  fill(65536, 1);
  doctorOnKernel('65,536 entries, every one VPN (PPTP, GRE, IKE, NAT-T, L2TP, ESP in turn), each to its own server');
  linearity();
} finally {
  spawnSync('ip', ['netns', 'del', ns]);
  rmSync(dir, { recursive: true, force: true });
}
