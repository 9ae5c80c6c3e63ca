// The `vpn-passthrough` command: argument parsing and output only; every
// action is an app/ call that the rpcd plugin and init script share.

import type { Rendered } from '../app/apply.ts';
import { readConfig, type Context } from '../app/context.ts';
import { ConfigInvalid, formatIssue, UsageError } from '../core/config.ts';
import { LockBusy } from '../host/lock.ts';

export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const EXIT = { ok: 0, failed: 1, usage: 2, config: 3, busy: 4 } as const;

interface Parsed {
  json: boolean;
  config?: string;
  /** doctor's --error CODE and --client ADDRESS. */
  error?: string;
  client?: string;
  command: string;
  args: string[];
}

/**
 * Options go before the command's values (`status --json` is fine): after
 * the first value, or after `--`, every word is a value, so a value such as
 * `--config` is never taken for an option.
 */
function parseArgs(argv: string[]): Parsed {
  const parsed: Parsed = { json: false, command: '', args: [] };
  const rest: string[] = [];
  let options = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!options) rest.push(arg);
    else if (arg === '--') options = false;
    else if (arg === '--json') parsed.json = true;
    else if (arg === '-c' || arg === '--config') {
      if (i + 1 >= argv.length) throw new UsageError(`${arg} needs a file name`);
      parsed.config = argv[++i];
    } else if (arg === '--error' || arg === '--client') {
      if (i + 1 >= argv.length) throw new UsageError(`${arg} needs a value, e.g. doctor --error 809 --client 192.168.1.20`);
      parsed[arg === '--error' ? 'error' : 'client'] = argv[++i];
    } else if (arg === '-h' || arg === '--help') rest.unshift('help');
    else if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}`);
    else {
      rest.push(arg);
      // The command, then its first value: from there on, only values.
      if (rest.length > 1) options = false;
    }
  }
  parsed.command = rest.shift() ?? 'help';
  parsed.args = rest;
  if ((parsed.error !== undefined || parsed.client !== undefined) && parsed.command !== 'doctor') {
    throw new UsageError('--error and --client are options of doctor');
  }
  if (parsed.client !== undefined && parsed.error === undefined) throw new UsageError('--client goes with --error: doctor --error 809 --client 192.168.1.20');
  return parsed;
}

function expectArgs(p: Parsed, max: number): void {
  if (p.args.length > max) throw new UsageError(`'${p.command}' takes no argument '${p.args[max]}'`);
}

function appliedText(r: Rendered): string {
  const devices = r.facts.lanDevices.length ? r.facts.lanDevices.join(' ') : 'none';
  const what = r.config.enabled ? `table inet vpn_passthrough loaded (LAN devices: ${devices})` : 'disabled: table removed';
  return `${what}\n`;
}

async function run(ctx: Context, p: Parsed, out: Output): Promise<number> {
  // The text only where it is printed: formatting is not free on a large table.
  const print = (text: string | (() => string), data: unknown) =>
    out.stdout(p.json ? JSON.stringify(data) + '\n' : typeof text === 'string' ? text : text());
  const warn = (warnings: string[]) => {
    if (!p.json) for (const w of warnings) out.stderr(`warning: ${w}\n`);
  };
  const printApplied = async (r: Rendered) => print(appliedText(r), (await import('../app/apply.ts')).appliedSummary(r));
  switch (p.command) {
    case 'help':
      expectArgs(p, 1);
      out.stdout((await import('./usage.ts')).helpText(p.args[0]));
      return EXIT.ok;
    case 'status': {
      expectArgs(p, 0);
      const status = (await import('../app/status.ts')).readStatus(ctx);
      const { formatStatus } = await import('./format.ts');
      print(() => formatStatus(status), status);
      return EXIT.ok;
    }
    case 'sessions': {
      expectArgs(p, 0);
      // Written as it is formatted, a session at a time: a table of any size fits.
      const sessions = (await import('../app/sessions.ts')).readSessionTable(ctx);
      const { writeSessions, writeSessionsJson } = await import('./format.ts');
      const write = (text: string) => out.stdout(text);
      if (p.json) writeSessionsJson(sessions, write);
      else writeSessions(sessions, write);
      return EXIT.ok;
    }
    case 'doctor': {
      expectArgs(p, 0);
      if (p.error !== undefined) {
        const report = (await import('../app/client-error.ts')).explainClientError(ctx, p.error, p.client);
        const { formatClientError } = await import('./client-error.ts');
        print(() => formatClientError(report), report);
        return report.checks.some((c) => c.verdict === 'fail') ? EXIT.failed : EXIT.ok;
      }
      const report = (await import('../app/doctor.ts')).runDoctor(ctx);
      const { formatDoctor } = await import('./format.ts');
      print(() => formatDoctor(report.checks), report);
      return report.checks.some((c) => c.verdict === 'fail') ? EXIT.failed : EXIT.ok;
    }
    case 'self-check': {
      expectArgs(p, 0);
      const r = (await import('../app/selfcheck.ts')).selfCheck();
      const text = r.failed.length ? `self-check FAILED: ${r.failed.join(', ')}\n` : `self-check ok (${r.total} checks)\n`;
      print(text, r);
      return r.failed.length ? EXIT.failed : EXIT.ok;
    }
    case 'render': {
      expectArgs(p, 0);
      const r = (await import('../app/apply.ts')).renderFromSystem(ctx, false);
      warn(r.warnings);
      print(r.script, { script: r.script, warnings: r.warnings });
      return EXIT.ok;
    }
    case 'check': {
      expectArgs(p, 0);
      const { warnings } = readConfig(ctx);
      const lines = warnings.map(formatIssue);
      warn(lines);
      print(`${ctx.paths.config}: valid\n`, { valid: true, warnings: lines });
      return EXIT.ok;
    }
    case 'apply': {
      expectArgs(p, 0);
      const { apply } = await import('../app/apply.ts');
      const r = await apply(ctx);
      warn(r.warnings);
      await printApplied(r);
      return EXIT.ok;
    }
    case 'stop': {
      expectArgs(p, 0);
      (await import('../app/apply.ts')).stop(ctx);
      print('table inet vpn_passthrough removed\n', { stopped: true });
      return EXIT.ok;
    }
    case 'set': {
      if (p.args.length < 1) throw new UsageError('set needs KEY and VALUE, e.g. `set pptp block`');
      const set = await import('../app/set.ts');
      // `set pptp allow --for 2h`: options have ended at the first value, so --for is read here.
      const timed = p.args.indexOf('--for');
      if (timed >= 0 && (timed !== 2 || p.args.length !== 4 || p.args[1] !== 'allow')) {
        throw new UsageError('--for takes a duration after allow, such as `set pptp allow --for 2h`');
      }
      const r = timed >= 0 ? set.setAllowFor(ctx, p.args[0], p.args[3]) : set.setOption(ctx, p.args[0], p.args.slice(1));
      warn(r.warnings);
      await printApplied(r);
      return EXIT.ok;
    }
    case 'unset': {
      if (p.args.length !== 1) throw new UsageError('unset needs one KEY, e.g. `unset ipsec.esp`');
      const r = (await import('../app/set.ts')).setOption(ctx, p.args[0], null);
      warn(r.warnings);
      await printApplied(r);
      return EXIT.ok;
    }
    case 'log': {
      expectArgs(p, 0);
      const log = (await import('../app/changelog.ts')).readChangeLog(ctx);
      const { formatChangeLog } = await import('./changelog.ts');
      print(() => formatChangeLog(log.entries), log);
      return EXIT.ok;
    }
    default:
      throw new UsageError(`unknown command '${p.command}'`);
  }
}

function fail(p: Parsed | null, out: Output, code: number, message: string, issues?: string[]): number {
  const name = Object.keys(EXIT).find((k) => EXIT[k as keyof typeof EXIT] === code);
  if (p?.json) out.stdout(JSON.stringify({ error: { code: name, message, issues } }) + '\n');
  out.stderr(`vpn-passthrough: ${message}\n`);
  if (code === EXIT.usage) out.stderr("run 'vpn-passthrough help' for usage\n");
  return code;
}

/** Runs one command line; returns the exit code. */
export async function runCli(argv: string[], makeContext: (config?: string) => Context, out: Output): Promise<number> {
  let parsed: Parsed | null = null;
  try {
    parsed = parseArgs(argv);
    return await run({ ...makeContext(parsed.config), caller: { via: 'cli' } }, parsed, out);
  } catch (e) {
    if (e instanceof UsageError) return fail(parsed, out, EXIT.usage, e.message);
    if (e instanceof ConfigInvalid) {
      const issues = e.issues.map(formatIssue);
      return fail(parsed, out, EXIT.config, `invalid configuration, nothing changed:\n${issues.join('\n')}`, issues);
    }
    if (e instanceof LockBusy) return fail(parsed, out, EXIT.busy, e.message);
    return fail(parsed, out, EXIT.failed, (e as Error).message ?? String(e));
  }
}
