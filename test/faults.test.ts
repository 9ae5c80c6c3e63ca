// Fault matrix (issue 10, "Build"): the bundle under the real QuickJS
// 2021-03-27 in a network namespace, with the real nft, meeting the faults a
// router meets: a read-only config directory; nft killed before its load, at
// random moments during it, and after the kernel committed it; a load that
// fails once; the disk filling up while a load fails;
// SIGKILL of `set` and `apply` at seeded random moments; concurrent sets and
// applies; firewall4 flushing the ruleset while applies run, followed by our
// firewall include. After each: the config parses and holds the old or the
// new settings, the table is the config's or the old one, and the next plain
// `apply` works (exit 0, loading the config's table); a `set` killed after
// its table loaded leaves its new file waiting, which the next operation
// puts in place.
//
// Covered elsewhere, so not repeated here: a full disk during `set`
// (test/config-file.test.ts, 'a full disk: the old file stays whole and
// nothing is applied'); nft missing and nft failing on load
// (test/cli.test.ts, 'nft missing changes nothing', 'nft failing after its
// check changes nothing'); stale and foreign locks (test/cli.test.ts); the
// include waiting for a live lock holder (test/package.test.ts).
//
// "The table is the config's": `vpn-passthrough render` in the same
// environment, loaded by nft into a scratch namespace and listed there,
// compared with the tested namespace's listing (no traffic flows, so every
// counter is zero in both). For the kills, the tables of the two configs
// they move between (A, B) are recorded first and compared byte for byte.
//
// Delays come from a seeded PRNG whose seed is printed; FAULT_SEED=<n>
// repeats the delays (where a kill lands still depends on the machine's
// timing, which is why run times are measured in the same run and no
// assertion depends on an absolute time).

import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { canNetns, makeNetns, type Netns } from '../lab/netns.ts';
import { makeSandbox } from '../lab/sandbox.ts';
import { bundleFiles, QJS, ROOT } from './lib/paths.ts';

const skip = canNetns === true ? false : canNetns;
const SHIPPED = readFileSync(`${ROOT}files/etc/config/vpn-passthrough`, 'utf8');
const SEED = process.env.FAULT_SEED ? Number(process.env.FAULT_SEED) >>> 0 : (Date.now() ^ (process.pid << 12)) >>> 0;
const KILLS = 50;

/** mulberry32: small, seeded, good enough for delays. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** n delays over [0, span): one in each n-th of it, in random order. */
function spread(n: number, span: number, rnd: () => number): number[] {
  const d = Array.from({ length: n }, (_, i) => (span * (i + rnd())) / n);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [d[i], d[j]] = [d[j], d[i]];
  }
  return d;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const ms = (x: number) => `${x.toFixed(1)} ms`;

interface Ended {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  started: number;
  ended: number;
}

interface Started {
  /** Also its process group: `ip netns exec` execs the program in place. */
  pid: number;
  ended: Promise<Ended>;
}

/** Starts argv in the namespace in a process group of its own, without waiting. */
function startIn(ns: Netns, argv: string[], env: NodeJS.ProcessEnv): Started {
  const started = performance.now();
  const child = spawn('ip', ['netns', 'exec', ns.name, ...argv], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b) => (stdout += b));
  child.stderr!.on('data', (b) => (stderr += b));
  const ended = new Promise<Ended>((resolve) => {
    child.on('error', (e) => resolve({ status: -1, signal: null, stdout, stderr: String(e), started, ended: performance.now() }));
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr, started, ended: performance.now() }));
  });
  return { pid: child.pid!, ended };
}

function sigkill(pid: number, group: boolean): void {
  try {
    process.kill(group ? -pid : pid, 'SIGKILL');
  } catch {
    // already ended
  }
}

/**
 * Waits until nothing of the process group runs any more: a killed qjs's nft
 * or sync runs on. Zombies have ended (whoever adopted them reaps them late).
 */
async function drained(pgid: number): Promise<void> {
  const running = () => spawnSync('ps', ['-o', 'stat=', '-g', String(pgid)], { encoding: 'utf8' }).stdout.split('\n').some((s) => s.trim() !== '' && !s.startsWith('Z'));
  for (let i = 0; i < 500 && running(); i++) await sleep(5);
}

/** section name -> option -> value (option) or values (list), as the config file holds them. */
function readUci(text: string): Map<string, Map<string, string | string[]>> {
  const sections = new Map<string, Map<string, string | string[]>>();
  let current: Map<string, string | string[]> | undefined;
  for (const line of text.split('\n')) {
    const section = /^config\s+\S+\s+'([^']*)'\s*$/.exec(line);
    if (section) {
      current = sections.get(section[1]) ?? new Map();
      sections.set(section[1], current);
      continue;
    }
    const option = /^\s+(option|list)\s+(\w+)\s+'([^']*)'\s*$/.exec(line);
    if (!option || !current) continue;
    const previous = current.get(option[2]);
    current.set(option[2], option[1] === 'option' ? option[3] : [...(Array.isArray(previous) ? previous : []), option[3]]);
  }
  return sections;
}

