// What each VPN protocol looks like on the wire: the one table every other
// module reads, so protocol knowledge lives in data, not in code paths.

export type ProtocolName = 'pptp' | 'l2tp' | 'ipsec' | 'gre';
export type PartName = 'pptp' | 'l2tp' | 'ike' | 'natt' | 'esp' | 'ah' | 'gre';

/** How a part is recognised: a transport port, an IP protocol, or GRE of one version. */
export type Match =
  | { kind: 'port'; l4proto: 'tcp' | 'udp'; port: number }
  | { kind: 'proto'; l4proto: 'esp' | 'ah' }
  | { kind: 'gre'; version: 0 | 1 };

export interface Part {
  name: PartName;
  protocol: ProtocolName;
  /** The protocol-section option whose mode governs this part. */
  modeOption: 'mode' | 'esp';
  title: string;
  matches: Match[];
}

export interface Protocol {
  name: ProtocolName;
  title: string;
  /** Shown next to the toggle and in `status`. */
  summary: string;
  /** Set when the protocol is known to be cryptographically broken. */
  insecure?: string;
}

export const PROTOCOLS: readonly Protocol[] = [
  {
    name: 'pptp',
    title: 'PPTP',
    summary: 'control on TCP 1723, data in enhanced GRE; needs the PPTP helper for several LAN clients',
    insecure: 'PPTP (MS-CHAPv2) can be cracked offline; prefer IPsec/IKEv2 or WireGuard',
  },
  { name: 'l2tp', title: 'L2TP', summary: 'L2TP control and data on UDP 1701 (without IPsec)' },
  {
    name: 'ipsec',
    title: 'IPsec',
    summary: 'IKE on UDP 500, NAT-T on UDP 4500; raw ESP and AH governed apart by option esp',
  },
  { name: 'gre', title: 'GRE', summary: 'plain GRE tunnels (IP protocol 47, version 0), not PPTP' },
];

/** L2TP's UDP port: where clients send, and (usually) the port they send from. */
export const L2TP_PORT = 1701;

export const PARTS: readonly Part[] = [
  {
    name: 'pptp',
    protocol: 'pptp',
    modeOption: 'mode',
    title: 'PPTP control and data',
    matches: [
      { kind: 'port', l4proto: 'tcp', port: 1723 },
      { kind: 'gre', version: 1 },
    ],
  },
  { name: 'l2tp', protocol: 'l2tp', modeOption: 'mode', title: 'L2TP', matches: [{ kind: 'port', l4proto: 'udp', port: L2TP_PORT }] },
  { name: 'ike', protocol: 'ipsec', modeOption: 'mode', title: 'IPsec IKE', matches: [{ kind: 'port', l4proto: 'udp', port: 500 }] },
  { name: 'natt', protocol: 'ipsec', modeOption: 'mode', title: 'IPsec NAT-T', matches: [{ kind: 'port', l4proto: 'udp', port: 4500 }] },
  { name: 'esp', protocol: 'ipsec', modeOption: 'esp', title: 'IPsec ESP', matches: [{ kind: 'proto', l4proto: 'esp' }] },
  { name: 'ah', protocol: 'ipsec', modeOption: 'esp', title: 'IPsec AH', matches: [{ kind: 'proto', l4proto: 'ah' }] },
  { name: 'gre', protocol: 'gre', modeOption: 'mode', title: 'plain GRE', matches: [{ kind: 'gre', version: 0 }] },
];

/** The kernel's PPTP conntrack helper: IPv4 only, attached to the TCP 1723 control connection. */
export const PPTP_HELPER = {
  name: 'pptp',
  type: 'pptp',
  l4proto: 'tcp',
  port: 1723,
  modules: ['nf_conntrack_pptp', 'nf_nat_pptp'],
  openwrtPackage: 'kmod-nf-nathelper-extra',
} as const;

export function partsOf(protocol: ProtocolName): Part[] {
  return PARTS.filter((part) => part.protocol === protocol);
}

export function isProtocolName(name: string): name is ProtocolName {
  return PROTOCOLS.some((p) => p.name === name);
}
