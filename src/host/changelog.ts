// Where the change log lives: JSON lines appended to a file under /var
// (each entry one write with O_APPEND, so concurrent writers never mix), the
// full file renamed to <file>.1 to keep it bounded without ever rewriting
// it; each entry also one syslog line (logread) through logger. Beside it,
// the config as last recorded, to tell what changed without us. Writing is
// best effort: a change never fails because it could not be logged.

import { utf8Bytes, fromUtf8 } from '../core/bytes.ts';
import { parseEntries, syslogLine, type ChangeEntry } from '../core/changes.ts';
import type { Paths } from './paths.ts';
import { describeFailure, type System } from './system.ts';

/** Per file: the log keeps between this and twice this (some 100 to 250 changes). */
export const MAX_LOG_BYTES = 32 * 1024;

const TAG = 'vpn-passthrough';

/** Appends the entry to the file and to syslog; returns what could not be written. */
export function writeEntry(sys: System, paths: Paths, entry: ChangeEntry): string[] {
  const problems: string[] = [];
  const line = utf8Bytes(`${JSON.stringify(entry)}\n`);
  try {
    const size = sys.stat(paths.changeLog)?.size ?? 0;
    // The rename is atomic; a writer still holding the old file appends to <file>.1.
    if (size > 0 && size + line.length > MAX_LOG_BYTES) sys.rename(paths.changeLog, `${paths.changeLog}.1`);
    sys.appendFile(paths.changeLog, line, 0o640);
  } catch (e) {
    problems.push(`the change log: ${(e as Error).message}`);
  }
  const argv = [paths.logger, '-t', TAG, '-p', entry.result === 'applied' ? 'user.notice' : 'user.warning', '--', syslogLine(entry)];
  const r = sys.exec(argv);
  if (r.status !== 0) problems.push(`syslog: ${describeFailure(argv.slice(0, 5), r)}`);
  return problems;
}

/** Every entry kept, newest first. */
export function readEntries(sys: System, paths: Paths): ChangeEntry[] {
  const text = (path: string) => {
    const bytes = sys.readBytes(path) ?? '';
    return fromUtf8(bytes) ?? '';
  };
  return parseEntries(`${text(`${paths.changeLog}.1`)}\n${text(paths.changeLog)}`).reverse();
}

/**
 * Whether rpcd's uci apply wrote `config` after `since` (ms): it keeps the
 * delta it applied in snapshot-delta/<config> until the next apply or the
 * confirm that ends its rollback window (openwrt/rpcd uci.c rpc_uci_apply).
 */
export function appliedByRpcd(sys: System, paths: Paths, config: string, since: number): boolean {
  const st = sys.stat(`${paths.rpcd}/snapshot-delta/${config}`);
  return st !== null && st.mtime >= since;
}
