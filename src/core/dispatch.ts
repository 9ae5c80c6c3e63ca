// How a forwarded packet reaches the handle_<part> chain of its part:
// forward -> from_lan / to_lan -> a verdict map by port, then one by IP
// protocol (GRE on to gre_version, by its version field). Maps, so that a
// packet of no VPN costs a few lookups, not a rule per part (docs/design.md).

import { ELSEWHERE_FROM_LAN, ELSEWHERE_TO_LAN } from './l2tp.ts';
import { chain, list } from './nftext.ts';
import { PARTS, PPTP_HELPER } from './protocols.ts';

// A connection opened from outside towards the LAN (a port forward to a VPN
// server on a LAN host) is not passthrough: firewall4 alone judges it.
// Expected connections (PPTP's GRE, which the server may open) belong to the
// control connection that a LAN client opened, and stay ours.
const OPENED_OUTSIDE = 'ct status & expected == 0';

// A PPTP server on the LAN sends its GRE in a conntrack entry of its own
// (GRE keys differ by direction; no helper pairs them on a port forward), so
// it looks like a LAN client's. Its control connection, opened from outside,
// names the pair; the GRE entry it opens is marked, and the mark lives in
// conntrack, so it outlasts the table being replaced. One bit of the
// conntrack mark, kept apart from the bits others use (mwan3 0x3f00).
const LAN_SERVER_MARK = '0x20000000';

function portMap(direction: 'dport' | 'sport'): string {
  const entries: string[] = [];
  for (const part of PARTS) {
    for (const m of part.matches) {
      if (m.kind === 'port') entries.push(`${m.l4proto} . ${m.port} : jump handle_${part.name}`);
    }
  }
  return `meta l4proto . th ${direction} vmap ${list(entries)}`;
}

function greMap(): string {
  const entries: string[] = [];
  for (const part of PARTS) {
    for (const m of part.matches) if (m.kind === 'gre') entries.push(`${m.version} : jump handle_${part.name}`);
  }
  return list(entries.sort());
}

function protoMap(): string {
  const entries = ['gre : jump gre_version'];
  for (const part of PARTS) {
    for (const m of part.matches) if (m.kind === 'proto') entries.push(`${m.l4proto} : jump handle_${part.name}`);
  }
  return `meta l4proto vmap ${list(entries)}`;
}

export function renderDispatch(): string[] {
  return [
    ...chain(
      'forward',
      [
        'type filter hook forward priority filter - 10; policy accept;',
        'iifname @lan_devices goto from_lan',
        'oifname @lan_devices goto to_lan',
      ],
      'Before firewall4 (priority filter): a block also cuts tunnels it would accept as established.',
    ),
    ...chain('from_lan', [
      `ct direction reply ${OPENED_OUTSIDE} return comment "opened from outside (port forward): firewall4 judges it"`,
      ELSEWHERE_FROM_LAN,
      portMap('dport'),
      protoMap(),
    ]),
    ...chain('to_lan', [`ct direction original ${OPENED_OUTSIDE} goto opened_outside`, ELSEWHERE_TO_LAN, portMap('sport'), protoMap()]),
    ...chain(
      'opened_outside',
      [
        `tcp dport ${PPTP_HELPER.port} update @inbound_pptp_v4 { ip daddr . ip saddr }`,
        `tcp dport ${PPTP_HELPER.port} update @inbound_pptp_v6 { ip6 daddr . ip6 saddr }`,
      ],
      'Opened from outside (a port forward to a server on the LAN): firewall4 judges it.',
    ),
    ...chain(
      'gre_version',
      [
        `ct mark & ${LAN_SERVER_MARK} == ${LAN_SERVER_MARK} return comment "GRE of a PPTP server on the LAN"`,
        `ct state new ip saddr . ip daddr @inbound_pptp_v4 ct mark set ct mark | ${LAN_SERVER_MARK} return`,
        `ct state new ip6 saddr . ip6 daddr @inbound_pptp_v6 ct mark set ct mark | ${LAN_SERVER_MARK} return`,
        `ip protocol gre @th,13,3 vmap ${greMap()}`,
        `ip6 nexthdr gre @th,13,3 vmap ${greMap()}`,
      ],
      'The GRE version field tells PPTP (enhanced GRE, version 1) from plain GRE (version 0).',
    ),
  ];
}
