// The config file as bytes. Read only when it is a regular file (a symlink
// to one is fine: a FIFO would block, /dev/zero never ends) and not larger
// than a config can sensibly be. Replaced by writing a new file beside its
// real path (a symlink stays a symlink, the mode stays), flushing it to
// storage, then renaming it over the old one: a full disk or a crash leaves
// the old file whole.

import { ConfigInvalid } from '../core/config.ts';
import type { System } from './system.ts';

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

export function writeConfigBytes(sys: System, path: string, bytes: string): void {
  const target = sys.realPath(path) ?? path;
  const mode = sys.stat(target)?.mode ?? 0o644;
  const random = Math.floor(Math.random() * 0x100000000).toString(36);
  const tmp = `${target}.vpn-passthrough-${random}`;
  sys.createFile(tmp, bytes, mode);
  try {
    // quickjs-libc has no fsync; sync(1) flushes the file (busybox without
    // its fancy options flushes everything), so the rename never exposes an
    // empty file after a power cut. Best effort: its failure is not ours.
    sys.exec(['sync', tmp]);
    sys.rename(tmp, target);
  } catch (e) {
    sys.remove(tmp);
    throw e;
  }
}
