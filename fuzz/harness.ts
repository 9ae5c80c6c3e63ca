// The fuzz harness: generated inputs through the three interfaces — the
// config file (src/core on Node for every input, and the bundle's `check`,
// ubus `get` and, for a sample, `apply` under the real QuickJS), the CLI's
// `set`, and the rpcd plugin's `call` — each judged against the reference
// (fuzz/reference.ts). The bundle runs under build/qjs in network namespaces
// (one per worker) with the sandbox's environment overrides, as the tests
// run it, so `apply` and `set` load real tables.

import { spawn } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename } from 'node:path';
import { makeNetns, type Netns } from '../lab/netns.ts';
import { BUNDLE as BUILT, QJS, ROOT } from '../lab/paths.ts';
import { makeSandbox, type Sandbox } from '../lab/sandbox.ts';
import { ConfigInvalid } from '../src/core/config.ts';
import { loadConfigText } from '../src/core/load.ts';
import { toSettings } from '../src/core/settings.ts';
import { bases, ENGINE_WORDS, genCli, genConfig, genRpcd, latin1Base, type Base, type CliInput, type ConfigInput, type RpcdInput } from './generate.ts';
import { diffSettings, fromReported, judgeFile, judgeRpcd, judgeSet, weakenings, type FileVerdict, type Settings } from './reference.ts';
import { mix, Rng } from './rng.ts';

export type Iface = 'config' | 'cli' | 'rpcd';

/** The bundle under test: dist's, or another build (FUZZ_BUNDLE), e.g. an older commit's to see a defect found. */
const BUNDLE = process.env.FUZZ_BUNDLE || BUILT;

export interface Category {
  id: string;
  title: string;
  /** The issue item whose defect this category shows while it is open. */
  item?: number;
}

/** Every category a failure can land in: one per input family, plus odd files and linear time. */
export const CATEGORIES: Category[] = [
  { id: 'config:plain', title: 'config: generated files and their mutations (bad values, unknown options, odd quoting, duplicate sections, long values)' },
  { id: 'config:prototype', title: 'config: Object.prototype names as section or option names', item: 3 },
  { id: 'config:non-utf8', title: 'config: non-UTF-8 bytes in comments, values and names', item: 2 },
  { id: 'config:device', title: 'config: lan_device names at the kernel\'s limit (IFNAMSIZ, dev_valid_name)', item: 9 },
  { id: 'config:mixed-ipv6', title: 'config: IPv6 addresses with an IPv4 part (2001:db8::1.2.3.4), which nft 1.0.6 cannot read' },
  { id: 'config:keyword-quoting', title: "config: a quoted or escaped keyword ('config', \\option), which libuci refuses as an invalid command" },
  { id: 'config:continuation', title: 'config: a line ending in a backslash (libuci joins the next line to it), the option set again below' },
  { id: 'config:semicolon', title: "config: a ';' after a value (libuci: a statement separator), sometimes the option set again below" },
  { id: 'config:odd-files', title: 'config path that is not a regular file, symlinked and non-0600 configs, files that are no config', item: 8 },
  { id: 'config:linear', title: 'config: check and render time per byte constant as input grows', item: 5 },
  { id: 'cli:plain', title: 'CLI set: known and unknown keys, valid and tricky values' },
  { id: 'cli:option-values', title: 'CLI set: -c/--config/--json/-h/--help among the values', item: 10 },
  { id: 'cli:key-segments', title: 'CLI set: a key with more than section.option (pptp.mode.$(id))', item: 10 },
  { id: 'cli:prototype', title: 'CLI set: Object.prototype names in the key', item: 3 },
  { id: 'cli:device', title: 'CLI set: lan_device names at the kernel\'s limit', item: 9 },
  { id: 'cli:non-utf8', title: 'CLI set: non-UTF-8 bytes in a value, or in the comments of the file it edits', item: 2 },
  { id: 'cli:mixed-ipv6', title: 'CLI set: an IPv6 client or server with an IPv4 part' },
  { id: 'cli:linear', title: 'CLI set: time per byte constant as the value list grows', item: 5 },
  { id: 'rpcd:plain', title: 'rpcd call: JSON payloads (wrong types, nulls, unknown keys, broken JSON, unknown methods)' },
  { id: 'rpcd:not-json', title: 'rpcd call: not-quite-JSON QuickJS 2021 takes (\\x41, \\\', \\v, -01, 1.)', item: 4 },
  { id: 'rpcd:prototype', title: 'rpcd call: Object.prototype names as methods and member names', item: 3 },
  { id: 'rpcd:device', title: 'rpcd call: lan_device names at the kernel\'s limit', item: 9 },
  { id: 'rpcd:non-utf8', title: 'rpcd call: non-UTF-8 bytes in the payload (RFC 8259: JSON text is UTF-8)', item: 4 },
  { id: 'rpcd:mixed-ipv6', title: 'rpcd call: an IPv6 client or server with an IPv4 part' },
  { id: 'rpcd:linear', title: 'rpcd call: time per byte constant as the payload grows', item: 5 },
];

export interface Failure {
  category: string;
  /** What was checked: exit code, engine error, file:line, changed on rejection, verdict, settings differ, silently weakened, table, hang, ... */
  check: string;
  index: number;
  what: string;
  detail: string;
  /** Where the input was written for reproduction. */
  file?: string;
}

export interface Options {
  seed: number;
  count: Record<Iface, number>;
  jobs: number;
  /** Every Nth config input runs under qjs too (every non-UTF-8 one does: that reader is the bundle's). */
  qjsEvery: number;
  /** Every Nth config input is also applied (plus every device-family one). */
  applyEvery: number;
  /** Where failing inputs are written. */
  out: string;
  linear: boolean;
  oddFiles: boolean;
  /** Failing inputs written per category and check. */
  keep: number;
  log: (line: string) => void;
  /** Only this input (replay). */
  replay?: { iface: Iface; index: number };
  /**
   * Seconds per interface after which no further input is started (the
   * test's guard against tap's per-file timeout on a loaded machine); the
   * figures say where it stopped. None for `make fuzz`.
   */
  budget?: number;
}

export interface LinearFigure {
  category: string;
  shape: string;
  bytes: [number, number];
  ms: [number, number];
  baseMs: number;
  /** Time per byte at the larger size over time per byte at the smaller one. */
  ratio: number;
  linear: boolean;
  note?: string;
}

export interface Figures {
  inputs: number;
  /** Inputs the time budget left out. */
  cut: number;
  byFamily: Record<string, number>;
  qjsRuns: number;
  refValid: number;
  refInvalid: number;
  refExtended: number;
  implAccepted: number;
  applied: number;
  ms: number;
}

export interface Report {
  seed: number;
  figures: Partial<Record<Iface, Figures>>;
  failures: Failure[];
  inputsPerCategory: Record<string, number>;
  linear: LinearFigure[];
  out: string;
}

/** The limit of per-byte time growth (larger over smaller size) counted as linear. */
export const LINEAR_LIMIT = 2;

const ENGINE = /\b(TypeError|ReferenceError|RangeError|InternalError|SyntaxError|EvalError|URIError)\b|cannot read propert|is not a function|not a function|is not an object|not a constructor|\bundefined\b|\[object Object\]|\bNaN\b|stack overflow|out of memory|expecting surrogate pair|is not iterable|Maximum call stack|invalid array length|\n\s+at [^\n]*:\d+/;

