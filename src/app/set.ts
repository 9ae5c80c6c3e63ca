// `set`: options changed in the config file, checked against the schema as
// a whole file, written beside the old one, applied, and only then put in
// its place: if the apply fails the old file was never touched.

import { loadConfigText, parseConfigText } from '../core/load.ts';
import { utf8Bytes } from '../core/bytes.ts';
import { own } from '../core/own.ts';
import { UsageError } from '../core/config.ts';
import { commitPending, dropPending, readConfigBytes, writePending } from '../host/configfile.ts';
import { isProtocolName } from '../core/protocols.ts';
import { GLOBAL_OPTIONS, PROTOCOL_OPTIONS, listValue } from '../core/schema.ts';
import { withEspFollowing } from '../core/settings.ts';
import { allowFor, parseDuration, withUntilCleared } from '../core/allow-for.ts';
import { readClock } from '../host/clock.ts';
import { editUci, type UciChange } from '../core/uci.ts';
import { applyUnlocked, underLock, type Rendered } from './apply.ts';
import { changeRecord } from './changelog.ts';
import type { Context } from './context.ts';

/**
 * Turns `pptp`, `ipsec.esp`, `l2tp.client` or `log` and its values into a
 * change. A bare protocol name means its mode.
 */
export function toChange(key: string, values: string[] | null): UciChange {
  const parts = key.split('.');
  if (parts.length > 2 || parts.some((p) => p === '')) {
    throw new UsageError(`unknown setting '${key}': use <protocol>[.<option>] or [global.]<option>`);
  }
  const [head, option] = parts;
  const isProtocol = isProtocolName(head);
  const section = isProtocol ? head : 'global';
  const name = isProtocol ? option ?? 'mode' : option === undefined ? head : option;
  if (!isProtocol && option !== undefined && head !== 'global') {
    throw new UsageError(`unknown setting '${key}': use <protocol>[.<option>] or [global.]<option>`);
  }
  const spec = own(isProtocol ? PROTOCOL_OPTIONS : GLOBAL_OPTIONS, name);
  if (spec === undefined || (spec.only && spec.only.indexOf(section) < 0)) {
    const table = isProtocol ? PROTOCOL_OPTIONS : GLOBAL_OPTIONS;
    const known = Object.keys(table).filter((o) => !table[o].only || table[o].only!.indexOf(section) >= 0).join(', ');
    throw new UsageError(`unknown option '${name}' for ${section}: known options are ${known}`);
  }
  if (values !== null && !spec.list && values.length !== 1) {
    throw new UsageError(`'${key}' takes exactly one value (${spec.type.describe}); \`vpn-passthrough unset ${key}\` goes back to its default`);
  }
  const type = isProtocol ? 'protocol' : 'global';
  // null removes the option: its default applies again.
  const value = values === null ? null : spec.list ? listValue(spec, values) : values[0];
  return { section, type, single: !isProtocol, option: name, value };
}

/** The command as the change log shows it: words that need it quoted. */
function commandLine(command: string, words: string[]): string {
  return [command, ...words.map((w) => (/^[\w.:/@-]+$/.test(w) ? w : JSON.stringify(w)))].join(' ');
}

/**
 * `set PROTOCOL allow --for DURATION`: allowed from now, by the router's
 * clock, for that long; then the table blocks it by itself.
 */
export function setAllowFor(ctx: Context, key: string, duration: string): Rendered {
  return setOptions(ctx, () => {
    const change = toChange(key, ['allow']);
    if (change.type !== 'protocol' || change.option !== 'mode') throw new UsageError(`--for goes with a protocol's allow, such as \`set pptp allow --for 2h\`, not with '${key}'`);
    const d = parseDuration(duration);
    if ('error' in d) throw new UsageError(`--for: ${d.error}`);
    return allowFor(change.section, readClock(ctx.sys).now, d.seconds);
  }, commandLine('set', [key, 'allow', '--for', duration]));
}

/** `set KEY VALUE...`, or with values null `unset KEY`. */
export function setOption(ctx: Context, key: string, values: string[] | null): Rendered {
  return setOptions(ctx, () => [toChange(key, values)], commandLine(values === null ? 'unset' : 'set', [key, ...(values ?? [])]));
}

/**
 * Writes the changes together and applies them, or changes nothing; either
 * way it goes into the change log as `request`. The changes are made here,
 * so that bad input is recorded as refused too.
 */
export function setOptions(ctx: Context, changes: () => UciChange[], request = 'set'): Rendered {
  const record = changeRecord(ctx, request);
  return record.outcome(() => {
    const wanted = changes();
    return underLock(ctx, () =>
      record.outcome(() => {
        const before = readConfigBytes(ctx.sys, ctx.paths.config);
        record.from(before);
        // Only parsed, not validated: set must be able to repair an invalid value.
        const doc = parseConfigText(before ?? '', ctx.paths.config);
        // The file is bytes; values come as text.
        const encoded = wanted.map((c) => ({ ...c, value: c.value === null ? null : Array.isArray(c.value) ? c.value.map(utf8Bytes) : utf8Bytes(c.value) }));
        const text = editUci(doc, withUntilCleared(withEspFollowing(doc, encoded)));
        record.to(text);
        loadConfigText(text, ctx.paths.config);
        // The new file goes beside the old one and takes its place only once its table has loaded.
        writePending(ctx.sys, ctx.paths.config, text);
        let applied: Rendered;
        try {
          applied = applyUnlocked(ctx, text);
        } catch (e) {
          dropPending(ctx.sys, ctx.paths.config);
          throw e;
        }
        commitPending(ctx.sys, ctx.paths.config);
        return applied;
      }),
    );
  });
}


