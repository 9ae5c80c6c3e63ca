// Network namespaces made and removed by the test itself, so nft runs against
// a kernel ruleset nobody else uses. Tests that need them skip when not root.

import { execFileSync, spawnSync } from 'node:child_process';

let serial = 0;

export const canNetns = (() => {
  if (process.getuid?.() !== 0) return 'not root';
  const probe = spawnSync('ip', ['netns', 'list']);
  if (probe.status !== 0) return 'no ip netns';
  if (spawnSync('nft', ['--version']).status !== 0) return 'nft is not installed';
  return true;
})();

export interface Netns {
  name: string;
  /** Runs argv inside the namespace; returns status, stdout and stderr. */
  run(argv: string[], options?: { input?: string; env?: NodeJS.ProcessEnv }): { status: number; stdout: string; stderr: string };
  remove(): void;
}

export function makeNetns(tag: string): Netns {
  const name = `vpt-${tag}-${process.pid}-${++serial}`;
  execFileSync('ip', ['netns', 'add', name]);
  return {
    name,
    run(argv, options = {}) {
      const r = spawnSync('ip', ['netns', 'exec', name, ...argv], {
        input: options.input ?? '',
        encoding: 'utf8',
        env: options.env ?? process.env,
      });
      return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
    remove() {
      spawnSync('ip', ['netns', 'del', name]);
    },
  };
}