/** The input as a message may echo it: quotes and escapes of UCI and JSON taken away. */
export function echoable(input: string): string {
  let decoded = '';
  try {
    decoded = JSON.stringify(JSON.parse(input)).replace(/["\\]/g, '');
  } catch {
    // not JSON
  }
  return `${input}\n${input.replace(/['"\\]/g, '')}\n${decoded}`;
}

/** Engine error text in output, not counting words the input itself holds (echoed back in a message). */
export function engineText(output: string, input: string): string | null {
  let out = output;
  const echo = echoable(input);
  for (const w of ENGINE_WORDS) if (echo.includes(w)) out = out.split(w).join('');
  const m = ENGINE.exec(out);
  return m ? JSON.stringify(out.slice(Math.max(0, m.index - 60), m.index + 80)) : null;
}

// ---------------------------------------------------------------- processes

interface Run {
  status: number | null;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
  ms: number;
}

const MAX_OUTPUT = 16 * 1024 * 1024;

/** A writable tmpfs (FUZZ_TMPDIR, else /dev/shm), or undefined: then tmpdir(). */
const FAST_TMP = (() => {
  for (const dir of [process.env.FUZZ_TMPDIR, '/dev/shm']) {
    if (!dir) continue;
    try {
      rmSync(mkdtempSync(`${dir}/vpn-passthrough-probe-`), { recursive: true });
      return dir;
    } catch {
      // not there or not writable
    }
  }
  return undefined;
})();

const shQuote = (arg: string | Buffer) => {
  const s = typeof arg === 'string' ? Buffer.from(arg, 'utf8').toString('latin1') : arg.toString('latin1');
  return `'${s.replace(/'/g, `'\\''`)}'`;
};

class Worker {
  readonly ns: Netns;
  readonly box: Sandbox;
  readonly scratch: string;
  readonly plugin: string;
  private current: string | null = null;
  private tableCache: string | null | undefined = undefined;
  /** Replay: every run, its exit code and output. */
  trace: ((line: string) => void) | null = null;

  constructor(readonly id: number) {
    this.ns = makeNetns('fuzz');
    // The sandbox on a tmpfs where there is one: every set syncs the config
    // it writes, and on a disk that wait (shared with whatever else runs)
    // would be most of a run's time. lab/sandbox.ts makes it under tmpdir().
    const disk = process.env.TMPDIR;
    if (FAST_TMP) process.env.TMPDIR = FAST_TMP;
    try {
      this.box = makeSandbox(this.ns);
    } finally {
      if (disk === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = disk;
    }
    this.scratch = mkdtempSync(`${FAST_TMP ?? tmpdir()}/vpn-passthrough-fuzz-`);
    const wrapper = readFileSync(`${ROOT}files/usr/libexec/rpcd/vpn-passthrough`, 'utf8');
    this.plugin = `${this.scratch}/rpcd-plugin`;
    writeFileSync(this.plugin, wrapper.replace('/usr/bin/qjs', QJS).replace('/usr/share/vpn-passthrough/vpn-passthrough.js', BUNDLE));
    chmodSync(this.plugin, 0o755);
  }

  /** argv inside the namespace; Buffers are passed as raw bytes (through sh). */
  exec(argv: (string | Buffer)[], options: { input?: Buffer; timeout?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
    let full = argv.map((a) => (typeof a === 'string' ? a : ''));
    if (argv.some((a) => typeof a !== 'string')) {
      const script = `${this.scratch}/argv.sh`;
      writeFileSync(script, Buffer.from(`exec ${argv.map(shQuote).join(' ')}\n`, 'latin1'));
      full = ['sh', script];
    }
    return new Promise((resolve) => {
      const start = process.hrtime.bigint();
      // nsenter joins the network namespace only; `ip netns exec` also remounts /sys on every call.
      const child = spawn('nsenter', [`--net=/run/netns/${this.ns.name}`, '--', ...full], {
        cwd: this.box.dir,
        env: { ...this.box.env, ...options.env },
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outLen = 0;
      let errLen = 0;
      child.stdout.on('data', (d: Buffer) => {
        if ((outLen += d.length) <= MAX_OUTPUT) out.push(d);
      });
      child.stderr.on('data', (d: Buffer) => {
        if ((errLen += d.length) <= MAX_OUTPUT) err.push(d);
      });
      child.stdin.on('error', () => {});
      child.stdin.end(options.input ?? Buffer.alloc(0));
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // gone
        }
      }, options.timeout ?? 20_000);
      child.on('close', (status) => {
        clearTimeout(timer);
        const run = { status, stdout: Buffer.concat(out), stderr: Buffer.concat(err), timedOut, ms: Number(process.hrtime.bigint() - start) / 1e6 };
        if (this.trace) {
          const show = (b: Buffer) => JSON.stringify(b.toString('latin1').slice(0, 3000));
          this.trace(`$ ${argv.map((a) => (typeof a === 'string' ? a : `<bytes ${a.toString('latin1')}>`)).join(' ')}${options.input ? ` < ${show(options.input)}` : ''}`);
          this.trace(`  exit ${run.status}${timedOut ? ' (timed out)' : ''}; stdout ${show(run.stdout)}; stderr ${show(run.stderr)}`);
        }
        resolve(run);
      });
    });
  }

  cli(args: (string | Buffer)[], options: { input?: Buffer; timeout?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
    return this.again(() => this.exec([QJS, '--std', '-m', BUNDLE, ...args], options));
  }

  rpcd(method: string, input: Buffer, timeout = 20_000): Promise<Run> {
    return this.again(() => this.exec([this.plugin, 'call', method], { input, timeout }));
  }

  /**
   * A run that could not even load the runtime or the bundle (someone ran
   * `make` meanwhile: build/qjs or dist/ replaced) is run again, twice at most.
   */
  private async again(run: () => Promise<Run>): Promise<Run> {
    for (let attempt = 0; ; attempt++) {
      const r = await run();
      const out = r.stdout.toString('latin1') + r.stderr.toString('latin1');
      const unloaded = r.status === 127 || /QuickJS runtime .* is missing or broken|could not load module|failed to execute/.test(out);
      if (!unloaded || attempt === 2) return r;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }

  /** The loaded table's listing, or null when there is none. */
  async table(): Promise<string | null> {
    const r = await this.exec(['nft', 'list', 'table', 'inet', 'vpn_passthrough'], { timeout: 20_000 });
    this.tableCache = r.status === 0 ? r.stdout.toString('latin1') : null;
    return this.tableCache;
  }

  /** The table as last listed (a run that changes nothing leaves it so). */
  async knownTable(): Promise<string | null> {
    return this.tableCache === undefined ? this.table() : this.tableCache;
  }

  readConfig(): Buffer | null {
    try {
      return readFileSync(this.box.config);
    } catch {
      return null;
    }
  }

  writeConfig(text: string): void {
    if (this.current === text && this.readConfig()?.toString('latin1') === text) return;
    try {
      if (lstatSync(this.box.config).isSymbolicLink() || !lstatSync(this.box.config).isFile()) rmSync(this.box.config, { recursive: true, force: true });
    } catch {
      // missing
    }
    writeFileSync(this.box.config, Buffer.from(text, 'latin1'));
    this.current = text;
  }

  forget(): void {
    this.current = null;
    this.tableCache = undefined;
  }

  /**
   * Files in the sandbox besides the config, the lock and the change log
   * (which records refused changes too, by design); removed, and returned.
   */
  strays(): string[] {
    const log = basename(this.box.env.VPN_PASSTHROUGH_CHANGE_LOG!);
    const known = new Set([basename(this.box.config), 'lock', log, `${log}.1`, `${log}.config`, basename(this.box.env.LOGGER_STANDIN_FILE!)]);
    const found = readdirSync(this.box.dir).filter((f) => !known.has(f));
    for (const f of found) rmSync(`${this.box.dir}/${f}`, { recursive: true, force: true });
    return found;
  }

  remove(): void {
    rmSync(this.scratch, { recursive: true, force: true });
    this.box.remove();
    this.ns.remove();
  }
}

// ---------------------------------------------------------------- checks shared by the interfaces

const PARTS: [string, 'pptp' | 'l2tp' | 'ipsec' | 'gre', 'mode' | 'esp'][] = [
  ['pptp', 'pptp', 'mode'], ['l2tp', 'l2tp', 'mode'], ['ike', 'ipsec', 'mode'], ['natt', 'ipsec', 'mode'],
  ['esp', 'ipsec', 'esp'], ['ah', 'ipsec', 'esp'], ['gre', 'gre', 'mode'],
];

/** What the loaded table does against what the reference says it must do. */
export function verifyTable(text: string | null, s: Settings): string[] {
  if (!s.global.enabled) return text === null ? [] : ['the table is loaded although enabled is off'];
  if (text === null) return ['no table loaded although enabled'];
  const out: string[] = [];
  for (const [part, protocol, key] of PARTS) {
    const p = s.protocols[protocol];
    const body = new RegExp(`chain handle_${part} \\{\\n([^}]*)\\}`).exec(text)?.[1];
    if (body === undefined) {
      out.push(`no chain handle_${part}`);
      continue;
    }
    const mode = p[key];
    if (mode === 'block') {
      if (!/reject|goto refuse_/.test(body)) out.push(`${part}: blocked in the config, not refused by the table (silently weakened)`);
    } else {
      if (/reject/.test(body)) out.push(`${part}: allowed in the config, refused by the table`);
      const narrowed = p.family !== 'any' || p.client.length > 0 || p.server.length > 0;
      if (narrowed && !body.includes(`scope_${part}`)) out.push(`${part}: narrowed in the config, open to all in the table (silently weakened)`);
      if (!narrowed && body.includes(`scope_${part}`)) out.push(`${part}: open in the config, narrowed in the table`);
    }
  }
  const devices = [...(/set lan_devices \{[^}]*?elements = \{([^}]*)\}/.exec(text)?.[1] ?? '').matchAll(/"([^"]*)"/g)].map((m) => m[1]);
  // nft merges a name into a wildcard that covers it (auto-merge), so a wildcard in the set may stand for it.
  const covered = (d: string) => devices.some((e) => e === d || (e.endsWith('*') && d.startsWith(e.slice(0, -1))));
  for (const d of s.global.lan_device) {
    if (!covered(d)) out.push(`lan_device ${d} missing from set lan_devices (its clients escape every block)`);
  }
  return out;
}

/** `--json status` against the reference. */
function verifyStatus(json: unknown, s: Settings): string[] {
  const st = json as { enabled?: boolean; lanDevices?: string[]; protocols?: { name: string; mode: string; parts: { name: string; mode: string }[] }[] };
  if (typeof st !== 'object' || st === null || !Array.isArray(st.protocols)) return ['status is not the documented object'];
  const out: string[] = [];
  if (st.enabled !== s.global.enabled) out.push(`status enabled ${st.enabled}, reference ${s.global.enabled}`);
  for (const [part, protocol, key] of PARTS) {
    const p = st.protocols.find((x) => x.name === protocol)?.parts.find((x) => x.name === part);
    const want = s.protocols[protocol][key];
    if (!p) out.push(`status lacks ${protocol}/${part}`);
    else if (p.mode !== want) out.push(`status says ${part} ${p.mode}, reference ${want}${want === 'block' ? ' (silently weakened)' : ''}`);
  }
  if (s.global.enabled) for (const d of s.global.lan_device) if (!st.lanDevices?.includes(d)) out.push(`status lanDevices lacks ${d}`);
  return out;
}

/** Comment lines of the base file that a successful edit lost or changed. */
function lostComments(before: string, after: string): string[] {
  const have = new Set(after.split('\n').map((l) => l.replace(/\r$/, '')));
  return before.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => /^\s*#/.test(l) && !have.has(l));
}

function reportedLines(text: string, file: string): number[] {
  const re = new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+):`, 'g');
  return [...text.matchAll(re)].map((m) => Number(m[1]));
}

