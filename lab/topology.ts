// The lab: LAN clients -> an OpenWrt-like NAT router -> a VPN server, each a
// network namespace. The router has a bridge br-lan over one port per client,
// masquerades IPv4 out of wan0 with a firewall4-like base table, and runs our
// table through the bundle under the real qjs, exactly as `apply` loads it.

import { writeFileSync } from 'node:fs';
import { makeNetns, type Netns } from './netns.ts';
import { makeSandbox, type Sandbox } from './sandbox.ts';

export const ROUTER_LAN = '192.168.1.1';
export const ROUTER_WAN = '203.0.113.1';
export const SERVER = '203.0.113.7';
export const SERVER6 = '2001:db8:ff::7';
export const clientAddress = (i: number) => `192.168.1.${10 + i}`;
export const clientAddress6 = (i: number) => `2001:db8:1::${10 + i}`;

// The part of firewall4's default ruleset that passthrough depends on: lan to
// wan forwarding, established/related accept, IPv4 masquerade on the wan.
const FW4 = `table inet fw4 {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname "br-lan" oifname "wan0" accept
	}
	chain srcnat {
		type nat hook postrouting priority srcnat; policy accept;
		meta nfproto ipv4 oifname "wan0" masquerade
	}
}
`;

export const LAB_CONFIG = "config global\n\tlist lan_device 'br-lan'\n";

export interface Lab {
  clients: Netns[];
  router: Netns;
  server: Netns;
  /** The bundle under qjs in the router namespace. */
  box: Sandbox;
  /** Loads firewall4's base table again (as after `/etc/init.d/firewall start`). */
  loadFw4(): void;
  remove(): void;
}

function up(ns: Netns, dev: string, ...addrs: string[]): void {
  for (const a of addrs) ns.sh('ip', 'addr', 'add', a, 'dev', dev, ...(a.includes(':') ? ['nodad'] : []));
  ns.sh('ip', 'link', 'set', dev, 'up');
}

export function makeLab(options: { clients?: number } = {}): Lab {
  const count = options.clients ?? 2;
  const made: Netns[] = [];
  const ns = (tag: string) => {
    const n = makeNetns(tag);
    made.push(n);
    return n;
  };
  let box: Sandbox | undefined;
  const remove = () => {
    box?.remove();
    for (const n of made.reverse()) n.remove();
  };
  try {
    const router = ns('rtr');
    const server = ns('srv');
    const clients = Array.from({ length: count }, (_, i) => ns(`lan${i}`));
    router.sh('ip', 'link', 'add', 'br-lan', 'type', 'bridge');
    for (const [i, c] of clients.entries()) {
      c.sh('ip', 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `lan${i}`, 'netns', router.name);
      router.sh('ip', 'link', 'set', `lan${i}`, 'master', 'br-lan');
      router.sh('ip', 'link', 'set', `lan${i}`, 'up');
      up(c, 'lo');
      up(c, 'eth0', `${clientAddress(i)}/24`, `${clientAddress6(i)}/64`);
      c.sh('ip', 'route', 'add', 'default', 'via', ROUTER_LAN);
      c.sh('ip', '-6', 'route', 'add', 'default', 'via', '2001:db8:1::1');
    }
    server.sh('ip', 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'wan0', 'netns', router.name);
    up(router, 'lo');
    up(router, 'br-lan', `${ROUTER_LAN}/24`, '2001:db8:1::1/64');
    up(router, 'wan0', `${ROUTER_WAN}/24`, '2001:db8:ff::1/64');
    up(server, 'lo');
    up(server, 'eth0', `${SERVER}/24`, `${SERVER6}/64`);
    // IPv6 is routed, not translated, as on OpenWrt by default.
    server.sh('ip', '-6', 'route', 'add', '2001:db8:1::/64', 'via', '2001:db8:ff::1');
    // OpenWrt's sysctl.d turns on conntrack accounting; forwarding is on.
    router.sh('sysctl', '-q', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1', 'net.netfilter.nf_conntrack_acct=1');
    box = makeSandbox(router);
    const fw4 = `${box.dir}/fw4.nft`;
    writeFileSync(fw4, FW4);
    writeFileSync(box.config, LAB_CONFIG);
    const loadFw4 = () => void router.sh('nft', '-f', fw4);
    loadFw4();
    return { clients, router, server, box, loadFw4, remove };
  } catch (e) {
    remove();
    throw e;
  }
}
