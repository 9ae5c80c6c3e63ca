// Kernel facts for the PPTP helper: which modules are there, load them when
// they are loadable, and ask the kernel itself whether the helper exists.

import { PPTP_HELPER } from '../core/protocols.ts';
import type { Paths } from './paths.ts';
import type { System } from './system.ts';

export type ModuleState = 'loaded' | 'built-in' | 'available' | 'missing';

export interface HelperFacts {
  available: boolean;
  modules: { name: string; state: ModuleState }[];
  /** What went wrong while loading, for the user. */
  notes: string[];
}

// Check mode still reaches the kernel, which refuses an unknown helper type.
const PROBE = `table inet vpn_passthrough_probe {
\tct helper ${PPTP_HELPER.name} {
\t\ttype "${PPTP_HELPER.type}" protocol ${PPTP_HELPER.l4proto}
\t\tl3proto ip
\t}
}
`;

function moduleState(sys: System, moduleDir: string, loaded: string | null, name: string): ModuleState {
  if (loaded !== null && new RegExp(`^${name} `, 'm').test(loaded)) return 'loaded';
  return sys.exists(`${moduleDir}/${name}.ko`) ? 'available' : 'missing';
}

/** Loads the helper modules if needed (`load`), then reports what the kernel has. */
export function preparePptpHelper(sys: System, paths: Paths, load: boolean): HelperFacts {
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
  const probe = sys.exec([paths.nft, '-c', '-f', '-'], PROBE);
  const available = probe.status === 0;
  const modules = PPTP_HELPER.modules.map((name) => {
    const state = moduleState(sys, moduleDir, loaded, name);
    return { name, state: available && state === 'missing' ? ('built-in' as const) : state };
  });
  if (!available && /Operation not permitted|Permission denied/.test(probe.stderr)) {
    notes.push('cannot ask the kernel whether it has the PPTP helper: not permitted (run as root)');
  } else if (!available) {
    notes.push(`the kernel has no PPTP helper: install ${PPTP_HELPER.openwrtPackage} (opkg install ${PPTP_HELPER.openwrtPackage})`);
  }
  return { available, modules, notes };
}
