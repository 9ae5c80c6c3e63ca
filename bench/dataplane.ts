// What our table costs the traffic a router forwards, whether it is VPN
// traffic or not: from a LAN client through the lab's NAT router (the
// firewall4-like table of lab/topology.ts) to a WAN server, with our table
// (the shipped config, loaded by the bundle's `apply` under qjs) against
// the same router without it. Each stream runs with and without back to
// back, alternating which goes first, in this run; printed: the median of
// the pairs' ratios and the middle half of them (what a pair is worth on
// this machine). Ratios, not rates: machines differ.
//
// - TCP throughput: iperf3, bulk transfer (few, large packets: GSO).
// - 64-byte UDP, IPsec NAT-T (UDP 4500) and plain GRE packet rates:
//   bench/flood.py sends as fast as one process can, the server counts what
//   arrives. Ordinary UDP crosses our forward chain unmatched; NAT-T and
//   GRE are matched and counted (the bench checks our counters moved).
//   Each flow got a reply first, so conntrack holds it as established.
//
// Two figures each: throughput, and the same per CPU second of the
// programs at both ends. On a veth path the router's forwarding runs in the
// sender's softirq context and this kernel charges it to the sender, so
// the second is the per-packet cost, and steadier on a loaded machine.
//
// Usage (root, after `make`): make bench, or
//   npx esbuild bench/dataplane.ts --bundle --platform=node --format=esm --outfile=build/dataplane.mjs
//   node build/dataplane.mjs [pairs per stream, default 10]

import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { bundleFiles, PYTHON, QJS, ROOT } from '../lab/paths.ts';
import { SERVER, makeLab, type Lab } from '../lab/topology.ts';
import { until } from '../lab/wait.ts';

const rounds = Number(process.argv[2] ?? 10);
const SECONDS = 1;

/** One run: bits or packets delivered, the seconds it took, and the CPU seconds of the programs at both ends. */
interface Run {
  amount: number;
  seconds: number;
  cpu: number;
}

interface Stream {
  name: string;
  run: (lab: Lab) => Run;
  /** Our table's part that matches it (status --json), if one does. */
  part?: string;
}

interface IperfResult {
  end: {
    sum_received: { bytes: number; seconds: number };
    cpu_utilization_percent: { host_total: number; remote_total: number };
  };
}

/** TCP: bits the server received; CPU of both iperf3 ends (the router's forwarding runs in their softirq context). */
function tcp(lab: Lab): Run {
  const r = lab.clients[0].run(['iperf3', '-J', '-t', String(SECONDS), '-c', SERVER], { timeout: (SECONDS + 20) * 1000 });
  if (r.status !== 0) throw new Error(`iperf3: ${r.stdout.slice(0, 500)} ${r.stderr}`);
  const { sum_received: sum, cpu_utilization_percent: cpu } = (JSON.parse(r.stdout) as IperfResult).end;
  return { amount: sum.bytes * 8, seconds: sum.seconds, cpu: ((cpu.host_total + cpu.remote_total) / 100) * sum.seconds };
}

// The server's firewall counts and drops the floods' 64-byte packets (IP
// lengths 92 for UDP, 84 for GRE) before they reach its echo; the echo
// answers the rest (flood.py's first round trip).
const SINK = `table ip sink {
	counter udp_flood {}
	counter natt_flood {}
	counter gre_flood {}
	chain prerouting {
		type filter hook prerouting priority 0; policy accept;
		ip length 92 udp dport 9 counter name udp_flood drop
		ip length 92 udp dport 4500 counter name natt_flood drop
		ip length 84 ip protocol gre counter name gre_flood drop
	}
}
`;

/** Packets the server received from one flood.py sender (kind: udp PORT, or gre), counted by SINK. */
function flood(counter: string, ...kind: string[]): (lab: Lab) => Run {
  return (lab) => {
    lab.server.sh('nft', 'reset', 'counter', 'ip', 'sink', counter);
    const [, seconds, cpu] = lab.clients[0].sh(PYTHON, `${ROOT}bench/flood.py`, 'send', SERVER, ...kind, String(SECONDS)).trim().split(' ').map(Number);
    const listed = JSON.parse(lab.server.sh('nft', '-j', 'list', 'counter', 'ip', 'sink', counter)).nftables;
    return { amount: listed.find((o: { counter?: unknown }) => o.counter).counter.packets, seconds, cpu };
  };
}

