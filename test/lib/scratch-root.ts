// A scratch OpenWrt root for the package tests (test/package.test.ts with
// opkg, test/apk-lifecycle.test.ts with apk): an overlay over this machine's /
// (so sh, tar, nft and python are there) chrooted inside a network namespace
// whose nftables ruleset plays the router's, with OpenWrt's parts that cannot
// run here replaced by stand-ins that follow their sources (test/openwrt:
// rc.common with procd's helpers, procd's service object behind ubus, the
// package-script part of /lib/functions.sh, uci, firewall4's init script with
// fw4). The package manager's stand-in is each test's own.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Test } from 'tap';
import { atExit } from '../../lab/cleanup.ts';
import { canNetns, makeNetns, type Netns, type Result } from '../../lab/netns.ts';
import { QJS, ROOT } from './paths.ts';

/** false, or why this machine cannot build the root (the test skips, saying so). */
export const noScratchRoot =
  canNetns !== true ? canNetns : spawnSync('unshare', ['-m', 'true']).status === 0 ? false : 'unshare -m is not available';

// A firewall4-like ruleset: what `fw4 start` loads (into table inet fw4) before it runs includes.
const FW4 = 'table inet fw4 {\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n\t}\n}\n';

export interface ScratchRoot {
  ns: Netns;
  /** The overlay's upper layer: what the root has written, as this machine sees it. */
  upper: string;
  /** Writes a file into the root. */
  put(path: string, content: string | Buffer, mode?: number): void;
  read(path: string): string;
  exists(path: string): boolean;
  /** A shell command inside the scratch root, chrooted, in the namespace. */
  root(command: string): Result;
  /** root(command), asserted on t to succeed; answers its stdout. */
  ok(command: string): string;
  /** `nft list table inet vpn_passthrough` in the namespace. */
  table(): Result;
  /** The triggers procd holds for a service (the ubus stand-in's record), or undefined once it is deleted. */
  triggers(service: string): unknown[] | undefined;
  /** Sends an event to procd as rpcd's uci apply or netifd does; answers the trigger commands it ran. */
  event(type: string, data: Record<string, string>): string[];
}

/** Builds the root for t (removed when t ends), with firewall4's table loaded in its namespace. */
export function scratchRoot(t: Test, tag: string): ScratchRoot {
  const ns = makeNetns(tag);
  // The scratch root's upper layer lives on its own tmpfs: an overlay's
  // upper directory may not sit inside its lower one (here: /).
  const dir = mkdtempSync(`${tmpdir()}/vpn-passthrough-${tag}root-`);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', `vpt-${tag}root`, dir]);
  const unmount = () => {
    spawnSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  };
  const forget = atExit(unmount);
  t.teardown(() => {
    ns.remove();
    forget();
    unmount();
  });
  const upper = `${dir}/upper`;
  for (const d of ['upper', 'work', 'merged']) mkdirSync(`${dir}/${d}`);
  // /bin, /sbin and /lib are links into /usr here (merged /usr): a real
  // directory in the upper layer would hide everything behind them.
  const real = (path: string) => `${upper}${/^\/(bin|sbin|lib)\//.test(path) ? `/usr${path}` : path}`;
  const put = (path: string, content: string | Buffer, mode = 0o644) => {
    mkdirSync(real(path).replace(/\/[^/]*$/, ''), { recursive: true });
    writeFileSync(real(path), content, { mode });
  };
  const read = (path: string) => readFileSync(real(path), 'utf8');
  const exists = (path: string) => existsSync(real(path));

  // What OpenWrt has and this machine lacks: the stand-ins, qjs (the quickjs
  // package), firewall4's state file.
  put('/etc/rc.common', readFileSync(`${ROOT}test/openwrt/rc.common`), 0o755);
  put('/lib/functions.sh', readFileSync(`${ROOT}test/openwrt/functions.sh`));
  put('/bin/ubus', readFileSync(`${ROOT}test/openwrt/ubus`), 0o755);
  put('/sbin/uci', readFileSync(`${ROOT}test/openwrt/uci`), 0o755);
  put('/etc/init.d/firewall', readFileSync(`${ROOT}test/openwrt/firewall`), 0o755);
  put('/usr/bin/qjs', readFileSync(QJS), 0o755);
  // The fw4 CLI waits for fw4's lock, which fw4 holds while it runs our include: it must never be called.
  put('/usr/sbin/fw4', '#!/bin/sh\necho "$*" >>/tmp/fw4-called\nexit 1\n', 0o755);
  put('/etc/config/firewall', "config defaults\n\toption input 'REJECT'\n\nconfig zone 'lan'\n\toption name 'lan'\n\tlist network 'lan'\n");
  put('/etc/rc.d/.keep', '');
  put('/run/fw4.state', readFileSync(`${ROOT}test/fixtures/fw4.state`));
  put('/run/lock/.keep', '');
  put('/tmp/fw4.nft', FW4);
  // luci-base's /etc/config/luci, where a translation registers its language.
  put('/etc/config/luci', "config core 'main'\n\toption lang 'auto'\n\nconfig internal 'languages'\n");
  ns.sh('nft', '-f', `${upper}/tmp/fw4.nft`);

  const root = (command: string) => {
    const mountAndChroot =
      'set -e; d=$1; mount -t overlay overlay -o lowerdir=/,upperdir=$d/upper,workdir=$d/work $d/merged; ' +
      'mount --bind /proc $d/merged/proc; mount --bind /dev $d/merged/dev; exec chroot $d/merged /bin/sh -c "$2"';
    return ns.run(['unshare', '-m', 'sh', '-c', mountAndChroot, 'sh', dir, command]);
  };
  const ok = (command: string) => {
    const r = root(command);
    t.equal(r.status, 0, `${command}${r.status ? `\n${r.stdout}${r.stderr}` : ''}`);
    return r.stdout;
  };
  const table = () => ns.run(['nft', 'list', 'table', 'inet', 'vpn_passthrough']);
  const procd = `${upper}/run/procd-standin`;
  const triggers = (service: string) => {
    const all = existsSync(`${procd}/services.json`)
      ? (JSON.parse(readFileSync(`${procd}/services.json`, 'utf8')) as { name: string; triggers: unknown[] }[])
      : [];
    return all.find((s) => s.name === service)?.triggers;
  };
  const event = (type: string, data: Record<string, string>) => {
    rmSync(`${procd}/ran`, { force: true });
    ok(`ubus call service event '${JSON.stringify({ type, data })}'`);
    return existsSync(`${procd}/ran`) ? readFileSync(`${procd}/ran`, 'utf8').trim().split('\n') : [];
  };
  return { ns, upper, put, read, exists, root, ok, table, triggers, event };
}
