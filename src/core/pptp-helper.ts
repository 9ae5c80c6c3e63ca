// The kernel's PPTP helper on the control connections LAN clients and the
// router open: it translates Call-IDs, so several LAN clients can reach one
// PPTP server through NAT.

import type { Config } from './config.ts';
import { HELPER_COUNTER } from './counters.ts';
import { chain, T } from './nftext.ts';
import { PPTP_HELPER } from './protocols.ts';

export function renderHelper(config: Config, pptpHelper: boolean): string[] {
  if (config.protocols.pptp.mode !== 'allow' || !pptpHelper) return [];
  // Only a new connection can take a helper; counting those tells doctor how many did.
  // The port first: every packet the router forwards passes this hook, and a
  // comparison costs less than the device set's lookup.
  const match = `tcp dport ${PPTP_HELPER.port} ct state new meta nfproto ipv4`;
  const assign = `counter name "${HELPER_COUNTER}" ct helper set "${PPTP_HELPER.name}"`;
  return [
    `${T}# Call-ID translation, so that several LAN clients can reach one PPTP server.`,
    `${T}ct helper ${PPTP_HELPER.name} {`,
    `${T}${T}type "${PPTP_HELPER.type}" protocol ${PPTP_HELPER.l4proto}`,
    `${T}${T}l3proto ip`,
    `${T}}`,
    '',
    `${T}counter ${HELPER_COUNTER} {`,
    `${T}${T}comment "new PPTP control connections handed to the helper"`,
    `${T}}`,
    '',
    ...chain('prerouting', [
      'type filter hook prerouting priority filter; policy accept;',
      `${match} iifname @lan_devices ${assign} comment "PPTP from LAN clients"`,
    ]),
    ...chain('output', [
      'type filter hook output priority filter; policy accept;',
      `${match} ${assign} comment "PPTP from the router itself"`,
    ]),
  ];
}