const STREAMS: Stream[] = [
  { name: 'TCP throughput (iperf3)', run: tcp },
  { name: 'UDP packet rate (64 bytes)', run: flood('udp_flood', 'udp', '9') },
  { name: 'IPsec NAT-T (UDP 4500) packet rate', run: flood('natt_flood', 'udp', '4500'), part: 'natt' },
  { name: 'plain GRE packet rate', run: flood('gre_flood', 'gre'), part: 'gre' },
];

interface Part {
  name: string;
  passed: { packets: number };
}

/** The median of the pairs' ratios, and the middle half of them (how far one pair can be trusted here). */
function ratio(a: number[], b: number[]): string {
  const pairs = a.map((x, i) => x / b[i]).sort((x, y) => x - y);
  const at = (f: number) => pairs[Math.round(f * (pairs.length - 1))].toFixed(2);
  return `${pairs[Math.floor(pairs.length / 2)].toFixed(3)}x (${at(0.25)}-${at(0.75)})`;
}

/**
 * `vpn-passthrough <args>` in the router, from a copy of the bundle made at
 * the start (a rebuild of dist/ during the run cannot take it away).
 */
function cli(lab: Lab, ...args: string[]) {
  return lab.router.run([QJS, '--std', '-m', `${lab.box.dir}/vpn-passthrough.js`, ...args], { env: lab.box.env });
}

/** Our table was in the path: the part's passed counter moved. */
function passedOurTable(lab: Lab, name: string): void {
  const parts: Part[] = JSON.parse(cli(lab, '--json', 'status').stdout).protocols.flatMap((p: { parts: Part[] }) => p.parts);
  if (!(parts.find((p) => p.name === name)!.passed.packets > 0)) throw new Error(`our table counted no ${name} packets`);
}

async function main(): Promise<void> {
  const lab = makeLab({ clients: 1 });
  try {
    writeFileSync(lab.box.config, readFileSync(`${ROOT}files/etc/config/vpn-passthrough`));
    for (const f of bundleFiles()) copyFileSync(`${ROOT}dist/${f}`, `${lab.box.dir}/${f}`);
    lab.server.sh('nft', SINK);
    lab.server.start(['iperf3', '-s']);
    for (const kind of [['udp', '9'], ['udp', '4500'], ['gre']]) lab.server.start([PYTHON, `${ROOT}bench/flood.py`, 'echo', ...kind]);
    const listening = () => {
      const sockets = lab.server.run(['ss', '-Hanutlw']).stdout;
      return ['*:5201 ', '0.0.0.0:9 ', '0.0.0.0:4500 ', '0.0.0.0:47 '].every((s) => sockets.includes(s));
    };
    if (!(await until(listening, 5000))) throw new Error('the servers did not start');

    const states = {
      with: () => {
        const r = cli(lab, 'apply');
        if (r.status !== 0) throw new Error(`apply: ${r.stderr}`);
      },
      // Whether or not it is there: added (empty) first, as our scripts do.
      without: () => void lab.router.sh('nft', 'add table inet vpn_passthrough; delete table inet vpn_passthrough'),
    };
    // Each stream with and without the table back to back (alternating
    // which goes first), so that both runs of a pair see the same load.
    const runs: Record<string, { with: Run[]; without: Run[] }> = {};
    for (const s of STREAMS) runs[s.name] = { with: [], without: [] };
    for (let i = 0; i < rounds; i++) {
      for (const s of STREAMS) {
        for (const state of i % 2 === 0 ? (['with', 'without'] as const) : (['without', 'with'] as const)) {
          states[state]();
          runs[s.name][state].push(s.run(lab));
          if (i === 0 && state === 'with' && s.part) passedOurTable(lab, s.part);
        }
      }
    }

    console.log(`data plane through the lab's NAT router, with our table (shipped config, loaded by apply) / without, ${rounds} pairs of ${SECONDS} s runs (goal: 0.98x or more):`);
    console.log(`  ${''.padEnd(36)} ${'throughput'.padEnd(21)} per CPU second`);
    for (const s of STREAMS) {
      const { with: a, without: b } = runs[s.name];
      const rate = (r: Run) => r.amount / r.seconds;
      const perCpu = (r: Run) => r.amount / r.cpu;
      console.log(`  ${`${s.name}:`.padEnd(36)} ${ratio(a.map(rate), b.map(rate)).padEnd(21)} ${ratio(a.map(perCpu), b.map(perCpu))}`);
    }
  } finally {
    lab.remove();
  }
}

await main();