/** An error's lines against the reference's: named, inside the file, one of them at fault. */
function lineProblem(lines: number[], ref: FileVerdict): string | null {
  if (lines.length === 0) return 'the error names no file:line';
  const outside = lines.filter((n) => n < 1 || n > Math.max(1, ref.lineCount));
  if (outside.length) return `line ${outside[0]} is outside the file (${ref.lineCount} lines)`;
  // A refusal may name a line at fault, or one with a construct only libuci takes.
  const faulty = new Set(ref.blameLines);
  if (!lines.some((n) => faulty.has(n))) return `names line(s) ${lines.join(', ')}; the reference faults line(s) ${[...faulty].join(', ')} (${ref.faults.map((f) => f.message).join('; ')})`;
  return null;
}

function settingsProblem(ref: Settings, got: Settings): { check: string; detail: string } | null {
  const weak = weakenings(ref, got);
  if (weak.length) return { check: 'silently weakened', detail: weak.join('; ') };
  const diff = diffSettings(ref, got);
  return diff.length ? { check: 'settings differ', detail: diff.join('; ') } : null;
}

// ---------------------------------------------------------------- the config interface

interface Context {
  opts: Options;
  bases: Base[];
  baseVerdicts: FileVerdict[];
  failures: Failure[];
  kept: Map<string, number>;
  figures: Figures;
}

function newFigures(): Figures {
  return { inputs: 0, cut: 0, byFamily: {}, qjsRuns: 0, refValid: 0, refInvalid: 0, refExtended: 0, implAccepted: 0, applied: 0, ms: 0 };
}

type Fail = (check: string, detail: string) => void;

/** Counts an input in the figures; returns how its failures are recorded (the first ones per check with a file to reproduce it). */
function startCase<I extends { family: string; what: string }>(ctx: Context, iface: Iface, index: number, input: I, writeRepro: (ctx: Context, index: number, input: I) => string): Fail {
  ctx.figures.inputs++;
  ctx.figures.byFamily[input.family] = (ctx.figures.byFamily[input.family] ?? 0) + 1;
  const category = `${iface}:${input.family}`;
  return (check, detail) => record(ctx, { category, check, index, what: input.what, detail }, () => writeRepro(ctx, index, input));
}