t.test('fault matrix', { skip }, async (t) => {
  const ns = makeNetns('fault');
  const ref = makeNetns('fref');
  const box = makeSandbox(ns);
  t.teardown(() => {
    box.remove();
    ref.remove();
    ns.remove();
  });
  t.comment(`seed ${SEED} (FAULT_SEED=${SEED} repeats these delays)`);
  const rnd = prng(SEED);
  // The bundle as built when this test started, so a rebuild meanwhile cannot cut a run in two.
  const bundle = `${box.dir}/vpn-passthrough.js`;
  for (const f of bundleFiles()) copyFileSync(`${ROOT}dist/${f}`, `${box.dir}/${f}`);
  const CLI = [QJS, '--std', '-m', bundle];
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => ns.run([...CLI, ...args], { env: { ...box.env, ...env } });

  const bin = `${box.dir}/bin`;
  mkdirSync(`${bin}/init.d`, { recursive: true });
  const script = (name: string, text: string) => {
    writeFileSync(`${bin}/${name}`, `#!/bin/sh\n${text}`);
    chmodSync(`${bin}/${name}`, 0o755);
    return `${bin}/${name}`;
  };
  // Listings (`-j`: status) and checks (`-c`) always go to the real nft; loads are `-f -`.
  const passChecks = 'case "$1" in -c|-j) exec nft "$@" ;; esac\n';
  const nftKilledOnLoad = script('nft-killed-on-load', `# Dies by SIGKILL when asked to load, before loading anything.\n${passChecks}kill -KILL $$\n`);
  const nftKilledDuringLoad = script(
    'nft-killed-during-load',
    `# The real nft's load, SIGKILLed after FAULT_NFT_KILL_AFTER seconds unless it ended first;\n# then this wrapper dies by SIGKILL too, as nft would have.\n${passChecks}` +
      'timeout --foreground -s KILL "$FAULT_NFT_KILL_AFTER" nft "$@"\nrc=$?\ncase $rc in 124|137) kill -KILL $$ ;; esac\nexit $rc\n',
  );
  const nftKilledAfterLoad = script('nft-killed-after-load', `# The real nft's load runs to its end (committed); then SIGKILL, as if nft died on its way out.\n${passChecks}nft "$@"\nkill -KILL $$\n`);
  const nftWithoutHelper = script(
    'nft-without-helper',
    `# A kernel without the PPTP helper: it refuses a table that declares one.\n${passChecks}script=$(cat)\n` +
      'case "$script" in *"ct helper pptp {"*) echo "Error: Could not process rule: No such file or directory" >&2; exit 1 ;; esac\n' +
      'printf "%s\\n" "$script" | nft "$@"\n',
  );
  const nftFailsOnce = script(
    'nft-fails-once',
    `# One load fails as a kernel short of memory refuses it; the next ones are the real nft's.\n${passChecks}` +
      'if [ ! -e "$FAULT_ONCE" ]; then : >"$FAULT_ONCE"; cat >/dev/null; echo "Error: Could not process rule: Cannot allocate memory" >&2; exit 1; fi\nexec nft "$@"\n',
  );
  const nftFillsDiskOnLoad = script(
    'nft-fills-disk-on-load',
    `# A load that fails, while something fills the disk ($FAULT_FILL) meanwhile.\n${passChecks}cat >/dev/null\n` +
      'dd if=/dev/zero of="$FAULT_FILL" bs=4096 2>/dev/null\necho "Error: Could not process rule: Cannot allocate memory" >&2\nexit 1\n',
  );

  const cfg = () => readFileSync(box.config, 'utf8');
  // Each load marks the table with its own token after the config's stamp
  // (the counter loaded_from), and a load that makes the usage record's sets
  // with the time since boot (later loads keep them); tables are compared
  // without either.
  const unmarked = (table: string) =>
    table.replace(/(comment "config [0-9a-f]+) load [0-9a-z]+"/, '$1"').replace(/record begun at uptime \d+ s/g, 'record begun at uptime N s');
  const list = (n: Netns = ns): string | null => {
    const r = n.run(['nft', 'list', 'table', 'inet', 'vpn_passthrough']);
    return r.status === 0 ? unmarked(r.stdout) : null;
  };
  const refTables = new Map<string, string | null>();
  /** The table `render` gives for the config as it is now, as nft lists it after loading it in the scratch namespace. */
  const expected = (env: NodeJS.ProcessEnv = {}): string | null => {
    const r = cli(['render'], env);
    if (r.status !== 0) throw new Error(`render exited ${r.status}: ${r.stderr}`);
    if (!refTables.has(r.stdout)) {
      const load = ref.run(['nft', '-f', '-'], { input: r.stdout });
      if (load.status !== 0) throw new Error(`scratch namespace: nft -f of the rendered script: ${load.stderr}`);
      refTables.set(r.stdout, list(ref));
    }
    return refTables.get(r.stdout)!;
  };
  /** Temporary files a killed run left: next to the config (`set`'s new file) and in TMPDIR (exec's stdin/stderr). */
  const leftovers = () => {
    const names = readdirSync(box.dir);
    // The pending file of a set cut short is not litter: the next operation under the lock finishes or drops it.
    const config = names.filter((n) => /^vpn-passthrough\.vpn-passthrough-/.test(n) && !n.endsWith('-pending'));
    const exec = names.filter((n) => /^vpn-passthrough\.\d+\.\w+\.(in|err)$/.test(n));
    for (const n of [...config, ...exec]) unlinkSync(`${box.dir}/${n}`);
    return { config: config.length, exec: exec.length };
  };
  const lockLeft = () => {
    try {
      return lstatSync(`${box.dir}/lock`).isSymbolicLink();
    } catch {
      return false;
    }
  };

  // The two states every kill moves between: A is the shipped config, B the
  // same with PPTP blocked; their tables are recorded once, and the run
  // times of set and apply measured, here and now.
  const A = SHIPPED;
  writeFileSync(box.config, A);
  t.equal(cli(['apply']).status, 0, 'the shipped config applies');
  const tA = list()!;
  t.equal(tA, expected(), "A's table is what render gives for A");
  // Timed as the kills below start them (asynchronously, in a process group).
  const timed = async (args: string[]) => {
    const end = await startIn(ns, [...CLI, ...args], box.env).ended;
    t.equal(end.status, 0, `${args.join(' ')}: exit 0`);
    return end.ended - end.started;
  };
  const setMs: number[] = [];
  const applyMs: number[] = [];
  let B = '';
  let tB = '';
  for (let i = 0; i < 3; i++) {
    setMs.push(await timed(['set', 'pptp', 'block']));
    if (i === 0) {
      B = cfg();
      tB = list()!;
      t.match(readUci(B).get('pptp')?.get('mode'), 'block', 'B blocks PPTP');
      t.equal(tB, expected(), "B's table is what render gives for B");
      t.not(tB, tA);
    }
    t.equal(cfg(), B, 'set pptp block always writes B');
    setMs.push(await timed(['set', 'pptp', 'allow']));
    t.equal(cfg(), A, 'set pptp allow writes A back byte for byte');
    for (const [text, tNew] of [[B, tB], [A, tA]]) {
      writeFileSync(box.config, text);
      applyMs.push(await timed(['apply']));
      t.equal(list(), tNew);
    }
  }
  const T = { set: median(setMs), apply: median(applyMs) };
  // A's table as a kernel without the PPTP helper gets it: what apply loads
  // when its first load fails (it then takes the helper for missing).
  writeFileSync(box.config, A);
  const noHelper = cli(['apply'], { VPN_PASSTHROUGH_NFT: nftWithoutHelper });
  t.equal(noHelper.status, 0, 'A applies on a kernel without the PPTP helper');
  const tA0 = list()!;
  t.notMatch(tA0, /ct helper/, 'without the helper');
  t.not(tA0, tA);
  t.comment(`run time here: set ${ms(T.set)}, apply ${ms(T.apply)} (medians of ${setMs.length})`);
  t.equal(cli(['check']).status, 0, 'A parses');
  writeFileSync(box.config, B);
  t.equal(cli(['check']).status, 0, 'B parses');
  writeFileSync(box.config, A);
  t.equal(cli(['apply']).status, 0);
  leftovers();

  const tableOf = (text: string) => (text === A ? tA : text === B ? tB : undefined);
  const configName = (text: string) => (text === A ? 'A' : text === B ? 'B' : 'other');
  const tableName = (table: string | null) =>
    table === tA ? 'A' : table === tA0 ? "A's without the helper" : table === tB ? 'B' : table === null ? 'missing' : 'other';

  t.test('a read-only config directory: set fails saying so and changes nothing; apply works', async (t) => {
    const dir = `${box.dir}/ro`;
    mkdirSync(dir);
    const config = `${dir}/vpn-passthrough`;
    writeFileSync(config, B);
    const env = { VPN_PASSTHROUGH_CONFIG: config };
    t.equal(cli(['apply'], env).status, 0);
    const before = list();
    t.equal(before, tB);
    // The directory bound read-only onto itself in a private mount namespace of this one command.
    const readOnly = (args: string[]) =>
      ns.run(['unshare', '-m', '--propagation', 'private', 'sh', '-c', 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" || exit 99; shift; exec "$@"', 'sh', dir, ...CLI, ...args], {
        env: { ...box.env, ...env },
      });
    const lift = readOnly(['set', 'pptp', 'allow']);
    t.equal(lift.status, 1, 'set pptp allow: exit 1');
    t.match(lift.stderr, new RegExp(`cannot create ${dir}/vpn-passthrough\\.vpn-passthrough-\\w+: Read-only file system`), 'saying the directory is read-only');
    const json = readOnly(['--json', 'set', 'l2tp.client', '192.168.1.20']);
    t.equal(json.status, 1);
    t.match(JSON.parse(json.stdout).error, { code: 'failed', message: /Read-only file system/ }, '--json: the same, as JSON');
    t.equal(readFileSync(config, 'utf8'), B, 'the config is byte-identical: PPTP still blocked');
    t.equal(list(), before, 'the table is byte-identical');
    t.same(readdirSync(dir), ['vpn-passthrough'], 'nothing else in the directory');
    t.equal(readOnly(['apply']).status, 0, 'apply reads a read-only config fine');
    t.equal(list(), tB);
    writeFileSync(`${dir}/probe`, 'x');
    unlinkSync(`${dir}/probe`);
    t.pass('the read-only mount stayed in its private namespace');
    t.equal(cli(['apply']).status, 0, 'the next apply works');
    t.equal(list(), tA);
    t.same(leftovers(), { config: 0, exec: 0 }, 'no temporary file left');
  });

  t.test('nft killed by SIGKILL before its load: exit 1, nothing changed', async (t) => {
    const env = { VPN_PASSTHROUGH_NFT: nftKilledOnLoad };
    t.equal(list(), tA);
    const set = cli(['set', 'pptp', 'block'], env);
    t.equal(set.status, 1, 'set: exit 1');
    t.match(set.stderr, `${nftKilledOnLoad} -f - exited with 137`, 'naming nft and its death by signal 9');
    t.equal(cfg(), A, 'the config is put back');
    t.equal(list(), tA, 'the table is byte-identical');
    writeFileSync(box.config, B);
    const apply = cli(['apply'], env);
    t.equal(apply.status, 1, 'apply of an edited config: exit 1');
    t.match(apply.stderr, 'exited with 137');
    t.equal(list(), tA, 'the table is byte-identical');
    t.equal(cli(['apply']).status, 0, 'the next apply (real nft) works');
    t.equal(list(), tB, "and loads the config's table");
    writeFileSync(box.config, A);
    t.equal(cli(['apply']).status, 0);
    t.same(leftovers(), { config: 0, exec: 0 }, 'no temporary file left');
  });

  t.test('nft killed after its load committed', async (t) => {
    // The deterministic form of what the random kills below hit: the kernel
    // has committed nft's transaction, then nft dies by SIGKILL (exit 137)
    // before it could say so - as when the OOM killer picks nft while the
    // kernel commits, which takes a while (hooks go after an RCU grace period).
    const env = { VPN_PASSTHROUGH_NFT: nftKilledAfterLoad };
    writeFileSync(box.config, B);
    t.equal(cli(['apply']).status, 0);
    const lift = cli(['set', 'pptp', 'allow'], env);
    const c = cfg();
    let tNow = list();
    t.comment(`set pptp allow over B: exit ${lift.status}, config ${configName(c)}, table ${tableName(tNow)} (A allows PPTP, B blocks it)`);
    t.ok(c === A || c === B, 'the config is the old or the new one, whole');
    t.ok((c === B && tNow === tB && lift.status !== 0) || (c === A && tNow === tA && lift.status === 0), 'the config and the table agree, and the exit code says which');
    writeFileSync(box.config, B);
    t.equal(cli(['apply']).status, 0);
    writeFileSync(box.config, A);
    const apply = cli(['apply'], env);
    tNow = list();
    t.comment(`apply of A over B's table: exit ${apply.status}, table ${tableName(tNow)}`);
    t.ok((tNow === tB && apply.status !== 0) || (tNow === tA && apply.status === 0), "the table is the config's (exit 0) or the old one (exit 1)");
    t.equal(cli(['apply']).status, 0, 'the next apply (real nft) works');
    t.equal(list(), tA, "and loads the config's table");
    t.equal(cfg(), A);
    leftovers();
  });

  t.test('a load that fails once (a kernel short of memory): the retry drops the PPTP helper', async (t) => {
    writeFileSync(box.config, B);
    t.equal(cli(['apply']).status, 0);
    writeFileSync(box.config, A);
    const once = `${box.dir}/failed-once`;
    const r = cli(['apply'], { VPN_PASSTHROUGH_NFT: nftFailsOnce, FAULT_ONCE: once });
    const tNow = list();
    t.comment(`apply of A, its first load refused with ENOMEM: exit ${r.status}, table ${tableName(tNow)}; ${r.stderr.trim().replace(/\n/g, ' | ')}`);
    t.ok((tNow === tB && r.status !== 0) || (tNow === tA && r.status === 0), "the table is the config's (exit 0) or the old one (exit 1)");
    t.equal(cli(['apply']).status, 0, 'the next apply works');
    t.equal(list(), tA, "and loads the config's table");
    unlinkSync(once);
    leftovers();
  });

  t.test('nft killed at random moments during its load', async (t) => {
    // How long nft takes to load a table here, measured now: nft's own run
    // time, without the namespace switch around it.
    const render = (text: string) => {
      writeFileSync(box.config, text);
      return cli(['render']).stdout;
    };
    const scriptA = render(A);
    const loads: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = ref.run(['sh', '-c', 's=$(date +%s%N); nft -f - || exit 1; e=$(date +%s%N); echo $(((e - s) / 1000))'], { input: scriptA });
      if (r.status !== 0) throw new Error(`nft -f in the scratch namespace: ${r.stderr}`);
      loads.push(Number(r.stdout) / 1000);
    }
    writeFileSync(box.config, A);
    t.equal(cli(['apply']).status, 0);
    const span = 1.2 * median(loads);
    const N = 18;
    const delays = spread(N, span, rnd);
    const tally = { completed: 0, killed: 0 };
    const problems: string[] = [];
    const failedButLoaded: string[] = [];
    const helperDropped: string[] = [];
    for (let i = 0; i < N; i++) {
      const kind = i % 3 === 2 ? 'apply' : 'set';
      const before = cfg();
      const other = before === A ? B : A;
      const tOld = list();
      const tNew = tableOf(other);
      // A's table without the helper: what apply loads when its first load failed.
      const tNewFallback = other === A ? tA0 : undefined;
      const env = { VPN_PASSTHROUGH_NFT: nftKilledDuringLoad, FAULT_NFT_KILL_AFTER: (Math.max(delays[i], 0.1) / 1000).toFixed(4) };
      const what = `${kind} ${configName(before)} -> ${configName(other)} ${i + 1}, nft killed after ${ms(delays[i])}`;
      if (kind === 'apply') writeFileSync(box.config, other);
      const r = kind === 'set' ? cli(['set', 'pptp', other === B ? 'block' : 'allow'], env) : cli(['apply'], env);
      const c = cfg();
      const tNow = list();
      const state = `config ${configName(c)}, table ${tableName(tNow)}`;
      if (r.status === 0) {
        tally.completed++;
        if (c === other && tNow === tNewFallback) helperDropped.push(`${what}: exit 0, ${state}`);
        else if (c !== other || tNow !== tNew) problems.push(`${what}: exit 0, ${state}`);
      } else if (r.status === 1 && /exited with 137/.test(r.stderr)) {
        tally.killed++;
        if (c !== (kind === 'set' ? before : other)) problems.push(`${what}: exit 1, ${state}`);
        else if (tNow === tNew || tNow === tNewFallback) failedButLoaded.push(`${what}: exit 1, ${state}`);
        else if (tNow !== tOld) problems.push(`${what}: exit 1, ${state}`);
      } else problems.push(`${what}: exit ${r.status}: ${r.stderr.trim()}`);
      const next = cli(['apply']);
      if (next.status !== 0) problems.push(`${what}: the next apply exited ${next.status}: ${next.stderr.trim()}`);
      else if (list() !== tableOf(cfg())) problems.push(`${what}: the next apply did not load the config's table`);
    }
    t.comment(
      `nft load ${ms(median(loads))}; ${N} sets and applies (${N - Math.floor(N / 3)} set, ${Math.floor(N / 3)} apply) with nft killed at moments spread over ${ms(span)}: ` +
        `${tally.completed} exited 0, ${tally.killed} exited 1 (nft killed); ${failedButLoaded.length} of those had loaded a new table, ` +
        `${helperDropped.length} of the others loaded A's table without the PPTP helper`,
    );
    for (const line of [...failedButLoaded, ...helperDropped]) t.comment(line);
    t.same(problems, [], 'every load: the config the old or the new one, and the next apply works; no other outcome');
    t.same(failedButLoaded, [], 'exit 1 (nft killed): the old table');
    t.same(helperDropped, [], "exit 0: the config's own table");
    leftovers();
  });

  t.test('a failed load while the disk fills: the old file was never touched', async (t) => {
    // A tiny tmpfs over a fresh directory, in a private mount namespace;
    // nft fails on load and fills the disk meanwhile. The new config waited
    // beside the old one, so nothing needs putting back.
    const dir = `${box.dir}/small`;
    const out = `${box.dir}/small-out`;
    mkdirSync(dir);
    mkdirSync(out);
    writeFileSync(box.config, A);
    t.equal(cli(['apply']).status, 0);
    const sh = [
      'set -u',
      'dir=$1 out=$2; shift 2',
      'mount -t tmpfs -o size=64k tmpfs "$dir" || exit 99',
      'cp "$VPN_PASSTHROUGH_CONFIG" "$dir/vpn-passthrough"',
      'export VPN_PASSTHROUGH_CONFIG="$dir/vpn-passthrough"',
      'VPN_PASSTHROUGH_NFT="$FAULT_NFT" "$@" set pptp block >"$out/set.out" 2>"$out/set.err"; echo $? >"$out/set.rc"',
      'cp "$dir/vpn-passthrough" "$out/config"; ls -A "$dir" >"$out/ls"',
      'nft list table inet vpn_passthrough >"$out/table"',
      '"$@" apply >"$out/apply.out" 2>"$out/apply.err"; echo $? >"$out/apply.rc"',
    ].join('\n');
    const r = ns.run(['unshare', '-m', '--propagation', 'private', 'sh', '-c', sh, 'sh', dir, out, ...CLI], {
      env: { ...box.env, FAULT_NFT: nftFillsDiskOnLoad, FAULT_FILL: `${dir}/fill` },
    });
    t.equal(r.status, 0, r.stderr);
    const read = (f: string) => readFileSync(`${out}/${f}`, 'utf8');
    t.equal(read('set.rc').trim(), '1', 'set: exit 1');
    t.match(read('set.err'), /Cannot allocate memory/, 'saying the load failed');
    t.equal(read('config'), A, 'the config is the old one, whole');
    t.equal(unmarked(read('table')), tA, 'the table is the old one');
    t.same(read('ls').split('\n').filter(Boolean).sort(), ['fill', 'vpn-passthrough'], 'no temporary file left');
    t.equal(read('apply.rc').trim(), '0', 'the next apply works on the full disk');
    t.equal(list(), tA, "and loads the config's table");
    t.equal(cli(['apply']).status, 0, 'as does one on the real config');
    t.equal(list(), tA);
    rmSync(out, { recursive: true });
  });

  /**
   * Kill i + 1 of the two loops below: starts the command (args[0], set or
   * apply, names it) as its run time was measured, SIGKILLs qjs alone or its
   * process group (a coin toss of the seeded PRNG) after `delay` ms, and
   * waits until nothing of the group runs. Counts in `tally` whether the kill
   * landed or came after the command had ended; any other exit is a problem.
   * Returns the kill's name, which the loop's own checks report under.
   */
  const killAt = async (i: number, delay: number, args: string[], tally: { landed: number; finished: number; groups: number }, problems: string[]) => {
    const group = rnd() < 0.5;
    if (group) tally.groups++;
    const what = `${args[0]} kill ${i + 1} at ${ms(delay)} (${group ? 'process group' : 'process'})`;
    const run = startIn(ns, [...CLI, ...args], box.env);
    await sleep(delay);
    sigkill(run.pid, group);
    const end = await run.ended;
    await drained(run.pid);
    if (end.signal === 'SIGKILL') tally.landed++;
    else if (end.status === 0) tally.finished++;
    else problems.push(`${what}: exited ${end.status}: ${end.stderr.trim()}`);
    return what;
  };

  t.test(`SIGKILL of set at ${KILLS} random moments`, async (t) => {
    writeFileSync(box.config, A);
    t.equal(cli(['apply']).status, 0);
    const span = 1.1 * T.set;
    const delays = spread(KILLS, span, rnd);
    const tally = { landed: 0, finished: 0, groups: 0, oldOld: 0, newNew: 0, newOld: 0, pending: 0, lockLeft: 0, configTemp: 0, execTemp: 0 };
    const problems: string[] = [];
    for (let i = 0; i < KILLS; i++) {
      const before = cfg();
      if (before !== A && before !== B) {
        problems.push(`before kill ${i + 1}: the config is neither A nor B`);
        break;
      }
      const [other, tOld, tNew] = before === A ? [B, tA, tB] : [A, tB, tA];
      const what = await killAt(i, delays[i], ['set', 'pptp', other === B ? 'block' : 'allow'], tally, problems);
      const c = cfg();
      const tNow = list();
      const cn = c === before ? 'old' : c === other ? 'new' : 'other';
      const tn = tNow === tOld ? 'old' : tNow === tNew ? 'new' : tNow === null ? 'missing' : 'other';
      // Killed after the new table loaded, before the new file took the old
      // one's place: the new file waits beside it, and the next operation
      // under the lock puts it in place (checked below).
      const pending = existsSync(`${box.config}.vpn-passthrough-pending`);
      if (cn === 'old' && tn === 'old') tally.oldOld++;
      else if (cn === 'new' && tn === 'new') tally.newNew++;
      else if (cn === 'new' && tn === 'old') tally.newOld++;
      else if (cn === 'old' && tn === 'new' && pending) tally.pending++;
      else problems.push(`${what}: config ${cn}, table ${tn}`);
      if (lockLeft()) tally.lockLeft++;
      const left = leftovers();
      tally.configTemp += left.config;
      tally.execTemp += left.exec;
      const next = cli(['apply']);
      if (next.status !== 0) problems.push(`${what}: the next apply exited ${next.status}: ${next.stderr.trim()}`);
      else if (list() !== tableOf(cfg())) problems.push(`${what}: the next apply did not load the config's table`);
      else if (cn === 'old' && tn === 'new' && cfg() !== other) problems.push(`${what}: the next apply did not finish the interrupted set`);
      if (lockLeft()) problems.push(`${what}: the next apply left the lock behind`);
    }
    t.comment(
      `set: ${KILLS} kills (${tally.groups} of the process group, ${KILLS - tally.groups} of qjs alone) spread over ${ms(span)}: ${tally.landed} landed, ${tally.finished} after set had ended; ` +
        `afterwards config/table old/old ${tally.oldOld}, new/new ${tally.newNew}, new/old ${tally.newOld}, old/new with the new file waiting ${tally.pending}; ` +
        `a stale lock left ${tally.lockLeft} times (taken over by the next apply); temporary files left: ${tally.configTemp} next to the config, ${tally.execTemp} in TMPDIR`,
    );
    // New config with the old table is within the matrix (set writes the
    // file, then loads; a kill between leaves both whole): counted above.
    t.same(problems, [], 'after every kill: the config is A or B, the table its own or the old one, and the next apply works');
    t.ok(tally.landed > 0, 'some kills landed while set ran');
  });

  t.test(`SIGKILL of apply at ${KILLS} random moments`, async (t) => {
    writeFileSync(box.config, A);
    t.equal(cli(['apply']).status, 0);
    const span = 1.1 * T.apply;
    const delays = spread(KILLS, span, rnd);
    const tally = { landed: 0, finished: 0, groups: 0, old: 0, new: 0, lockLeft: 0, execTemp: 0 };
    const problems: string[] = [];
    for (let i = 0; i < KILLS; i++) {
      // An edited config (the other state) that this apply is to load.
      const [text, tOld, tNew] = cfg() === A ? [B, tA, tB] : [A, tB, tA];
      writeFileSync(box.config, text);
      const what = await killAt(i, delays[i], ['apply'], tally, problems);
      if (cfg() !== text) problems.push(`${what}: the config changed`);
      const tNow = list();
      if (tNow === tOld) tally.old++;
      else if (tNow === tNew) tally.new++;
      else problems.push(`${what}: the table is ${tNow === null ? 'missing' : 'neither the old nor the new one'}`);
      if (lockLeft()) tally.lockLeft++;
      tally.execTemp += leftovers().exec;
      const next = cli(['apply']);
      if (next.status !== 0) problems.push(`${what}: the next apply exited ${next.status}: ${next.stderr.trim()}`);
      else if (list() !== tNew) problems.push(`${what}: the next apply did not load the config's table`);
    }
    t.comment(
      `apply: ${KILLS} kills (${tally.groups} of the process group, ${KILLS - tally.groups} of qjs alone) spread over ${ms(span)}: ${tally.landed} landed, ${tally.finished} after apply had ended; ` +
        `afterwards the old table ${tally.old} times, the new one ${tally.new}; a stale lock left ${tally.lockLeft} times; ${tally.execTemp} temporary files left in TMPDIR`,
    );
    t.same(problems, [], 'after every kill: the config unchanged, the table old or new, and the next apply works');
    t.ok(tally.landed > 0, 'some kills landed while apply ran');
  });

  t.test('concurrent sets and applies', async (t) => {
    type Value = string | string[] | null;
    // Each set its own option: [args, section, option, the value it leaves in the file].
    const rounds: [string[], string, string, Value][][] = [
      [
        [['pptp', 'block'], 'pptp', 'mode', 'block'],
        [['l2tp', 'block'], 'l2tp', 'mode', 'block'],
        [['gre', 'block'], 'gre', 'mode', 'block'],
        [['ipsec.esp', 'block'], 'ipsec', 'esp', 'block'],
        [['ipsec.client', '192.168.1.0/24'], 'ipsec', 'client', ['192.168.1.0/24']],
        [['ipsec.server', '203.0.113.0/24'], 'ipsec', 'server', ['203.0.113.0/24']],
        [['pptp.server', '198.51.100.7'], 'pptp', 'server', ['198.51.100.7']],
        [['pptp.family', 'ipv4'], 'pptp', 'family', 'ipv4'],
        [['l2tp.family', 'ipv6'], 'l2tp', 'family', 'ipv6'],
        [['l2tp.server', '192.0.2.1'], 'l2tp', 'server', ['192.0.2.1']],
        [['gre.client', '192.168.1.30'], 'gre', 'client', ['192.168.1.30']],
        [['gre.family', 'ipv6'], 'gre', 'family', 'ipv6'],
        [['log', '1'], 'global', 'log', '1'],
        [['log_limit', '5/second'], 'global', 'log_limit', '5/second'],
        [['lan_device', 'br-guest'], 'global', 'lan_device', ['br-guest']],
      ],
      [
        [['pptp', 'allow'], 'pptp', 'mode', 'allow'],
        [['l2tp', 'allow'], 'l2tp', 'mode', 'allow'],
        [['gre', 'allow'], 'gre', 'mode', 'allow'],
        [['unset', 'ipsec.esp'], 'ipsec', 'esp', null],
        [['ipsec.client', '10.0.0.0/8', '192.168.1.7'], 'ipsec', 'client', ['10.0.0.0/8', '192.168.1.7']],
        [['ipsec.server'], 'ipsec', 'server', []],
        [['pptp.server', '203.0.113.9'], 'pptp', 'server', ['203.0.113.9']],
        [['pptp.family', 'any'], 'pptp', 'family', 'any'],
        [['l2tp.family', 'ipv4'], 'l2tp', 'family', 'ipv4'],
        [['unset', 'l2tp.server'], 'l2tp', 'server', null],
        [['gre.client', '192.168.1.31'], 'gre', 'client', ['192.168.1.31']],
        [['unset', 'gre.family'], 'gre', 'family', null],
        [['log', '0'], 'global', 'log', '0'],
        [['unset', 'log_limit'], 'global', 'log_limit', null],
        [['lan_device', 'br-iot', 'br-guest'], 'global', 'lan_device', ['br-iot', 'br-guest']],
      ],
    ];
    const APPLIES = 4;
    writeFileSync(box.config, A);
    t.equal(cli(['apply']).status, 0);
    for (const [r, sets] of rounds.entries()) {
      const runs = [
        ...sets.map(([args]) => ({ what: args[0] === 'unset' ? args.join(' ') : `set ${args.join(' ')}`, argv: args[0] === 'unset' ? args : ['set', ...args] })),
        ...Array.from({ length: APPLIES }, () => ({ what: 'apply', argv: ['apply'] })),
      ];
      const started = await Promise.all(
        runs.map(async (x) => {
          await sleep(rnd() * 20);
          return startIn(ns, [...CLI, ...x.argv], box.env).ended;
        }),
      );
      const doc = readUci(cfg());
      const problems: string[] = [];
      const counts = { ok: 0, busy: 0 };
      for (const [i, end] of started.entries()) {
        const { what } = runs[i];
        if (end.status === 4) counts.busy++;
        else if (end.status === 0) counts.ok++;
        if (i >= sets.length) {
          if (end.status !== 0 && end.status !== 4) problems.push(`${what}: exit ${end.status}: ${end.stderr.trim()}`);
          continue;
        }
        const [, section, option, value] = sets[i];
        const held = doc.get(section)?.get(option) ?? null;
        const holds = JSON.stringify(held) === JSON.stringify(value) || (Array.isArray(value) && value.length === 0 && held === null);
        if (end.status === 0 && !holds) problems.push(`${what}: exit 0 but ${section}.${option} is ${JSON.stringify(held)}`);
        else if (end.status === 4 && holds) problems.push(`${what}: exit 4 but its value is in the file`);
        else if (end.status !== 0 && end.status !== 4) problems.push(`${what}: exit ${end.status}: ${end.stderr.trim()}`);
      }
      t.comment(`round ${r + 1}: ${sets.length} sets and ${APPLIES} applies at once: ${counts.ok} succeeded, ${counts.busy} timed out on the lock (exit 4)`);
      t.same(problems, [], `round ${r + 1}: every set either succeeded with its value in the file or timed out (exit 4) without it`);
      t.equal(cli(['check']).status, 0, `round ${r + 1}: the config parses and is valid`);
      const want = expected();
      t.ok(want !== null && list() === want, `round ${r + 1}: the table is the final config's`);
      t.equal(cli(['apply']).status, 0, `round ${r + 1}: the next apply works`);
      t.equal(list(), want);
      t.same(leftovers(), { config: 0, exec: 0 }, `round ${r + 1}: no temporary file left`);
      t.notOk(lockLeft(), `round ${r + 1}: no lock left`);
    }
    writeFileSync(box.config, A);
    t.equal(cli(['apply']).status, 0);
  });

  t.test('fw4 flushes the ruleset while applies run, then runs our include', async (t) => {
    // The shipped include, with the init script, the stop marker and the
    // command moved into the sandbox.
    const init = script('init.d/vpn-passthrough', 'case "$1" in enabled) exit 0 ;; esac\nexit 1\n');
    const command = script('vpn-passthrough', `exec ${CLI.join(' ')} "$@"\n`);
    const shipped = readFileSync(`${ROOT}files/usr/share/vpn-passthrough/firewall.include`, 'utf8');
    const include = `${bin}/firewall.include`;
    writeFileSync(
      include,
      shipped.replace('/etc/init.d/vpn-passthrough enabled', `${init} enabled`).replace('/var/run/vpn-passthrough.stopped', `${box.dir}/stopped`).replace('/usr/sbin/vpn-passthrough apply', `${command} apply`),
    );
    const commands = readFileSync(include, 'utf8').replace(/^#.*\n/gm, '');
    t.notMatch(commands, /\/etc\/init\.d|\/var\/run|\/usr\/sbin/, 'every system path in its commands replaced');
    t.match(readFileSync(include, 'utf8'), /VPN_PASSTHROUGH_IN_FIREWALL=1 \S+ apply/);
    writeFileSync(box.config, A);
    t.equal(cli(['apply']).status, 0);
    const ROUNDS = 6;
    const span = 2 * T.set;
    const problems: string[] = [];
    let waited = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const ops = [['apply'], ['set', 'l2tp', r % 2 ? 'allow' : 'block'], ['apply'], ['set', 'gre', r % 4 < 2 ? 'block' : 'allow']];
      const runs = ops.map(async (argv) => {
        await sleep(rnd() * span);
        return { argv, end: await startIn(ns, [...CLI, ...argv], box.env).ended };
      });
      const fw4 = (async () => {
        await sleep(rnd() * span);
        const flush = await startIn(ns, ['nft', 'flush', 'ruleset'], box.env).ended;
        // As fw4's run_includes runs a script include: sourced by sh.
        const inc = await startIn(ns, ['sh', '-c', '. "$0"', include], { ...box.env, ACTION: 'includes' }).ended;
        return { flush, inc };
      })();
      const ended = await Promise.all(runs);
      const { flush, inc } = await fw4;
      if (ended.some(({ end }) => end.started < inc.started && inc.started < end.ended)) waited++;
      if (flush.status !== 0) problems.push(`round ${r + 1}: nft flush ruleset exited ${flush.status}`);
      if (inc.status !== 0) problems.push(`round ${r + 1}: the include exited ${inc.status}: ${inc.stderr.trim()}`);
      for (const { argv, end } of ended) if (end.status !== 0) problems.push(`round ${r + 1}: ${argv.join(' ')} exited ${end.status}: ${end.stderr.trim()}`);
      const tNow = list();
      if (tNow === null) problems.push(`round ${r + 1}: the table is missing after the include`);
      else if (tNow !== expected()) problems.push(`round ${r + 1}: the table is not the config's`);
      const next = cli(['apply']);
      if (next.status !== 0) problems.push(`round ${r + 1}: the next apply exited ${next.status}`);
    }
    t.comment(`${ROUNDS} rounds of 4 applies and sets with a flush and the include at random moments over ${ms(span)}; the include started while one of them ran in ${waited}`);
    t.same(problems, [], 'after every flush and include: the table is there and is the config\'s; the next apply works');
    t.same(leftovers(), { config: 0, exec: 0 }, 'no temporary file left');
    writeFileSync(box.config, A);
    t.equal(cli(['apply']).status, 0);
  });
});
