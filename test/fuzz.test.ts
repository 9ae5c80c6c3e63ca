// The bounded share of `make fuzz` (fuzz/): 1,000 seeded inputs per
// interface — config files, CLI `set` command lines, rpcd `call` payloads —
// judged against the independent reference (fuzz/reference.ts), plus odd
// config paths and linear time. Config files go through src/core on Node
// (every input) and the bundle under qjs (every third, and every one with
// non-UTF-8 bytes, since the bytes are the bundle's to read); set and call
// run under qjs in network namespaces, so applies load real tables.
//
// One assertion per category; a category is one input family, so each
// failing one is exactly one defect. Those open today are todo, naming the
// issue item; remove the entry from TODO when its fix lands. A failing
// input is written to build/fuzz/test-<seed>/ with a replay command, and
// FUZZ_SEED=<n> runs another seed.

import t from 'tap';
import { canNetns } from '../lab/netns.ts';
import { CATEGORIES, formatReport, runFuzz, sampleFailures, type Iface } from '../fuzz/harness.ts';
import { ROOT } from './lib/paths.ts';

const skip = canNetns === true ? false : canNetns;
const SEED = Number(process.env.FUZZ_SEED ?? 20251010);
const COUNT = 1000;

/** Categories failing on today's main, each with the defect it shows. */
const TODO: Record<string, string> = {};

t.test('fuzz: config, CLI set and rpcd call against the reference', { skip }, async (t) => {
  const count: Record<Iface, number> = { config: COUNT, cli: COUNT, rpcd: COUNT };
  const started = Date.now();
  const report = await runFuzz({
    seed: SEED,
    count,
    jobs: 4,
    qjsEvery: 3,
    applyEvery: 10,
    out: `${ROOT}build/fuzz/test-${SEED}`,
    linear: true,
    oddFiles: true,
    keep: 3,
    log: () => {},
    budget: 60,
  });
  t.comment(`seed ${SEED}, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  for (const line of formatReport(report, count).split('\n')) t.comment(line);
  for (const c of CATEGORIES) {
    const fails = report.failures.filter((f) => f.category === c.id);
    t.ok((report.inputsPerCategory[c.id] ?? 0) > 0, `${c.id}: inputs were generated`);
    const todo = TODO[c.id];
    t.equal(fails.length, 0, `${c.id}: ${c.title}${fails.length ? `\n${sampleFailures(fails)}` : ''}`, todo ? { todo } : {});
  }
  for (const id of Object.keys(TODO)) t.ok(CATEGORIES.some((c) => c.id === id), `TODO names a category: ${id}`);
});
