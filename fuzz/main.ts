// `make fuzz`: at least 10,000 inputs per interface (config file, CLI set,
// rpcd call) against the reference, odd config paths and linear time; prints
// the figures and writes failing inputs for reproduction. Root (network
// namespaces). Options, also as make variables:
//   --seed N        FUZZ_SEED     (default: random; printed)
//   --count N       FUZZ_COUNT    inputs per interface (default 10000)
//   --jobs N        FUZZ_JOBS     workers, one network namespace each (default 4:
//                                 runs wait on the bundle's sync, so 4 beat 2 on 2 cores)
//   --only LIST     FUZZ_ONLY     config,cli,rpcd,odd,linear (default: all)
//   --replay I:N    FUZZ_REPLAY   run one input, e.g. cli:123, with the same seed
//   --out DIR       FUZZ_OUT      (default build/fuzz/<seed>)

import { randomInt } from 'node:crypto';
import { canNetns } from '../lab/netns.ts';
import { ROOT } from '../lab/paths.ts';
import { CATEGORIES, formatReport, runFuzz, sampleFailures, type Iface } from './harness.ts';

const args = process.argv.slice(2);
const opt = (name: string, env: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : process.env[env] || undefined;
};

if (canNetns !== true) {
  console.error(`fuzz: needs network namespaces (${canNetns}); run as root`);
  process.exit(2);
}
const seed = Number(opt('seed', 'FUZZ_SEED') ?? randomInt(1, 2 ** 31));
const n = Number(opt('count', 'FUZZ_COUNT') ?? 10_000);
const only = (opt('only', 'FUZZ_ONLY') ?? 'config,cli,rpcd,odd,linear').split(',');
const replay = opt('replay', 'FUZZ_REPLAY');
const replayed = replay ? { iface: replay.split(':')[0] as Iface, index: Number(replay.split(':')[1]) } : undefined;
if (replayed && (!['config', 'cli', 'rpcd'].includes(replayed.iface) || !Number.isInteger(replayed.index))) {
  console.error(`fuzz: FUZZ_REPLAY is interface:index, e.g. cli:123, not ${replay}`);
  process.exit(2);
}
const wanted = (iface: Iface) => (replayed ? (replayed.iface === iface ? 1 : 0) : only.includes(iface) ? n : 0);
const count: Record<Iface, number> = { config: wanted('config'), cli: wanted('cli'), rpcd: wanted('rpcd') };
const out = opt('out', 'FUZZ_OUT') ?? `${ROOT}build/fuzz/${seed}`;

console.log(
  replayed
    ? `vpn-passthrough fuzz: replaying ${replay} of seed ${seed}`
    : `vpn-passthrough fuzz: seed ${seed} (FUZZ_SEED=${seed} repeats this run), ${n} inputs per interface`,
);
const started = Date.now();
const report = await runFuzz({
  seed,
  count,
  jobs: Number(opt('jobs', 'FUZZ_JOBS') ?? 4),
  qjsEvery: 1,
  applyEvery: 10,
  out,
  linear: only.includes('linear'),
  oddFiles: only.includes('odd'),
  keep: 3,
  log: (line) => console.log(line),
  replay: replayed,
});
console.log('');
console.log(formatReport(report, count));
for (const c of CATEGORIES) {
  const fails = report.failures.filter((f) => f.category === c.id);
  if (fails.length === 0) continue;
  console.log(`\n${c.id}: ${c.title}${c.item ? ` — issue 10 item ${c.item}` : ''}`);
  console.log(sampleFailures(fails, replay ? 100 : 2));
}
console.log(`\n${report.failures.length} failures in ${((Date.now() - started) / 1000).toFixed(0)} s; seed ${seed}`);
process.exit(report.failures.length > 0 ? 1 : 0);
