// The lab: LAN clients -> an OpenWrt-like NAT router -> a VPN server, each a
// network namespace. The router has a bridge br-lan over one port per client,
// masquerades IPv4 out of wan0 with a firewall4-like base table, and runs our
// table through the bundle under the real qjs, exactly as `apply` loads it.
// Optionally a VPN server on the LAN (its own namespace on br-lan), reached
// from the WAN through firewall4-style port forwards (DNAT).

import { writeFileSync } from 'node:fs';
import { makeNetns, type Netns } from './netns.ts';
import { makeSandbox, type Sandbox } from './sandbox.ts';

export const ROUTER_LAN = '192.168.1.1';
export const ROUTER_WAN = '203.0.113.1';
export const SERVER = '203.0.113.7';
export const SERVER6 = '2001:db8:ff::7';
export const clientAddress = (i: number) => `192.168.1.${10 + i}`;
export const clientAddress6 = (i: number) => `2001:db8:1::${10 + i}`;
/** The LAN host that serves VPNs to the WAN through port forwards (makeLab's lanServer). */
export const LAN_SERVER = '192.168.1.200';
export const LAN_SERVER6 = '2001:db8:1::200';

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

/**
 * A firewall4 port forward: `config redirect` with `option src 'wan'`,
 * `option target 'DNAT'`, `option proto`, `option src_dport` (for tcp and
 * udp; the LAN port is the same) and `option dest_ip`.
 */
export interface PortForward {
  name: string;
  proto: 'tcp' | 'udp' | 'gre' | 'esp';
  port?: number;
  to: string;
}

/** The port forwards a PPTP server and an IKEv2 (NAT-T) responder on LAN host `to` need. */
export function vpnServerForwards(to: string): PortForward[] {
  return [
    { name: 'PPTP', proto: 'tcp', port: 1723, to },
    { name: 'PPTP GRE', proto: 'gre', to },
    { name: 'IKE', proto: 'udp', port: 500, to },
    { name: 'IPsec NAT-T', proto: 'udp', port: 4500, to },
  ];
}

// Port forwards as firewall4 renders them (templates/ruleset.uc and
// redirect.uc; fw4.uc gives a redirect from the wan zone its dstnat_wan chain
// and the zone's forward chain `ct status dnat accept`). IPv4 only, like a
// redirect whose dest_ip is IPv4; no reflection (LAN clients reaching the
// WAN address), which the lab does not need. Loaded after FW4, into the same
// table; jump targets come first.
function fw4Forwards(forwards: PortForward[]): string {
  const dnat = forwards.map((f) => {
    const match = f.port === undefined ? `meta l4proto ${f.proto}` : `${f.proto} dport ${f.port}`;
    const to = f.port === undefined ? f.to : `${f.to}:${f.port}`;
    return `\t\tmeta nfproto ipv4 ${match} counter dnat ${to} comment "!fw4: ${f.name}"\n`;
  });
  return `table inet fw4 {
\tchain forward_wan {
\t\tct status dnat accept comment "!fw4: Accept port forwards"
\t}
\tchain dstnat_wan {
${dnat.join('')}\t}
\tchain forward {
\t\tiifname "wan0" jump forward_wan comment "!fw4: Handle wan IPv4/IPv6 forward traffic"
\t}
\tchain dstnat {
\t\ttype nat hook prerouting priority dstnat; policy accept;
\t\tiifname "wan0" jump dstnat_wan comment "!fw4: Handle wan IPv4/IPv6 dstnat traffic"
\t}
}
`;
}

export const LAB_CONFIG = "config global\n\tlist lan_device 'br-lan'\n";

export interface Lab {
  clients: Netns[];
  router: Netns;
  server: Netns;
  /** The LAN host at LAN_SERVER, when makeLab was asked for one. */
  lanServer: Netns | undefined;
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

export interface LabOptions {
  /** LAN clients on br-lan (default 2). */
  clients?: number;
  /** A LAN host at LAN_SERVER on br-lan, for servers reached from the WAN. */
  lanServer?: boolean;
  /** firewall4 port forwards from wan0, part of the base table (loadFw4 loads them too). */
  forwards?: PortForward[];
}

export function makeLab(options: LabOptions = {}): Lab {
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
    let lanServer: Netns | undefined;
    if (options.lanServer) {
      lanServer = ns('lsrv');
      lanServer.sh('ip', 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'lansrv', 'netns', router.name);
      router.sh('ip', 'link', 'set', 'lansrv', 'master', 'br-lan');
      router.sh('ip', 'link', 'set', 'lansrv', 'up');
      up(lanServer, 'lo');
      up(lanServer, 'eth0', `${LAN_SERVER}/24`, `${LAN_SERVER6}/64`);
      lanServer.sh('ip', 'route', 'add', 'default', 'via', ROUTER_LAN);
      lanServer.sh('ip', '-6', 'route', 'add', 'default', 'via', '2001:db8:1::1');
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
    const forwards = options.forwards ?? [];
    writeFileSync(fw4, forwards.length > 0 ? FW4 + fw4Forwards(forwards) : FW4);
    writeFileSync(box.config, LAB_CONFIG);
    const loadFw4 = () => void router.sh('nft', '-f', fw4);
    loadFw4();
    return { clients, router, server, lanServer, box, loadFw4, remove };
  } catch (e) {
    remove();
    throw e;
  }
}
