// Kernel facts for the PPTP helper: which of its modules are there, and
// loading them when they are loadable. Whether the kernel really has the
// helper is learnt from the table itself: apply loads it with the helper in
// one transaction, and only if that load fails tries again without it.

import { PPTP_HELPER } from '../core/protocols.ts';
import type { Paths } from './paths.ts';
import type { System } from './system.ts';

/** built-in: not a module, yet the kernel took the helper. */
export type ModuleState = 'loaded' | 'built-in' | 'available' | 'missing';

export interface HelperModules {
  modules: { name: string; state: ModuleState }[];
  /** What went wrong while loading, for the user. */
  notes: string[];
}

function moduleState(sys: System, moduleDir: string, loaded: string | null, name: string): ModuleState {
  if (loaded !== null && new RegExp(`^${name} `, 'm').test(loaded)) return 'loaded';
  return sys.exists(`${moduleDir}/${name}.ko`) ? 'available' : 'missing';
}

/** Loads the helper modules if needed (`load`), then says where each is. */
export function helperModules(sys: System, paths: Paths, load: boolean): HelperModules {
  const notes: string[] = [];
  const moduleDir = `${paths.modules}/${(sys.readFile('/proc/sys/kernel/osrelease') ?? '').trim()}`;
  let loaded = sys.readFile(paths.procModules);
  for (const name of PPTP_HELPER.modules) {
    if (load && moduleState(sys, moduleDir, loaded, name) === 'available') {
      // OpenWrt's kmodloader answers to modprobe as well.
      const r = sys.exec(['modprobe', name]);
      if (r.status !== 0) notes.push(`modprobe ${name} failed: ${r.stderr.trim() || `exit ${r.status}`}`);
      loaded = sys.readFile(paths.procModules);
    }
  }
  return { modules: PPTP_HELPER.modules.map((name) => ({ name, state: moduleState(sys, moduleDir, loaded, name) })), notes };
}

/** The module states once it is known whether the kernel took the helper: a missing module then was built in. */
export function withHelper(found: HelperModules, available: boolean): { available: boolean; modules: HelperModules['modules'] } {
  const modules = found.modules.map((m) => ({ name: m.name, state: available && m.state === 'missing' ? ('built-in' as const) : m.state }));
  return { available, modules };
}

export const NO_HELPER = `the kernel has no PPTP helper: install ${PPTP_HELPER.openwrtPackage} (opkg install ${PPTP_HELPER.openwrtPackage}), then apply again; until then one PPTP client per server at a time`;
