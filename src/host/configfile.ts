// The config file as bytes. Read only when it is a regular file (a symlink
// to one is fine: a FIFO would block, /dev/zero never ends) and not larger
// than a config can sensibly be. A `set` writes the new file beside the real
// path (a symlink stays a symlink, the mode stays) and flushes it; only once
// its table has loaded is it renamed over the old one (src/app/apply.ts): a
// full disk, a crash or a kill leaves the old file whole.

import { ConfigInvalid } from '../core/config.ts';
import type { Paths } from './paths.ts';
import { HostError, type System } from './system.ts';

/** Far above any real config (a thousand scoped clients is about 30 KB). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

const tooLarge = (path: string): ConfigInvalid =>
  new ConfigInvalid([{ file: path, message: `is larger than ${MAX_CONFIG_BYTES} bytes`, fix: 'use subnets instead of long lists of addresses' }]);

/** The file's bytes (see System.readBytes), or null when there is no file: every default applies. */
export function readConfigBytes(sys: System, path: string): string | null {
  const st = sys.stat(path);
  if (st === null) return null;
  if (st.type !== 'file') {
    const what = st.type === 'directory' ? 'a directory' : 'a FIFO, device or socket';
    throw new ConfigInvalid([{ file: path, message: `is ${what}, not a regular file`, fix: 'give the path of a UCI config file' }]);
  }
  if (st.size > MAX_CONFIG_BYTES) throw tooLarge(path);
  const bytes = sys.readBytes(path);
  if (bytes !== null && bytes.length > MAX_CONFIG_BYTES) throw tooLarge(path);
  return bytes;
}

/** Where a `set` puts the new config until its table has loaded: beside the real file, so a rename replaces it. */
function pendingPath(sys: System, path: string): { target: string; pending: string } {
  const target = sys.realPath(path) ?? path;
  return { target, pending: `${target}.vpn-passthrough-pending` };
}

/**
 * Writes the new config beside the real file (a symlink stays a symlink,
 * the mode stays), every write checked, and flushes it to storage.
 */
export function writePending(sys: System, path: string, bytes: string): void {
  const { target, pending } = pendingPath(sys, path);
  sys.remove(pending);
  try {
    sys.createFile(pending, bytes, sys.stat(target)?.mode ?? 0o644);
  } catch (e) {
    throw new HostError(`cannot write the new ${path}: ${(e as Error).message}`);
  }
  // quickjs-libc has no fsync; sync(1) flushes the file (busybox without
  // its fancy options flushes everything), so the rename never exposes an
  // empty file after a power cut. Best effort: its failure is not ours.
  sys.exec(['sync', pending]);
}

/** The new config of a `set` that was cut short, or null. */
export function readPending(sys: System, path: string): string | null {
  const { pending } = pendingPath(sys, path);
  return sys.stat(pending)?.type === 'file' ? sys.readBytes(pending) : null;
}

/** The new config takes the old one's place (one rename). */
export function commitPending(sys: System, path: string): void {
  const { target, pending } = pendingPath(sys, path);
  sys.rename(pending, target);
}

export function dropPending(sys: System, path: string): void {
  sys.remove(pendingPath(sys, path).pending);
}

// The change log's copy of the config: what the last change recorded left
// in the file (app/changelog.ts), so a change made without us is found.
const recordedPath = (paths: Paths) => `${paths.changeLog}.config`;

/** The config as last recorded, and when; null at first (after a reboot: /var is RAM). */
export function readRecorded(sys: System, paths: Paths): { text: string; mtime: number } | null {
  const st = sys.stat(recordedPath(paths));
  const text = st === null ? null : sys.readBytes(recordedPath(paths));
  return st === null || text === null ? null : { text, mtime: st.mtime };
}

/** Replaces the recorded config in one rename; false when it could not be written. */
export function writeRecorded(sys: System, paths: Paths, text: string): boolean {
  const path = recordedPath(paths);
  const temp = `${path}.${sys.pid()}`;
  try {
    sys.remove(temp);
    sys.createFile(temp, text, 0o600);
    sys.rename(temp, path);
    return true;
  } catch {
    sys.remove(temp);
    return false;
  }
}
