// A lock so two applies never interleave; a lock whose owner has died is taken over.

import { HostError, type System } from './system.ts';

export class LockBusy extends HostError {}

const WAIT_MS = 100;

/** Alive and still one of ours: a pid reused by another program does not hold the lock. */
function ownerAlive(sys: System, pid: string): boolean {
  const cmdline = /^[0-9]+$/.test(pid) ? sys.readFile(`/proc/${pid}/cmdline`) : null;
  return cmdline !== null && cmdline.indexOf('vpn-passthrough') >= 0;
}

// The lock is a symlink whose target is the owner's pid: created with its
// content in one step, so nobody ever sees a lock without an owner.
export function withLock<T>(sys: System, path: string, timeoutMs: number, body: () => T): T {
  const me = String(sys.pid());
  for (let waited = 0; !sys.symlink(me, path); waited += WAIT_MS) {
    const owner = sys.readLink(path);
    if (owner !== null && !ownerAlive(sys, owner)) {
      if (sys.readLink(path) === owner) sys.remove(path);
      continue;
    }
    if (waited >= timeoutMs) throw new LockBusy(`another vpn-passthrough (pid ${owner ?? '?'}) holds ${path}; try again`);
    sys.sleep(WAIT_MS);
  }
  try {
    return body();
  } finally {
    if (sys.readLink(path) === me) sys.remove(path);
  }
}
