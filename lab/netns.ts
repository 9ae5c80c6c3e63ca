// Network namespaces made and removed by the lab itself, so nft and the VPN
// peers run against a kernel state nobody else uses. Needs root.

import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { atExit } from './cleanup.ts';

let serial = 0;
let swept = false;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Every process still in the namespace, then the namespace. */
function destroy(name: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout ?? '';
  for (const pid of pids.split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  spawnSync('ip', ['netns', 'del', name]);
}

/** Namespaces left by lab runs that were killed outright (their pid is gone). */
function sweep(): void {
  swept = true;
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  for (const line of list.split('\n')) {
    const m = /^(vpt-[a-z0-9]+-(\d+)-\d+)\b/.exec(line);
    if (m && !alive(Number(m[2]))) destroy(m[1]);
  }
}

/** true, or why this machine cannot run namespaces (the tests skip, saying so). */
export const canNetns = (() => {
  if (process.getuid?.() !== 0) return 'not root';
  const probe = spawnSync('ip', ['netns', 'list']);
  if (probe.status !== 0) return 'no ip netns';
  if (spawnSync('nft', ['--version']).status !== 0) return 'nft is not installed';
  return true;
})();

export interface Result {
  status: number;
  stdout: string;
  stderr: string;
}

export interface Netns {
  name: string;
  /** Runs argv inside the namespace and waits for it. */
  run(argv: string[], options?: { input?: string | Buffer; env?: NodeJS.ProcessEnv; timeout?: number }): Result;
  /** Like run, but a failure throws with the command and its stderr. */
  sh(...argv: string[]): string;
  /** Starts argv inside the namespace without waiting; killed by remove(). */
  start(argv: string[], env?: NodeJS.ProcessEnv): ChildProcess;
  remove(): void;
}

export function makeNetns(tag: string): Netns {
  if (!swept) sweep();
  const name = `vpt-${tag}-${process.pid}-${++serial}`;
  execFileSync('ip', ['netns', 'add', name]);
  const children: ChildProcess[] = [];
  const forget = atExit(() => ns.remove());
  const ns: Netns = {
    name,
    run(argv, options = {}) {
      const r = spawnSync('ip', ['netns', 'exec', name, ...argv], {
        input: options.input ?? '',
        encoding: 'utf8',
        env: options.env ?? process.env,
        timeout: options.timeout ?? 60_000,
        maxBuffer: 256 * 1024 * 1024,
      });
      return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
    },
    sh(...argv) {
      const r = ns.run(argv);
      if (r.status !== 0) throw new Error(`${name}: ${argv.join(' ')}: ${r.stderr.trim()}`);
      return r.stdout;
    },
    start(argv, env = process.env) {
      const child = spawn('ip', ['netns', 'exec', name, ...argv], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      children.push(child);
      return child;
    },
    remove() {
      forget();
      // Kill whole process groups: `ip netns exec` forks the real peer.
      for (const c of children) {
        try {
          if (c.pid) process.kill(-c.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      // Anything else still inside (e.g. a daemon that forked) goes too.
      destroy(name);
    },
  };
  return ns;
}
