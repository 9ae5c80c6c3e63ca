// What every operation gets: the system primitives and where things live.

import { loadConfigText } from '../core/load.ts';
import { readConfigBytes } from '../host/configfile.ts';
import type { Paths } from '../host/paths.ts';
import type { System } from '../host/system.ts';

export interface Context {
  sys: System;
  paths: Paths;
}

/** Reads and validates the config; a missing file means every default (all allowed). */
export function readConfig(ctx: Context) {
  return loadConfigText(readConfigBytes(ctx.sys, ctx.paths.config) ?? '', ctx.paths.config);
}
