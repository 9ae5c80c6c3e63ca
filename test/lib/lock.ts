// What a running vpn-passthrough writes into its lock: "pid:start time".

import { readFileSync } from 'node:fs';

export function lockTarget(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return `${pid}:${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
}
