// Who makes a change, for the change log: the user running this process
// (the CLI), the user of an rpcd session (a ubus call over HTTP), or the
// users whose rpcd sessions may write a config through rpcd's uci (LuCI's
// Save & Apply). Best effort: null or none when it cannot be told.

import type { System } from './system.ts';
import { ubusCall } from './ubus.ts';

/**
 * The real uid's name from /etc/passwd (quickjs-libc has no getuid), with
 * the address an SSH login came from: on a router everyone is root.
 */
export function processUser(sys: System): string | null {
  const uid = /^Uid:\s+([0-9]+)/m.exec(sys.readFile('/proc/self/status') ?? '')?.[1];
  if (uid === undefined) return null;
  const entry = (sys.readFile('/etc/passwd') ?? '').split('\n').find((line) => line.split(':')[2] === uid);
  const name = entry === undefined ? `uid ${uid}` : entry.split(':')[0];
  // dropbear and OpenSSH set it: "client-address client-port server-port".
  const ssh = sys.env('SSH_CLIENT')?.split(' ')[0];
  return ssh ? `${name} (ssh from ${ssh})` : name;
}

/**
 * The user logged in to an rpcd session (openwrt/rpcd session.c: `session
 * get` returns the session's values, `username` set at login); null for a
 * session without a login (uhttpd's default session when ubus needs no
 * authentication) or one that is gone.
 */
export function sessionUser(sys: System, session: string): string | null {
  const r = ubusCall<{ values?: { username?: unknown } }>(sys, 'session', 'get', { ubus_rpc_session: session, keys: ['username'] });
  const name = r?.values?.username;
  return typeof name === 'string' && name !== '' ? name : null;
}

/** rpcd's ACL patterns are fnmatch(3) globs ("*" for root's login). */
function glob(pattern: string, text: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(text);
}

interface SessionDump {
  acls?: { uci?: Record<string, string[]> };
  data?: { username?: unknown };
}

/**
 * The users of the live rpcd sessions allowed to write `config` through
 * rpcd's uci object: rpcd applies a session's changes only with that right
 * (uci.c rpc_uci_apply_access), so the one who applied is among them.
 * `session list` without a session answers one object per session, which
 * `ubus -S` prints one per line.
 */
export function uciWriters(sys: System, config: string): string[] {
  const r = sys.exec(['ubus', '-S', 'call', 'session', 'list']);
  if (r.status !== 0) return [];
  const users: string[] = [];
  for (const line of r.stdout.split('\n')) {
    let dump: SessionDump;
    try {
      dump = JSON.parse(line);
    } catch {
      continue;
    }
    const uci = dump?.acls?.uci ?? {};
    const name = dump?.data?.username;
    const writes = Object.keys(uci).some((object) => glob(object, config) && (uci[object] ?? []).some((f) => glob(f, 'write')));
    if (writes && typeof name === 'string' && users.indexOf(name) < 0) users.push(name);
  }
  return users.sort();
}
