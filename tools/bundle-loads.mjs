// What QuickJS compiles for each command: the entry, the chunks each step
// of the command imports (src/main.ts, src/cli/main.ts, src/rpcd/plugin.ts
// load a command's modules with import()), and everything those import
// statically. Read from the metafile tools/build.mjs writes; used by the
// bundle budget test and make bench.

import { readFileSync } from 'node:fs';

/** Command -> the modules it imports dynamically, in order. */
export const COMMANDS = {
  apply: ['src/cli/main.ts', 'src/app/apply.ts'],
  set: ['src/cli/main.ts', 'src/app/set.ts'],
  status: ['src/cli/main.ts', 'src/app/status.ts', 'src/cli/format.ts'],
  sessions: ['src/cli/main.ts', 'src/app/sessions.ts', 'src/cli/format.ts'],
  doctor: ['src/cli/main.ts', 'src/app/doctor.ts', 'src/cli/format.ts'],
  'ubus overview': ['src/rpcd/plugin.ts', 'src/app/status.ts', 'src/app/sessions.ts'],
  'ubus set': ['src/rpcd/plugin.ts', 'src/app/set.ts'],
};

export function bundleLoads(metaPath = 'build/bundle-meta.json') {
  const { outputs } = JSON.parse(readFileSync(metaPath, 'utf8'));
  const byEntry = new Map();
  for (const [file, out] of Object.entries(outputs)) if (out.entryPoint) byEntry.set(out.entryPoint, file);
  const chunk = (module) => {
    const file = byEntry.get(module);
    if (file === undefined) throw new Error(`${module} is not loaded with import() (see tools/bundle-loads.mjs)`);
    return file;
  };
  const add = (file, seen) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const i of outputs[file].imports) if (i.kind === 'import-statement' && i.path in outputs) add(i.path, seen);
  };
  const total = Object.values(outputs).reduce((sum, o) => sum + o.bytes, 0);
  const commands = Object.entries(COMMANDS).map(([name, modules]) => {
    const seen = new Set();
    for (const module of ['src/main.ts', ...modules]) add(chunk(module), seen);
    return { name, files: seen.size, bytes: [...seen].reduce((sum, f) => sum + outputs[f].bytes, 0) };
  });
  return { total, files: Object.keys(outputs).length, commands };
}
