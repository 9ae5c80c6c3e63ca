// What every operation gets: the system primitives and where things live.

import { loadConfigText } from '../core/load.ts';
import { readConfigBytes } from '../host/configfile.ts';
import type { Paths } from '../host/paths.ts';
import type { System } from '../host/system.ts';

/**
 * Who calls, for the change log (src/app/changelog.ts): the CLI, or rpcd
 * with the caller's session where the call came over HTTP (uhttpd adds
 * ubus_rpc_session); null from a shell's `ubus call`.
 */
export type Caller = { via: 'cli' } | { via: 'ubus'; session: string | null };

export interface Context {
  sys: System;
  paths: Paths;
  /** Set by the entry points; without it (tools, tests) changes are not recorded. */
  caller?: Caller;
}

/** Reads and validates the config; a missing file means every default (all allowed). */
export function readConfig(ctx: Context) {
  return loadConfigText(readConfigBytes(ctx.sys, ctx.paths.config) ?? '', ctx.paths.config);
}
