// The bundle as `make` built it, copied into a bench's scratch directory: a
// bench runs for minutes, and a rebuild of dist/ meanwhile (another make in
// the same tree) would take its chunks away from under a running command.

import { copyFileSync, readdirSync } from 'node:fs';

/** Copies the entry and its chunks into dir; the entry's path there. */
export function copyBundle(dir) {
  for (const f of readdirSync('dist').filter((f) => /^vpn-passthrough(-[\w-]+)?\.js$/.test(f))) copyFileSync(`dist/${f}`, `${dir}/${f}`);
  return `${dir}/vpn-passthrough.js`;
}
