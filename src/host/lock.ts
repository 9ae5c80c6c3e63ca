// A lock so two applies never interleave; a lock whose owner has died is taken over.

import { HostError, type System } from './system.ts';

export class LockBusy extends HostError {}

const WAIT_MS = 100;

/**
 * A running process's start time (clock ticks since boot, field 22 of
 * /proc/<pid>/stat): with the pid it names one process for good, where a
 * pid alone may since belong to another. null for a zombie: it has ended.
 */
function startTime(sys: System, pid: string): string | null {
  const stat = sys.readFile(`/proc/${pid}/stat`);
  // The command name (field 2) is in parentheses and may hold spaces or ')'.
  const fields = stat === null ? [] : stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields.length > 19 && fields[0] !== 'Z' ? fields[19] : null;
}

/** The lock's owner as "pid:start", if that process still runs. */
function ownerAlive(sys: System, owner: string): boolean {
  const m = /^([0-9]+):([0-9]+)$/.exec(owner);
  return m !== null && startTime(sys, m[1]) === m[2];
}

function describe(sys: System, path: string): string {
  const st = sys.stat(path);
  const what = st === null ? 'something that is not a symlink' : st.type === 'directory' ? 'a directory' : st.type === 'file' ? 'a regular file' : 'a special file';
  return `${path} is ${what}, not a vpn-passthrough lock (a symlink to its owner); remove it`;
}

// The lock is a symlink whose target names the owner (pid and start time):
// created with its content in one step, so nobody ever sees a lock without
// an owner.
export function withLock<T>(sys: System, path: string, timeoutMs: number, body: () => T): T {
  const pid = String(sys.pid());
  const me = `${pid}:${startTime(sys, pid) ?? 0}`;
  for (let waited = 0; !sys.symlink(me, path); waited += WAIT_MS) {
    const owner = sys.readLink(path);
    if (owner === null) {
      // Gone since symlink failed, or never ours to take: only a symlink is a lock.
      if (sys.stat(path) === null) continue;
      throw new HostError(describe(sys, path));
    }
    if (!ownerAlive(sys, owner)) {
      if (sys.readLink(path) === owner) sys.remove(path);
      continue;
    }
    if (waited >= timeoutMs) throw new LockBusy(`another vpn-passthrough (pid ${owner.split(':')[0]}) holds ${path}; try again`);
    sys.sleep(WAIT_MS);
  }
  try {
    return body();
  } finally {
    if (sys.readLink(path) === me) sys.remove(path);
  }
}
