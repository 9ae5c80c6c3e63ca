// Runs the bundle the way the router does: the real QuickJS 2021-03-27 built
// by `make`, inside a network namespace, with paths moved into a scratch dir.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { BUNDLE, QJS, ROOT } from './paths.ts';
import { atExit } from './cleanup.ts';
import type { Netns } from './netns.ts';

export interface Sandbox {
  dir: string;
  config: string;
  env: NodeJS.ProcessEnv;
  /** `vpn-passthrough <args>` under qjs in the namespace. */
  cli(args: string[], extraEnv?: NodeJS.ProcessEnv): { status: number; stdout: string; stderr: string };
  remove(): void;
}

export function makeSandbox(ns: Netns): Sandbox {
  const dir = mkdtempSync(`${tmpdir()}/vpn-passthrough-test-`);
  const config = `${dir}/vpn-passthrough`;
  const env = {
    ...process.env,
    TMPDIR: dir,
    VPN_PASSTHROUGH_CONFIG: config,
    VPN_PASSTHROUGH_FW4_STATE: `${ROOT}test/fixtures/fw4.state`,
    VPN_PASSTHROUGH_LOCK: `${dir}/lock`,
    // The change log in the scratch dir, its syslog lines through a stand-in
    // logger into <dir>/syslog: never this machine's /var/log or syslog.
    VPN_PASSTHROUGH_CHANGE_LOG: `${dir}/changes.log`,
    VPN_PASSTHROUGH_LOGGER: `${ROOT}test/openwrt/logger`,
    LOGGER_STANDIN_FILE: `${dir}/syslog`,
    VPN_PASSTHROUGH_RPCD: `${dir}/rpcd`,
  };
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const forget = atExit(remove);
  return {
    dir,
    config,
    env,
    cli: (args, extraEnv = {}) => ns.run([QJS, '--std', '-m', BUNDLE, ...args], { env: { ...env, ...extraEnv } }),
    remove: () => {
      forget();
      remove();
    },
  };
}
