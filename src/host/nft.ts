// nft as a program: check a script, load it in one transaction, read the
// table back as JSON. Scripts go in on stdin; errors keep argv and stderr.

import { FAMILY, TABLE } from '../core/counters.ts';
import type { Paths } from './paths.ts';
import { HostError, describeFailure, type System } from './system.ts';

function run(sys: System, paths: Paths, args: string[], input?: string): string {
  const argv = [paths.nft, ...args];
  const result = sys.exec(argv, input);
  if (result.status !== 0) throw new HostError(describeFailure(argv, result));
  return result.stdout;
}

/** Loads the script as one transaction: all of it, or nothing. */
export function loadScript(sys: System, paths: Paths, script: string): void {
  run(sys, paths, ['-f', '-'], script);
}

/** Our table as nft's JSON objects, or null when it is not loaded. */
export function listTable(sys: System, paths: Paths): unknown[] | null {
  const argv = [paths.nft, '-j', 'list', 'table', FAMILY, TABLE];
  const result = sys.exec(argv);
  if (result.status !== 0) {
    if (/No such file or directory/.test(result.stderr)) return null;
    throw new HostError(describeFailure(argv, result));
  }
  const parsed = JSON.parse(result.stdout) as { nftables?: unknown[] };
  return parsed.nftables ?? [];
}

/** Removes our table if it is there (one transaction: add-then-delete never fails). */
export function removeTable(sys: System, paths: Paths): void {
  run(sys, paths, ['-f', '-'], `table ${FAMILY} ${TABLE}\ndelete table ${FAMILY} ${TABLE}\n`);
}
