// render and apply: the config and the system's facts become one script,
// loaded in one transaction (all of it or nothing: no separate check is
// needed). One nft process on the normal path. The table names the config
// it came from, so a load whose nft died after the kernel took it is known
// for what it is, and a `set` cut short is completed or undone by the next
// operation under the lock.

import { readStamp } from '../core/counters.ts';
import { ANSWERS_REFUSED, NO_L2TP_ANSWERS } from '../core/l2tp.ts';
import { renderRuleset } from '../core/render.ts';
import { configStamp } from '../core/stamp.ts';
import { commitPending, dropPending, readConfigBytes, readPending, readRecorded } from '../host/configfile.ts';
import { NO_HELPER } from '../host/kernel.ts';
import { withLock } from '../host/lock.ts';
import { listTable, loadScript, removeTable } from '../host/nft.ts';
import type { Context } from './context.ts';
import { readFacts, type SystemFacts } from './facts.ts';

export interface Rendered extends SystemFacts {
  script: string;
}

const LOCK_TIMEOUT_MS = 10000;

export function renderFromSystem(ctx: Context, load: boolean, text?: string): Rendered {
  const read = readFacts(ctx, load, text);
  return { ...read, script: renderRuleset(read.config, read.facts) };
}

/** What the loaded table says it came from: undefined when there is none, null when it cannot be read. */
function loadedStamp(ctx: Context): { stamp: string; config: string } | null | undefined {
  try {
    const objects = listTable(ctx.sys, ctx.paths);
    return objects === null ? undefined : readStamp(objects) ?? undefined;
  } catch {
    return null;
  }
}

/**
 * Loads the script. When nft fails, the table itself says whether the
 * kernel took it anyway (nft killed after the commit): then it is loaded,
 * with a warning; otherwise the table is as it was and the error stands.
 */
function load(ctx: Context, r: Rendered): Rendered {
  try {
    loadScript(ctx.sys, ctx.paths, r.script);
    return r;
  } catch (e) {
    const loaded = loadedStamp(ctx);
    if (r.config.enabled ? loaded?.stamp !== r.facts.stamp : loaded !== undefined) throw e;
    return { ...r, warnings: [...r.warnings, `nft failed, but the kernel took the table all the same: ${(e as Error).message}`] };
  }
}

/** Applies under the lock (text: the config a `set` is about to write); on any failure the loaded table stays as it was. */
export function applyUnlocked(ctx: Context, text?: string): Rendered {
  const read = readFacts(ctx, true, text);
  // This load's own mark: a table of the same config loaded before is not this one.
  const facts = { ...read.facts, stamp: `${read.facts.stamp} load ${Math.floor(Math.random() * 0x100000000).toString(36)}` };
  const rendered = { ...read, facts, script: renderRuleset(read.config, facts) };
  try {
    return load(ctx, rendered);
  } catch (e) {
    // Keeping the usage record, the script declares every object before
    // deleting it; an object whose declaration differs from the kernel's
    // (its type changed since that table was loaded) refuses it with EEXIST.
    // Then the table is replaced whole, and the record begins anew.
    if (/File exists/.test((e as Error).message) && !rendered.facts.wholeTable) {
      const facts = { ...rendered.facts, wholeTable: true };
      const note = 'the usage record begins anew: the loaded table was not one this version can keep it from';
      return load(ctx, { ...rendered, facts, script: renderRuleset(rendered.config, facts), warnings: [...rendered.warnings, note] });
    }
    // Kernels of early 2024 refuse the expectations of L2TP answers (core/l2tp.ts).
    if (rendered.facts.l2tpAnswers !== false && ANSWERS_REFUSED.test((e as Error).message)) {
      const facts = { ...rendered.facts, l2tpAnswers: false };
      return load(ctx, { ...rendered, facts, script: renderRuleset(rendered.config, facts), warnings: [...rendered.warnings, NO_L2TP_ANSWERS] });
    }
    // The helper is the one part a kernel may lack; it refuses the helper
    // object with ENOENT. Then once more without it: if that loads, the
    // helper was what failed; if not, its error is the real one. That load
    // replaces the table whole, usage record too: a helper object left in
    // it could be deleted only by declaring it, which such a kernel refuses.
    const { pptpHelper, helperLoaded } = rendered.facts;
    if (!(pptpHelper || helperLoaded) || !/No such file or directory/.test((e as Error).message)) throw e;
    const facts = { ...rendered.facts, pptpHelper: false, helperLoaded: false, wholeTable: true };
    return load(ctx, { ...rendered, facts, script: renderRuleset(rendered.config, facts), warnings: pptpHelper ? [...rendered.warnings, NO_HELPER] : rendered.warnings });
  }
}

/**
 * A `set` writes the new config beside the old one, loads its table, then
 * renames it into place. Cut short in between (killed, or rpcd's timeout),
 * the next operation under the lock finishes it if the table already holds
 * the new config, and drops it otherwise: file and table agree again.
 */
function recoverPending(ctx: Context): void {
  const pending = readPending(ctx.sys, ctx.paths.config);
  if (pending === null) return;
  if (loadedStamp(ctx)?.config === configStamp(pending)) commitPending(ctx.sys, ctx.paths.config);
  else dropPending(ctx.sys, ctx.paths.config);
}

// Inside the firewall include too: fw4 has just flushed every table, and an
// apply holding the lock may have loaded ours before that, so the include
// waits its turn and loads the table again.
export function underLock<T>(ctx: Context, body: () => T): T {
  return withLock(ctx.sys, ctx.paths.lock, LOCK_TIMEOUT_MS, () => {
    recoverPending(ctx);
    return body();
  });
}

/**
 * Loads the config as it is; a change made to it without us since the last
 * record goes into the change log. The log's code loads only then: the
 * firewall include applies at every reload, and rarely finds one.
 */
export async function apply(ctx: Context): Promise<Rendered> {
  if (ctx.caller === undefined || !changedSinceRecord(ctx)) {
    return underLock(ctx, () => applyUnlocked(ctx, readConfigBytes(ctx.sys, ctx.paths.config) ?? ''));
  }
  const record = (await import('./changelog.ts')).changeRecord(ctx, null);
  return record.outcome(() =>
    underLock(ctx, () =>
      record.outcome(() => {
        const text = readConfigBytes(ctx.sys, ctx.paths.config) ?? '';
        record.from(text);
        return applyUnlocked(ctx, text);
      }),
    ),
  );
}

/** Whether the file differs from the change log's copy (none yet after a boot: the record begins). */
function changedSinceRecord(ctx: Context): boolean {
  const last = readRecorded(ctx.sys, ctx.paths);
  return last === null || last.text !== (readConfigBytes(ctx.sys, ctx.paths.config) ?? '');
}

/**
 * Whether the loaded table holds the config as the file is now. After
 * LuCI's Save & Apply, procd's reload trigger has mostly applied it: the
 * page asks for an apply only where that did not happen, and so learns why.
 */
export function holdsConfig(ctx: Context): boolean {
  const loaded = loadedStamp(ctx);
  return !!loaded && loaded.config === configStamp(readConfigBytes(ctx.sys, ctx.paths.config) ?? '');
}

/** What an apply did, as data (CLI --json, ubus). */
export function appliedSummary(r: Rendered) {
  return { applied: true, enabled: r.config.enabled, lan_devices: r.facts.lanDevices, pptp_helper: r.facts.pptpHelper, warnings: r.warnings };
}

/** `stop`: the table goes, the config stays (init script stop, package removal). */
export function stop(ctx: Context): void {
  underLock(ctx, () => removeTable(ctx.sys, ctx.paths));
}