/** Node side: src/core's loadConfigText over the same bytes (latin1: one character per byte, as libuci reads them). */
function nodeConfig(text: string, ref: FileVerdict, fail: Fail): void {
  let loaded: ReturnType<typeof loadConfigText> | null = null;
  try {
    loaded = loadConfigText(text, 'fuzz.conf');
  } catch (e) {
    if (!(e instanceof ConfigInvalid)) {
      fail('engine error', `node: loadConfigText threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
      return;
    }
    if (ref.valid && ref.extended.length === 0) fail('verdict', `node: refused a file the reference takes: ${e.message.slice(0, 300)}`);
    const problem = lineProblem(e.issues.map((i) => i.line ?? 0), ref);
    if (problem) fail('file:line', `node: ${problem}`);
    return;
  }
  if (!ref.valid) {
    fail('verdict', `node: accepted a file the reference refuses (${ref.faults.map((f) => `line ${f.lines.join('-')}: ${f.message}`).join('; ')})`);
    return;
  }
  const got = fromReported(toSettings(loaded.config));
  if (typeof got === 'string') fail('settings differ', `node: ${got}`);
  else {
    const p = settingsProblem(ref.settings!, got);
    if (p) fail(p.check, `node: ${p.detail}`);
  }
}

async function configCase(w: Worker, index: number, input: ConfigInput, ctx: Context): Promise<void> {
  const fail = startCase(ctx, 'config', index, input, writeConfigRepro);
  const ref = judgeFile(Buffer.from(input.text, 'latin1'));
  if (ref.valid) ctx.figures.refValid++;
  else ctx.figures.refInvalid++;
  if (ref.extended.length) ctx.figures.refExtended++;
  nodeConfig(input.text, ref, fail);
  if (index % ctx.opts.qjsEvery !== 0 && input.family !== 'non-utf8' && index % ctx.opts.applyEvery !== 0) return;

  w.writeConfig(input.text);
  const file = w.box.config;
  const check = await w.cli(['check']);
  ctx.figures.qjsRuns++;
  const out = check.stdout.toString('utf8') + check.stderr.toString('utf8');
  if (check.timedOut) return fail('hang', 'check did not finish');
  const engine = engineText(out, input.text);
  if (engine) fail('engine error', `check: ${engine}`);
  if (check.status !== 0 && check.status !== 3) fail('exit code', `check exited ${check.status}: ${out.slice(0, 300)}`);
  const accepted = check.status === 0;
  if (accepted) ctx.figures.implAccepted++;
  if (accepted && !ref.valid) fail('verdict', `check accepted a file the reference refuses (${ref.faults.map((f) => `line ${f.lines.join('-')}: ${f.message}`).join('; ')})`);
  if (check.status === 3) {
    if (ref.valid && ref.extended.length === 0) fail('verdict', `check refused a file the reference takes: ${out.slice(0, 300)}`);
    const problem = lineProblem(reportedLines(out, file), ref);
    if (problem) fail('file:line', `check: ${problem}`);
  }
  if (accepted || ref.valid) {
    const get = await w.rpcd('get', Buffer.from('{}'));
    ctx.figures.qjsRuns++;
    let answer: unknown;
    try {
      answer = JSON.parse(get.stdout.toString('utf8'));
    } catch {
      fail('not one JSON object', `ubus get answered ${JSON.stringify(get.stdout.toString('utf8').slice(0, 200))}`);
    }
    const engineGet = engineText(get.stdout.toString('utf8'), input.text);
    if (engineGet) fail('engine error', `ubus get: ${engineGet}`);
    if (accepted && ref.valid && answer !== undefined) {
      const got = fromReported(answer);
      if (typeof got === 'string') fail('settings differ', `ubus get: ${got}: ${JSON.stringify(answer).slice(0, 300)}`);
      else {
        const p = settingsProblem(ref.settings!, got);
        if (p) fail(p.check, `ubus get: ${p.detail}`);
      }
    }
  }
  if (index % ctx.opts.applyEvery === 0 || ((input.family === 'device' || input.family === 'mixed-ipv6') && accepted)) {
    const before = await w.knownTable();
    const apply = await w.cli(['apply']);
    ctx.figures.qjsRuns++;
    ctx.figures.applied++;
    const after = await w.table();
    const text = apply.stdout.toString('utf8') + apply.stderr.toString('utf8');
    const engineApply = engineText(text, input.text);
    if (engineApply) fail('engine error', `apply: ${engineApply}`);
    if (apply.timedOut) return fail('hang', 'apply did not finish');
    if (accepted && apply.status !== 0) fail('check accepts, apply fails', `apply exited ${apply.status}: ${text.slice(0, 400)}`);
    if (!accepted && apply.status !== 3) fail('exit code', `apply of a file check refused exited ${apply.status}`);
    if (apply.status !== 0 && after !== before) fail('changed on rejection', `apply exited ${apply.status} and the table changed`);
    if (apply.status === 0 && ref.valid) {
      for (const problem of verifyTable(after, ref.settings!)) fail(/weakened|missing|escape/.test(problem) ? 'silently weakened' : 'table', problem);
      const status = await w.cli(['--json', 'status']);
      ctx.figures.qjsRuns++;
      try {
        for (const problem of verifyStatus(JSON.parse(status.stdout.toString('utf8')), ref.settings!)) fail(/weakened/.test(problem) ? 'silently weakened' : 'status', problem);
      } catch {
        fail('not one JSON object', `--json status printed ${JSON.stringify(status.stdout.toString('utf8').slice(0, 200))}`);
      }
    }
  }
}

// ---------------------------------------------------------------- changes: the CLI's set and rpcd

interface Snapshot {
  config: Buffer | null;
  table: string | null;
}

/**
 * A run against a base config: the config file and the table before and
 * after it, the files it left in the sandbox (removed), and what of those
 * it changed, for the checks that a refusal changes nothing.
 */
async function runOnBase(w: Worker, ctx: Context, base: Base, run: () => Promise<Run>) {
  w.writeConfig(base.text);
  const before: Snapshot = { config: w.readConfig(), table: await w.knownTable() };
  const r = await run();
  ctx.figures.qjsRuns++;
  const strays = w.strays();
  const after: Snapshot = { config: w.readConfig(), table: await w.table() };
  if (after.config?.toString('latin1') !== base.text) w.forget();
  const configChanged = !(before.config === null ? after.config === null : after.config !== null && before.config.equals(after.config));
  const changed = [configChanged && 'the config file', after.table !== before.table && 'the table', strays.length > 0 && `new files ${strays.join(', ')}`].filter(Boolean);
  return { r, before, after, strays, configChanged, changed };
}

/**
 * What a set the reference takes left behind: the file it wrote (`faults`
 * says why, when the reference refuses that file), the base's comments in
 * it, and the table it loaded.
 */
function checkSetResult(fail: Fail, base: Base, after: Snapshot, settings: Settings, faults: (file: FileVerdict) => string): void {
  const file = judgeFile(after.config ?? Buffer.alloc(0));
  if (!file.valid) fail('verdict', `set wrote a file the reference refuses: ${faults(file)}`);
  else {
    const p = settingsProblem(settings, file.settings!);
    if (p) fail(p.check, `the file set wrote: ${p.detail}`);
  }
  const lost = lostComments(base.text, after.config?.toString('latin1') ?? '');
  if (lost.length) fail('comments lost', `set changed or dropped comment lines: ${lost.slice(0, 3).map((l) => JSON.stringify(l)).join(', ')}`);
  for (const problem of verifyTable(after.table, settings)) fail(/weakened|missing|escape/.test(problem) ? 'silently weakened' : 'table', problem);
}

// ---------------------------------------------------------------- the CLI's set

async function cliCase(w: Worker, index: number, input: CliInput, ctx: Context): Promise<void> {
  const fail = startCase(ctx, 'cli', index, input, writeCliRepro);
  const base = ctx.bases[input.base];
  const baseVerdict = ctx.baseVerdicts[input.base];
  const argv = input.argv.map((a) => (typeof a === 'string' ? a : a.toString('latin1')));
  const ref = judgeSet(argv, baseVerdict);
  if (ref.kind === 'ok') ctx.figures.refValid++;
  else ctx.figures.refInvalid++;
  const { r, after, strays, changed } = await runOnBase(w, ctx, base, () => w.cli(input.argv));
  const out = r.stdout.toString('utf8') + r.stderr.toString('utf8');
  if (r.timedOut) return fail('hang', 'set did not finish');
  const engine = engineText(out, argv.join(' '));
  if (engine) fail('engine error', engine);
  if (!ref.exits.includes(r.status ?? -1)) fail('exit code', `exited ${r.status}, documented ${ref.exits.join(' or ')} (${ref.why}): ${out.slice(0, 300)}`);
  if (r.status === 0) ctx.figures.implAccepted++;
  if (r.status !== 0 || ref.kind !== 'ok') {
    if (changed.length) fail('changed on rejection', `${ref.kind === 'ok' ? `exit ${r.status}` : `the reference refuses (${ref.why})`} yet ${changed.join(' and ')} changed`);
  }
  if (ref.json) {
    try {
      const j = JSON.parse(r.stdout.toString('utf8'));
      if (typeof j !== 'object' || j === null) throw new Error();
    } catch {
      fail('not one JSON object', `--json printed ${JSON.stringify(r.stdout.toString('utf8').slice(0, 200))}`);
    }
  }
  if (r.status === 0 && ref.kind === 'ok' && ref.settings) {
    if (strays.length) fail('changed on rejection', `set left new files ${strays.join(', ')}`);
    ctx.figures.applied++;
    checkSetResult(fail, base, after, ref.settings, (file) => file.faults.map((f) => `line ${f.lines.join('-')}: ${f.message}`).join('; '));
  }
}

// ---------------------------------------------------------------- rpcd

const ERROR_CODES = ['bad_input', 'invalid', 'config', 'busy', 'failed'];

async function rpcdCase(w: Worker, index: number, input: RpcdInput, ctx: Context): Promise<void> {
  const fail = startCase(ctx, 'rpcd', index, input, writeRpcdRepro);
  const base = ctx.bases[input.base];
  const baseVerdict = ctx.baseVerdicts[input.base];
  const bytes = Buffer.from(input.input, 'latin1');
  const ref = judgeRpcd(input.method, bytes, baseVerdict);
  if (ref.kind === 'ok') ctx.figures.refValid++;
  else ctx.figures.refInvalid++;
  const { r, before, after, strays, configChanged, changed } = await runOnBase(w, ctx, base, () => w.rpcd(input.method, bytes));
  if (r.timedOut) return fail('hang', `call ${input.method} did not finish`);
  const stdout = r.stdout.toString('utf8');
  const engine = engineText(stdout + r.stderr.toString('utf8'), input.input + input.method);
  if (engine) fail('engine error', engine);
  let answer: Record<string, unknown> | null = null;
  try {
    const lines = stdout.split('\n').filter((l) => l !== '');
    const parsed = lines.length === 1 ? JSON.parse(lines[0]) : undefined;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) answer = parsed;
  } catch {
    // below
  }
  if (answer === null) return fail('not one JSON object', `answered ${JSON.stringify(stdout.slice(0, 300))}`);
  const error = answer.error as { code?: unknown; message?: unknown; field?: unknown } | undefined;
  if (error !== undefined) {
    if (typeof error !== 'object' || error === null || !ERROR_CODES.includes(error.code as string)) fail('error shape', `error ${JSON.stringify(error).slice(0, 200)} is not a documented code`);
    else if (typeof error.message !== 'string' || error.message.length < 5) fail('error shape', `error without a readable message: ${JSON.stringify(error)}`);
  }
  const unchanged = (why: string) => {
    if (changed.length) fail('changed on rejection', `${why} yet ${changed.join(' and ')} changed`);
  };
  if (ref.kind === 'bad_input' || ref.kind === 'invalid') {
    const field = error?.field;
    if (error?.code !== ref.kind) fail('verdict', `the reference answers ${ref.kind} (${ref.why}); the plugin ${error ? `${String(error.code)}: ${String(error.message).slice(0, 200)}` : `accepted: ${stdout.slice(0, 200)}`}`);
    else if (ref.kind === 'invalid' && ref.fields.length > 0 && !ref.fields.includes(field as string)) fail('verdict', `field ${JSON.stringify(field)} named; the reference faults ${ref.fields.join(', ')}`);
    unchanged(`refused (${ref.why})`);
    return;
  }
  ctx.figures.implAccepted += error === undefined ? 1 : 0;
  if (error !== undefined) {
    fail('verdict', `the reference takes it (${ref.why}); the plugin answered ${String(error.code)}: ${String(error.message).slice(0, 300)}`);
    unchanged('refused');
    return;
  }
  if (input.method === 'set' && ref.settings) {
    ctx.figures.applied++;
    if (answer.applied !== true) fail('verdict', `set answered without applied: true: ${stdout.slice(0, 200)}`);
    const got = fromReported(answer.config);
    if (typeof got === 'string') fail('settings differ', `set's answer: ${got}`);
    else {
      const p = settingsProblem(ref.settings, got);
      if (p) fail(p.check, `set's answer: ${p.detail}`);
    }
    checkSetResult(fail, base, after, ref.settings, (file) => file.faults.map((f) => f.message).join('; '));
    if (strays.length) fail('changed on rejection', `set left new files ${strays.join(', ')}`);
    return;
  }
  if (configChanged) fail('changed by a read', `${input.method} changed the config file`);
  if (input.method === 'get' && ref.settings) {
    const got = fromReported(answer);
    if (typeof got === 'string') fail('settings differ', `get: ${got}`);
    else {
      const p = settingsProblem(ref.settings, got);
      if (p) fail(p.check, `get: ${p.detail}`);
    }
  } else if (input.method === 'apply' && ref.settings) {
    ctx.figures.applied++;
    if (answer.applied !== true) fail('verdict', `apply answered ${stdout.slice(0, 200)}`);
    for (const problem of verifyTable(after.table, ref.settings)) fail(/weakened|missing|escape/.test(problem) ? 'silently weakened' : 'table', problem);
  } else if (after.table !== before.table) {
    fail('changed by a read', `${input.method} changed the table`);
  }
}

// ---------------------------------------------------------------- failures and reproduction

function record(ctx: Context, f: Failure, writeRepro: () => string): void {
  const key = `${f.category}/${f.check}`;
  const n = ctx.kept.get(key) ?? 0;
  ctx.kept.set(key, n + 1);
  if (n < ctx.opts.keep) {
    try {
      f.file = writeRepro();
    } catch (e) {
      f.file = `(not written: ${(e as Error).message})`;
    }
  }
  ctx.failures.push(f);
}

function replayLine(ctx: Context, iface: Iface, index: number): string {
  return `make fuzz FUZZ_SEED=${ctx.opts.seed} FUZZ_REPLAY=${iface}:${index}`;
}

function writeConfigRepro(ctx: Context, index: number, input: ConfigInput): string {
  mkdirSync(ctx.opts.out, { recursive: true });
  const path = `${ctx.opts.out}/config-${index}.uci`;
  writeFileSync(path, Buffer.from(input.text, 'latin1'));
  writeFileSync(`${ctx.opts.out}/config-${index}.txt`, `${input.what}\nfamily ${input.family}, seed ${ctx.opts.seed}, index ${index}\nreplay: ${replayLine(ctx, 'config', index)}\nor: VPN_PASSTHROUGH_CONFIG=${path} build/qjs --std -m dist/vpn-passthrough.js check\n`);
  return path;
}

function writeCliRepro(ctx: Context, index: number, input: CliInput): string {
  mkdirSync(ctx.opts.out, { recursive: true });
  const base = `${ctx.opts.out}/cli-${index}.base`;
  writeFileSync(base, Buffer.from(ctx.bases[input.base].text, 'latin1'));
  const path = `${ctx.opts.out}/cli-${index}.sh`;
  const script = [
    '#!/bin/sh',
    `# ${input.what} (family ${input.family}, seed ${ctx.opts.seed}, index ${index}); replay: ${replayLine(ctx, 'cli', index)}`,
    '# Run as root in a scratch network namespace: it applies a table.',
    `d=$(mktemp -d); cp ${shQuote(base)} "$d/vpn-passthrough"; cd "$d"`,
    `export VPN_PASSTHROUGH_CONFIG="$d/vpn-passthrough" VPN_PASSTHROUGH_LOCK="$d/lock" VPN_PASSTHROUGH_FW4_STATE=${shQuote(`${ROOT}test/fixtures/fw4.state`)} TMPDIR="$d"`,
    `${shQuote(QJS)} --std -m ${shQuote(BUNDLE)} ${input.argv.map(shQuote).join(' ')}; echo "exit $?"`,
    '',
  ].join('\n');
  writeFileSync(path, Buffer.from(script, 'latin1'), { mode: 0o755 });
  return path;
}

function writeRpcdRepro(ctx: Context, index: number, input: RpcdInput): string {
  mkdirSync(ctx.opts.out, { recursive: true });
  const path = `${ctx.opts.out}/rpcd-${index}.json`;
  writeFileSync(path, Buffer.from(input.input, 'latin1'));
  writeFileSync(`${ctx.opts.out}/rpcd-${index}.base`, Buffer.from(ctx.bases[input.base].text, 'latin1'));
  writeFileSync(`${ctx.opts.out}/rpcd-${index}.txt`, `${input.what}\nfamily ${input.family}, seed ${ctx.opts.seed}, index ${index}\nmethod ${JSON.stringify(input.method)}, stdin rpcd-${index}.json, config rpcd-${index}.base\nreplay: ${replayLine(ctx, 'rpcd', index)}\n`);
  return path;
}

// ---------------------------------------------------------------- odd config files (item 8)

async function oddFiles(w: Worker, ctx: Context): Promise<number> {
  const category = 'config:odd-files';
  let cases = 0;
  const dir = `${w.scratch}/odd`;
  mkdirSync(dir, { recursive: true });
  const fail = (check: string, what: string, detail: string) => ctx.failures.push({ category, check, index: -1, what, detail });
  const shipped = readFileSync(`${ROOT}files/etc/config/vpn-passthrough`);
  // Load a known table first: every refused case must leave it as it is.
  w.writeConfig(ctx.bases[1].text);
  await w.cli(['apply']);
  const refused = async (what: string, path: string, timeout = 5_000) => {
    cases++;
    const before = await w.table();
    for (const command of ['check', 'apply']) {
      const r = await w.cli(['-c', path, command], { timeout });
      const out = r.stdout.toString('utf8') + r.stderr.toString('utf8');
      if (r.timedOut) fail('hang', what, `${command} did not finish within ${timeout / 1000} s`);
      else if (r.status === 0) fail('verdict', what, `${command} exited 0: ${out.slice(0, 200)}`);
      else if (r.status !== 1 && r.status !== 3) fail('exit code', what, `${command} exited ${r.status}`);
      const engine = engineText(out, '');
      if (engine) fail('engine error', what, engine);
    }
    if ((await w.table()) !== before) fail('changed on rejection', what, 'the table changed');
  };
  mkdirSync(`${dir}/a-directory`, { recursive: true });
  await refused('the config path is a directory', `${dir}/a-directory`);
  symlinkSync(`${dir}/a-directory`, `${dir}/link-to-directory`);
  await refused('the config path is a symlink to a directory', `${dir}/link-to-directory`);
  const fifo = await w.exec(['mkfifo', `${dir}/fifo`]);
  if (fifo.status === 0) await refused('the config path is a FIFO nobody writes', `${dir}/fifo`, 3_000);
  await refused('the config path is /dev/zero', '/dev/zero', 3_000);
  await refused('the config path is /dev/null', '/dev/null', 3_000);

  // A file that is no config: errors must not quote what a config line cannot hold.
  cases++;
  const secret = `${dir}/shadow`;
  writeFileSync(secret, 'root:$6$SECRETSALT$c2VjcmV0aGFzaA:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n');
  const leak = [await w.cli(['-c', secret, 'check']), await w.cli(['-c', secret, '--json', 'apply'])];
  for (const r of leak) {
    if (/SECRETSALT|c2VjcmV0aGFzaA/.test(r.stdout.toString('latin1') + r.stderr.toString('latin1'))) {
      fail('quotes raw lines', 'the config path is a file that is no config (/etc/shadow-like)', `the error repeats the file's raw content: ${JSON.stringify((r.stderr.toString('utf8') || r.stdout.toString('utf8')).slice(0, 200))}`);
      break;
    }
  }

  // A symlinked config and one with mode 0640: set keeps the link and the mode.
  cases++;
  const target = `${dir}/real-config`;
  writeFileSync(target, shipped);
  chmodSync(target, 0o640);
  rmSync(w.box.config, { force: true });
  symlinkSync(target, w.box.config);
  w.forget();
  const viaLink = await w.cli(['set', 'pptp', 'block']);
  if (viaLink.status !== 0) fail('exit code', 'set through a symlinked config', `exited ${viaLink.status}: ${viaLink.stderr.toString('utf8').slice(0, 200)}`);
  else {
    if (!lstatSync(w.box.config).isSymbolicLink() || readlinkSync(w.box.config) !== target) fail('file replaced', 'set through a symlinked config', 'the symlink was replaced by a regular file');
    if (!/option mode 'block'/.test(readFileSync(target, 'utf8'))) fail('settings differ', 'set through a symlinked config', 'the link target does not hold the change');
    if ((statSync(target).mode & 0o777) !== 0o640) fail('file mode', 'set through a symlinked config', `the target's mode went from 0640 to 0${(statSync(target).mode & 0o777).toString(8)}`);
  }
  cases++;
  rmSync(w.box.config, { force: true });
  writeFileSync(w.box.config, shipped);
  chmodSync(w.box.config, 0o644);
  const plain = await w.cli(['set', 'l2tp', 'block']);
  if (plain.status === 0 && (statSync(w.box.config).mode & 0o777) !== 0o644) fail('file mode', 'set on a config with mode 0644', `mode went to 0${(statSync(w.box.config).mode & 0o777).toString(8)}`);
  rmSync(w.box.config, { force: true });
  w.forget();
  w.strays();
  rmSync(dir, { recursive: true, force: true });
  return cases;
}

// ---------------------------------------------------------------- linear time (item 5)

interface Shape {
  category: string;
  name: string;
  /** The input of size n; the config file, if any, is written before the run. */
  make(n: number): { config?: string; args?: string[]; method?: string; input?: string };
  start: number;
  max: number;
}

const addr = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
/** A file that is invalid elsewhere: a change is parsed, edited in and validated, then refused before nft. */
const INVALID_BASE = "config protocol 'gre'\n\toption colour 'red'\n";

export const SHAPES: Shape[] = [
  { category: 'config:linear', name: 'check: one long unquoted value', start: 4096, max: 1_000_000, make: (n) => ({ config: `config global\n\toption log_limit ${'a'.repeat(n)}\n`, args: ['check'] }) },
  { category: 'config:linear', name: 'check: one long double-quoted value', start: 4096, max: 1_000_000, make: (n) => ({ config: `config global\n\toption log_limit "${'a'.repeat(n)}"\n`, args: ['check'] }) },
  { category: 'config:linear', name: 'check: many list lines', start: 4096, max: 1_000_000, make: (n) => ({ config: `config protocol 'l2tp'\n${Array.from({ length: Math.ceil(n / 25) }, (_, i) => `\tlist client '${addr(i)}'\n`).join('')}`, args: ['check'] }) },
  { category: 'config:linear', name: 'check: one named section declared many times', start: 4096, max: 1_000_000, make: (n) => ({ config: "config protocol 'pptp'\n\toption mode 'block'\n".repeat(Math.ceil(n / 43)), args: ['check'] }) },
  { category: 'config:linear', name: 'check: many anonymous sections', start: 4096, max: 1_000_000, make: (n) => ({ config: 'config global\n'.repeat(Math.ceil(n / 14)), args: ['check'] }) },
  { category: 'config:linear', name: 'check: many comment lines', start: 4096, max: 1_000_000, make: (n) => ({ config: `config global\n${'# a comment line of some length\n'.repeat(Math.ceil(n / 32))}`, args: ['check'] }) },
  { category: 'config:linear', name: 'render: many clients', start: 4096, max: 1_000_000, make: (n) => ({ config: `config protocol 'l2tp'\n${Array.from({ length: Math.ceil(n / 25) }, (_, i) => `\tlist client '${addr(i)}'\n`).join('')}`, args: ['render'] }) },
  { category: 'cli:linear', name: 'set l2tp.client with many values (refused by the file)', start: 4096, max: 1_000_000, make: (n) => ({ config: INVALID_BASE, args: ['set', 'l2tp.client', ...Array.from({ length: Math.ceil(n / 12) }, (_, i) => addr(i))] }) },
  { category: 'rpcd:linear', name: 'call set with many clients (refused by the file)', start: 4096, max: 1_000_000, make: (n) => ({ config: INVALID_BASE, method: 'set', input: JSON.stringify({ protocols: { l2tp: { client: Array.from({ length: Math.ceil(n / 13) }, (_, i) => addr(i)) } } }) }) },
  { category: 'rpcd:linear', name: 'call set with one long string', start: 4096, max: 1_000_000, make: (n) => ({ config: INVALID_BASE, method: 'set', input: JSON.stringify({ global: { log_limit: 'a'.repeat(n) } }) }) },
];

async function timeShape(w: Worker, shape: Shape, n: number, timeout: number): Promise<Timing> {
  const x = shape.make(n);
  if (x.config !== undefined) w.writeConfig(x.config);
  const bytes = (x.config?.length ?? 0) + (x.args ?? []).reduce((k, a) => k + a.length + 1, 0) + (x.input?.length ?? 0);
  const r = x.method ? await w.rpcd(x.method, Buffer.from(x.input ?? ''), timeout) : await w.cli(x.args ?? [], { timeout });
  // The kind of outcome: a size limit would make the larger input a different (cheaper) case.
  const outcome = r.timedOut ? 'timeout' : `${r.status}:${/larger than|too large/.test(r.stdout.toString('utf8') + r.stderr.toString('utf8')) ? 'size limit' : 'ok'}`;
  return { ms: r.ms, bytes, timedOut: r.timedOut, outcome };
}

interface Timing {
  ms: number;
  bytes: number;
  timedOut: boolean;
  outcome: string;
}

/**
 * Time per byte at two sizes, in the same run: the size doubles until the
 * work (the time beyond a run of the smallest input, i.e. start-up) takes
 * 60 ms, then 4x that size is timed. A run that takes LINEAR_LIMIT * 2
 * times longer than linear growth predicts is stopped and counted at that.
 * Linear when the time per byte grows at most LINEAR_LIMIT times, or the
 * larger input's work is within two start-ups (too little to tell from
 * noise; superlinear parsing of half a megabyte takes seconds).
 */
async function linearShape(w: Worker, shape: Shape): Promise<LinearFigure> {
  const best = async (n: number, runs: number, timeout = 60_000) => {
    let m: Timing = { ms: Infinity, bytes: 0, timedOut: false, outcome: '' };
    for (let i = 0; i < runs; i++) {
      const t = await timeShape(w, shape, n, timeout);
      if (t.ms < m.ms || t.timedOut) m = t;
      if (t.timedOut) break;
    }
    return m;
  };
  const base = await best(1, 3);
  let n = shape.start;
  let small = await best(n, 3);
  while (small.ms - base.ms < 60 && n * 2 * 4 <= shape.max) {
    n *= 2;
    small = await best(n, 3);
  }
  const work = Math.max(small.ms - base.ms, 1);
  const cap = base.ms + work * 4 * LINEAR_LIMIT * 2 + 500;
  const big = await best(n * 4, 3, cap);
  const perByte = (t: Timing) => Math.max(t.ms - base.ms, 0.5) / t.bytes;
  const ratio = big.timedOut ? Infinity : perByte(big) / perByte(small);
  const notes: string[] = [];
  if (big.timedOut) notes.push(`stopped at ${Math.round(cap)} ms`);
  else if (big.ms - base.ms <= 2 * base.ms) notes.push('the larger input\'s work is within two start-ups: too little to tell');
  if (!big.timedOut && big.outcome !== small.outcome) notes.push(`outcomes differ: ${small.outcome} then ${big.outcome}`);
  return {
    category: shape.category,
    shape: shape.name,
    bytes: [small.bytes, big.bytes],
    ms: [Math.round(small.ms), Math.round(big.ms)],
    baseMs: Math.round(base.ms),
    ratio,
    linear: ratio <= LINEAR_LIMIT || (!big.timedOut && big.ms - base.ms <= 2 * base.ms),
    note: notes.length ? notes.join('; ') : undefined,
  };
}

// ---------------------------------------------------------------- the run

export function inputFor(iface: Iface, seed: number, index: number, nBases: number, latin1: number): ConfigInput | CliInput | RpcdInput {
  const rng = new Rng(mix(seed, iface, index));
  if (iface === 'config') return genConfig(rng);
  if (iface === 'cli') return genCli(rng, nBases, latin1);
  return genRpcd(rng, nBases);
}

export async function runFuzz(opts: Options): Promise<Report> {
  const shipped = readFileSync(`${ROOT}files/etc/config/vpn-passthrough`, 'latin1');
  const allBases = [...bases(shipped), latin1Base(shipped)];
  const nBases = allBases.length - 1; // the last one is for the non-UTF-8 family only
  const ctx: Context = {
    opts,
    bases: allBases,
    baseVerdicts: allBases.map((b) => judgeFile(b.text)),
    failures: [],
    kept: new Map(),
    figures: newFigures(),
  };
  ctx.baseVerdicts.forEach((v, i) => {
    if (!v.valid) throw new Error(`base config ${allBases[i].name} is invalid for the reference: ${v.faults.map((f) => f.message).join('; ')}`);
  });
  const report: Report = { seed: opts.seed, figures: {}, failures: ctx.failures, inputsPerCategory: {}, linear: [], out: opts.out };
  if (!opts.replay) rmSync(opts.out, { recursive: true, force: true }); // no stale inputs from an earlier run
  const workers = Array.from({ length: opts.replay ? 1 : Math.max(1, opts.jobs) }, (_, i) => new Worker(i));
  if (opts.replay) workers[0].trace = opts.log;
  try {
    for (const iface of ['config', 'cli', 'rpcd'] as Iface[]) {
      if (opts.replay && opts.replay.iface !== iface) continue;
      const count = opts.replay ? 1 : opts.count[iface];
      if (count === 0) continue;
      ctx.figures = newFigures();
      const start = Date.now();
      let next = 0;
      let done = 0;
      const step = Math.max(1, Math.floor(count / 10));
      await Promise.all(
        workers.map(async (w) => {
          while (next < count) {
            if (opts.budget !== undefined && Date.now() - start > opts.budget * 1000) {
              ctx.figures.cut = count - next;
              next = count;
              break;
            }
            const index = opts.replay ? opts.replay.index : next;
            next++;
            const input = inputFor(iface, opts.seed, index, nBases, allBases.length - 1);
            report.inputsPerCategory[`${iface}:${input.family}`] = (report.inputsPerCategory[`${iface}:${input.family}`] ?? 0) + 1;
            if (opts.replay) opts.log(`input: ${JSON.stringify(input)}`);
            if (iface === 'config') await configCase(w, index, input as ConfigInput, ctx);
            else if (iface === 'cli') await cliCase(w, index, input as CliInput, ctx);
            else await rpcdCase(w, index, input as RpcdInput, ctx);
            if (++done % step === 0 && !opts.replay) opts.log(`  ${iface}: ${done}/${count} inputs, ${ctx.failures.filter((f) => f.category.startsWith(iface)).length} failures so far`);
          }
        }),
      );
      ctx.figures.ms = Date.now() - start;
      report.figures[iface] = ctx.figures;
    }
    if (opts.oddFiles && !opts.replay) {
      report.inputsPerCategory['config:odd-files'] = await oddFiles(workers[0], ctx);
    }
    if (opts.linear && !opts.replay) {
      for (const shape of SHAPES) {
        let fig = await linearShape(workers[0], shape);
        // Once more before calling it superlinear: another process may have taken the CPU.
        if (!fig.linear && Number.isFinite(fig.ratio)) fig = await linearShape(workers[0], shape);
        report.linear.push(fig);
        report.inputsPerCategory[shape.category] = (report.inputsPerCategory[shape.category] ?? 0) + 1;
        opts.log(`  linear: ${shape.name}: ${formatLinear(fig)}`);
        if (!fig.linear) {
          ctx.failures.push({ category: shape.category, check: 'linear time', index: -1, what: shape.name, detail: formatLinear(fig) });
        }
      }
    }
  } finally {
    for (const w of workers) w.remove();
  }
  if (report.failures.length > 0) {
    mkdirSync(opts.out, { recursive: true });
    writeFileSync(`${opts.out}/failures.json`, JSON.stringify(report.failures, null, 1));
  }
  return report;
}

export function formatLinear(f: LinearFigure): string {
  const ratio = Number.isFinite(f.ratio) ? `${f.ratio.toFixed(2)}x` : `more than ${LINEAR_LIMIT * 2}x`;
  return `${f.bytes[0]} B in ${f.ms[0]} ms, ${f.bytes[1]} B in ${f.ms[1]} ms (start-up ${f.baseMs} ms): time per byte ${ratio}${f.note ? ` (${f.note})` : ''}`;
}

/** The figures as text, for `make fuzz` and the test's diagnostics. */
export function formatReport(r: Report, count: Record<Iface, number>): string {
  const out: string[] = [];
  out.push(`seed ${r.seed}; failing inputs written to ${r.out}`);
  for (const iface of ['config', 'cli', 'rpcd'] as Iface[]) {
    const f = r.figures[iface];
    if (!f) continue;
    const fam = Object.entries(f.byFamily).map(([k, v]) => `${k} ${v}`).join(', ');
    const extra = iface === 'config' ? `, reference: ${f.refValid} valid (${f.refExtended} with libuci-only syntax), ${f.refInvalid} invalid; check accepted ${f.implAccepted}; ${f.applied} applied` : `, reference: ${f.refValid} changes, ${f.refInvalid} refusals; accepted ${f.implAccepted}; ${f.applied} applied`;
    out.push(`${iface}: ${f.inputs}/${count[iface]} inputs (${fam}) in ${(f.ms / 1000).toFixed(1)} s, ${f.qjsRuns} runs under qjs${extra}`);
    if (f.cut) out.push(`${iface}: the time budget left ${f.cut} inputs out (a loaded machine); FUZZ_SEED=${r.seed} make fuzz runs them all`);
  }
  const by = (check: string) => r.failures.filter((f) => f.check === check).length;
  out.push(`engine errors ${by('engine error')}, hangs ${by('hang')}, changes on rejection ${by('changed on rejection')}, silently weakened settings ${by('silently weakened')}, other disagreements with the reference ${r.failures.length - by('engine error') - by('hang') - by('changed on rejection') - by('silently weakened')}`);
  for (const l of r.linear) out.push(`linear ${l.category.split(':')[0]}: ${l.shape}: ${formatLinear(l)}`);
  out.push('', 'category                 inputs  failing  checks');
  for (const c of CATEGORIES) {
    const fails = r.failures.filter((f) => f.category === c.id);
    const inputs = r.inputsPerCategory[c.id] ?? 0;
    const failing = new Set(fails.map((f) => `${f.index}/${f.what}`)).size;
    const checks = [...new Set(fails.map((f) => f.check))].map((k) => `${k} ${fails.filter((f) => f.check === k).length}`).join(', ');
    out.push(`${c.id.padEnd(24)} ${String(inputs).padStart(6)}  ${String(failing).padStart(7)}  ${checks}${c.item && fails.length ? `  (issue 10 item ${c.item})` : ''}`);
  }
  return out.join('\n');
}

/** A category's failures as a few lines: the first per check, with its input file. */
export function sampleFailures(fails: Failure[], perCheck = 2): string {
  const out: string[] = [];
  for (const check of [...new Set(fails.map((f) => f.check))]) {
    const these = fails.filter((f) => f.check === check);
    out.push(`${check}: ${these.length}`);
    for (const f of these.slice(0, perCheck)) out.push(`  #${f.index} ${f.what}: ${f.detail.slice(0, 400)}${f.file ? ` [${f.file}]` : ''}`);
  }
  return out.join('\n');
}
