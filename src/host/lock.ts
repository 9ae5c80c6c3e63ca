// A lock file holding the owner's pid, so two applies never interleave. The
// file is created with O_EXCL; a lock whose owner has died is taken over.

import { HostError, type System } from './system.ts';

export class LockBusy extends HostError {}

const WAIT_MS = 100;

function ownerAlive(sys: System, path: string): boolean {
  const pid = parseInt(sys.readFile(path) ?? '', 10);
  return pid > 0 && sys.exists(`/proc/${pid}`);
}

export function withLock<T>(sys: System, path: string, timeoutMs: number, body: () => T): T {
  const me = `${sys.pid()}\n`;
  for (let waited = 0; !sys.createExclusive(path, me); waited += WAIT_MS) {
    if (!ownerAlive(sys, path)) {
      sys.remove(path);
      continue;
    }
    if (waited >= timeoutMs) {
      throw new LockBusy(`another vpn-passthrough (pid ${(sys.readFile(path) ?? '?').trim()}) holds ${path}; try again`);
    }
    sys.sleep(WAIT_MS);
  }
  try {
    return body();
  } finally {
    sys.remove(path);
  }
}
