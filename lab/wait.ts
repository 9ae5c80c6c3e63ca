// Bounded waiting for the lab: every wait has a deadline, none is a timing claim.

import type { ChildProcess } from 'node:child_process';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls ok() every stepMs until it holds or ms have passed; the last answer. */
export async function until(ok: () => boolean, ms: number, stepMs = 50): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (ok()) return true;
    if (Date.now() >= end) return false;
    await sleep(stepMs);
  }
}

/** The lines a peer prints, as they come, and its exit. */
export function follow(child: ChildProcess): { lines: string[]; exited: Promise<void> } {
  const lines: string[] = [];
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  return { lines, exited };
}
