// The change log: every change through the CLI (set, unset) and ubus (set)
// is recorded with who made it and each option before and after, refused
// and failed ones too; so is every change made to the file otherwise (LuCI's
// Save & Apply through rpcd's uci, the uci command, an editor), by the next
// apply that loads it, which every such path runs (procd's reload trigger,
// the page's apply). Only the entry points record: they set ctx.caller.

import { ConfigInvalid, UsageError } from '../core/config.ts';
import { clip, optionChanges, type ChangeEntry, type OptionChange } from '../core/changes.ts';
import { appliedByRpcd, readEntries, writeEntry } from '../host/changelog.ts';
import { readRecorded, writeRecorded } from '../host/configfile.ts';
import { LockBusy } from '../host/lock.ts';
import { processUser, sessionUser, uciWriters } from '../host/users.ts';
import type { Rendered } from './apply.ts';
import type { Caller, Context } from './context.ts';

/** A change being made: told what the file was and becomes, it records the outcome of the run it wraps. */
export interface ChangeRecord {
  /** Under the lock: the file as it is (null: none). A change made to it without us since the last record is recorded too. */
  from(before: string | null): void;
  /** The file the change writes. */
  to(after: string): void;
  /**
   * Runs the change and records how it ended: applied, or refused (bad
   * input, invalid config, the lock busy) or failed, with the reason. Called
   * again around the lock for what fails before it; an outcome counts once.
   */
  outcome(run: () => Rendered): Rendered;
}

type Outside = Pick<ChangeEntry, 'via' | 'user' | 'request' | 'changes'>;

/** Bad input (UsageError, InvalidArgument), an invalid config, the lock busy: nothing was tried. Anything else failed. */
const refused = (e: unknown) => e instanceof ConfigInvalid || e instanceof UsageError || e instanceof LockBusy;

class Recorder implements ChangeRecord {
  private before: string | null = null;
  private after: string | null = null;
  private recorded: string | null = null;
  private outside: Outside | null = null;
  private done = false;
  private userOf: { name: string | null } | null = null;

  constructor(
    private ctx: Context,
    private caller: Caller,
    /** null: an apply, which records only what it finds changed. */
    private request: string | null,
  ) {}

  from(before: string | null): void {
    const { sys, paths } = this.ctx;
    this.before = before ?? '';
    const last = readRecorded(sys, paths);
    // The first operation since boot has nothing to compare with: it starts the record.
    this.recorded = last?.text ?? null;
    if (last === null || last.text === this.before) return;
    const changes = optionChanges(last.text, this.before, paths.config);
    // Comments and layout only: nothing to record.
    if (changes !== null && changes.length === 0) return;
    const config = paths.config.slice(paths.config.lastIndexOf('/') + 1);
    if (!appliedByRpcd(sys, paths, config, last.mtime)) {
      this.outside = { via: 'uci', user: null, request: 'the config file changed (uci commit, an editor ...)', changes: changes ?? [] };
      return;
    }
    // The caller's own session when it is one of those that may have applied it (the page's apply).
    const writers = uciWriters(sys, config);
    const own = this.caller.via === 'ubus' ? this.user() : null;
    const user = own !== null && writers.indexOf(own) >= 0 ? own : writers.length ? writers.join(' or ') : null;
    this.outside = { via: 'luci', user, request: "saved through rpcd's uci (LuCI Save & Apply)", changes: changes ?? [] };
  }

  to(after: string): void {
    this.after = after;
  }

  outcome(run: () => Rendered): Rendered {
    let r: Rendered;
    try {
      r = run();
    } catch (e) {
      this.finish(e);
      throw e;
    }
    r.warnings.push(...this.finish(null));
    return r;
  }

  /** Asked once, and only when an entry is written. */
  private user(): string | null {
    if (this.userOf === null) {
      const c = this.caller;
      this.userOf = { name: c.via === 'cli' ? processUser(this.ctx.sys) : c.session === null ? null : sessionUser(this.ctx.sys, c.session) };
    }
    return this.userOf.name;
  }

  private finish(e: unknown): string[] {
    if (this.done) return [];
    this.done = true;
    const { sys, paths } = this.ctx;
    const time = new Date().toISOString();
    const ended = e === null ? { result: 'applied' as const } : { result: refused(e) ? ('refused' as const) : ('failed' as const), reason: clip((e as Error)?.message ?? String(e)) };
    const entries: ChangeEntry[] = [];
    const o = this.outside;
    if (o) entries.push({ time, via: o.via, user: o.user, request: o.request, ...ended, changes: o.changes });
    if (this.request !== null) {
      const changes: OptionChange[] = this.after === null ? [] : optionChanges(this.before ?? '', this.after, paths.config) ?? [];
      entries.push({ time, via: this.caller.via, user: this.user(), request: this.request, ...ended, changes });
    }
    const problems: string[] = [];
    for (const entry of entries) problems.push(...writeEntry(sys, paths, entry));
    // What the file now holds is recorded (under the lock: from() was called).
    const now = e === null && this.after !== null ? this.after : this.before;
    if (now !== null && now !== this.recorded && !writeRecorded(sys, paths, now)) {
      problems.push(`the change log: cannot write ${paths.changeLog}.config`);
    }
    return problems.map((p) => `not recorded in ${p}`);
  }
}

const NOT_RECORDED: ChangeRecord = { from: () => undefined, to: () => undefined, outcome: (run) => run() };

/** request: what was asked (`set pptp block`); null for an apply. Without a caller (tools, tests) nothing is recorded. */
export function changeRecord(ctx: Context, request: string | null): ChangeRecord {
  return ctx.caller ? new Recorder(ctx, ctx.caller, request === null ? null : clip(request)) : NOT_RECORDED;
}

/** `vpn-passthrough log`, rpcd `log`: the entries kept, newest first; limit: at most that many. */
export function readChangeLog(ctx: Context, limit = Infinity): { entries: ChangeEntry[] } {
  return { entries: readEntries(ctx.sys, ctx.paths).slice(0, limit) };
}
