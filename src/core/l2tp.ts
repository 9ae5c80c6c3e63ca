// L2TP servers that answer from another port. RFC 2661 (section 8.1) lets a
// server answer a request sent to its UDP port 1701 from a port of its own,
// the client then going on with that port; Windows RRAS does so. The answer
// matches no conntrack entry (the request's entry expects it from port
// 1701): it is a new connection from outside, which firewall4 drops, and
// through NAT it is addressed to the router, not to the client.
//
// So the request, once NAT has given it its source port, sets a conntrack
// expectation: a connection from the server, from any port, to that port.
// The answer opens it, and conntrack calls it related, which firewall4
// accepts (`ct state related` in its forward chain): over routed IPv6 that
// is all it takes. Through IPv4 NAT the answer must also reach the client:
// a map notes the client of each request by server, and our own dstnat
// chain sends the expected connection there. An expectation names its port
// once for all, 1701, so only a request that left the router from port 1701
// sets one. NAT gives port 1701 towards one server to one client at a time
// (while that client's request is in conntrack, about a minute): a second
// client's request leaves from another port and gets no answer. Doctor
// reports such clashes from the sets below.
//
// The kernel does the rest: an expectation ends at the first answer, and
// with the request's conntrack entry at the latest.

import type { Config } from './config.ts';
import { L2TP_ELSEWHERE, L2TP_SENDERS } from './counters.ts';
import { chain, dynamicSet, T } from './nftext.ts';
import { L2TP_PORT } from './protocols.ts';

const ANSWER_TO = 'l2tp_answer_to';
const ANSWERED_ELSEWHERE = 'L2TP, answered from another port';

/**
 * In the forward path, for every mode: the connection an answer from another
 * port opened is L2TP, judged like the request (an answer's port says nothing).
 * Its client sends from port 1701 (the reply direction), its server to it.
 */
export const ELSEWHERE_FROM_LAN = `ct status & expected == expected udp sport ${L2TP_PORT} goto handle_l2tp comment "${ANSWERED_ELSEWHERE}"`;
export const ELSEWHERE_TO_LAN = `ct status & expected == expected udp dport ${L2TP_PORT} goto handle_l2tp comment "${ANSWERED_ELSEWHERE}"`;

/** What an allow notes of each L2TP packet from a LAN client, for doctor. */
export const NOTE_SENDER = `meta nfproto ipv4 iifname @lan_devices update @${L2TP_SENDERS} { ip saddr . ip daddr }`;

function expectation(name: string, l3proto: 'ip' | 'ip6'): string[] {
  return [
    `${T}ct expectation ${name} {`,
    `${T}${T}protocol udp`,
    `${T}${T}dport ${L2TP_PORT}`,
    `${T}${T}timeout 1m`,
    `${T}${T}size 1`,
    `${T}${T}l3proto ${l3proto}`,
    `${T}}`,
    '',
  ];
}

// Stable kernels of early 2024 (OpenWrt 23.05.3's 5.15.150) carry the check
// that an expectation's family be the table's, without its fix for inet
// tables (Linux 99993789966a): they refuse `l3proto ip` here with EINVAL, and
// nft names the object. Older kernels take it, newer ones need it.
/** A failed load that the kernel refused for our expectations: apply loads again without them. */
export const ANSWERS_REFUSED = /^\s*ct expectation l2tp_answer_v[46] \{/m;
export const NO_L2TP_ANSWERS =
  'this kernel (early 2024, e.g. OpenWrt 23.05.3) refuses conntrack expectations in an inet table: L2TP servers that answer from another port (Windows RRAS) cannot reach LAN clients; upgrade OpenWrt';

/**
 * While L2TP is allowed: the sets doctor reads, and where the kernel takes
 * them (`kernelTakes`) the expectations, the map and the chains that carry
 * the answers.
 */
export function renderL2tpAnswers(config: Config, kernelTakes: boolean): string[] {
  const l2tp = config.protocols.l2tp;
  if (l2tp.mode !== 'allow') return [];
  const v4 = l2tp.family !== 'ipv6';
  const v6 = l2tp.family !== 'ipv4';
  // Filled by the forward path (NOTE_SENDER) and the dstnat chain; through IPv4 NAT only.
  const out = v4
    ? [
        ...dynamicSet(L2TP_SENDERS, 'ipv4_addr . ipv4_addr', 'LAN clients using L2TP, by server, and servers that answered from another port: for doctor.'),
        ...dynamicSet(L2TP_ELSEWHERE, 'ipv4_addr', ''),
      ]
    : [];
  if (!kernelTakes) return out;
  out.push(
    `${T}# L2TP servers may answer from another port (RFC 2661 8.1; Windows RRAS does): a request expects the`,
    `${T}# answer, which firewall4 lets in as related. The request's conntrack entry bounds it (the kernel reads`,
    `${T}# this timeout as seconds).`,
  );
  if (v4) out.push(...expectation('l2tp_answer_v4', 'ip'));
  if (v6) out.push(...expectation('l2tp_answer_v6', 'ip6'));
  const expect: string[] = [];
  if (v4) {
    out.push(
      ...dynamicSet(
        ANSWER_TO,
        'ipv4_addr : ipv4_addr',
        `Each request's client, by server; 10 s: less than conntrack keeps the request (30-60 s), which holds port ${L2TP_PORT}.`,
        '10s',
      ),
    );
    expect.push(`meta nfproto ipv4 update @${ANSWER_TO} { ip daddr : ct original ip saddr } ct expectation set "l2tp_answer_v4"`);
  }
  if (v6) expect.push('meta nfproto ipv6 ct expectation set "l2tp_answer_v6"');
  const port = `udp sport ${L2TP_PORT} udp dport ${L2TP_PORT}`;
  out.push(
    ...chain(
      'l2tp_requests',
      [
        'type filter hook postrouting priority srcnat + 10; policy accept;',
        `${port} ct state new iifname @lan_devices goto l2tp_expect`, // the ports first: every forwarded packet passes here
      ],
      'After NAT: the expectation names the address and port the request left with.',
    ),
    ...chain('l2tp_expect', expect),
  );
  if (v4) {
    out.push(
      ...chain(
        'l2tp_answers',
        [
          'type nat hook prerouting priority dstnat - 10; policy accept;',
          `meta nfproto ipv4 udp dport ${L2TP_PORT} ct status & expected == expected update @${L2TP_ELSEWHERE} { ip saddr } dnat ip to ip saddr map @${ANSWER_TO}`,
        ],
        "Before firewall4's port forwards: the answer to the client that asked.",
      ),
    );
  }
  return out;
}
