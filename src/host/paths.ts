// Where things live on the router; each can be moved by an environment
// variable so tests and alternate roots can point elsewhere.

import type { System } from './system.ts';

export interface Paths {
  config: string;
  fw4State: string;
  lock: string;
  /** The nft program (argv[0]). */
  nft: string;
  /** Kernel modules directory, e.g. /lib/modules/<release>. */
  modules: string;
  /** `/proc/modules`, absent on kernels without loadable modules. */
  procModules: string;
  /** This network namespace's conntrack table; absent without CONFIG_NF_CONNTRACK_PROCFS. */
  conntrack: string;
  /** '1' when conntrack counts packets and bytes. */
  conntrackAccounting: string;
  firewallConfig: string;
  /** firewall4's table of conntrack helpers (name, module, ports). */
  fw4Helpers: string;
  /** One entry per network device of this namespace. */
  sysClassNet: string;
  /** Where the kernel lists loaded modules (and built-in ones with parameters), as fw4 checks them. */
  sysModule: string;
  /** Set by the firewall include: fw4 holds its lock, so the fw4 CLI must not run. */
  inFirewall: boolean;
  /**
   * The change log (JSON lines; the older half in <path>.1, the config as
   * last recorded in <path>.config). Under /var: RAM on OpenWrt, no flash
   * wear; syslog keeps what a reboot loses.
   */
  changeLog: string;
  /** The syslog writer (busybox logger on OpenWrt). */
  logger: string;
  /** rpcd's runtime directory, where its uci apply keeps the delta it applied (snapshot-delta/<config>). */
  rpcd: string;
}

export function pathsFrom(sys: System): Paths {
  const env = (name: string, fallback: string) => sys.env(`VPN_PASSTHROUGH_${name}`) || fallback;
  return {
    config: env('CONFIG', '/etc/config/vpn-passthrough'),
    fw4State: env('FW4_STATE', '/var/run/fw4.state'),
    lock: env('LOCK', '/var/lock/vpn-passthrough.lock'),
    nft: env('NFT', 'nft'),
    modules: env('MODULES', '/lib/modules'),
    procModules: env('PROC_MODULES', '/proc/modules'),
    conntrack: env('CONNTRACK', '/proc/net/nf_conntrack'),
    conntrackAccounting: env('CONNTRACK_ACCT', '/proc/sys/net/netfilter/nf_conntrack_acct'),
    firewallConfig: env('FIREWALL_CONFIG', '/etc/config/firewall'),
    fw4Helpers: env('FW4_HELPERS', '/usr/share/firewall4/helpers'),
    sysModule: env('SYS_MODULE', '/sys/module'),
    sysClassNet: env('SYS_CLASS_NET', '/sys/class/net'),
    inFirewall: sys.env('VPN_PASSTHROUGH_IN_FIREWALL') === '1',
    changeLog: env('CHANGE_LOG', '/var/log/vpn-passthrough.log'),
    logger: env('LOGGER', 'logger'),
    rpcd: env('RPCD', '/var/run/rpcd'),
  };
}
