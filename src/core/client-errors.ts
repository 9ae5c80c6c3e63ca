// What VPN clients say when a connection fails, and what on a NAT router
// can cause it: data, so that a code is added here, not in code paths.
// `doctor --error` (src/core/explain.ts) runs only the checks of the causes
// listed, for the client asked about.
//
// Sources:
// - Windows: the RAS error texts of raserror.h, as Microsoft Learn lists
//   them ("Routing and Remote Access error codes", 600-899), and the IKE
//   codes of "System Error Codes (12000-15999)" (ERROR_IPSEC_IKE_*, 13801,
//   13806, 13868); what they mean in practice from Microsoft Learn
//   "Troubleshoot Always On VPN" (error codes 809, 812, 13801, 13806, 13868)
//   and "Configure an L2TP/IPsec server behind a NAT-T device"
//   (AssumeUDPEncapsulationContextOnSendRule).
// - macOS and iOS: the alerts of the built-in client (L2TP over IPsec,
//   Cisco IPsec, IKEv2), as Apple Support and the Apple Developer Forums
//   quote them ("The L2TP-VPN server did not respond. ...").
// - Android: the status of a built-in VPN profile in Settings ("Timeout",
//   "Unsuccessful"), and the strongSwan client's errors
//   (strongswan/strongswan src/frontends/android/app/src/main/res/values/
//   strings.xml: "Failed to establish VPN: %s.", error_unreachable ...).

import type { ProtocolName } from './protocols.ts';

/**
 * What can cause an error. The first five are checked on this router
 * (explain.ts); the others are not the router's doing, and their answer
 * says what to look at instead.
 */
export type Cause =
  /** vpn-passthrough blocks the protocol, or this client, family or server. */
  | 'blocked'
  /** PPTP without the kernel's helper: one LAN client per server. */
  | 'helper'
  /** Raw ESP through NAT: one LAN client per server. */
  | 'esp-clash'
  /** IPsec through NAT without NAT-T (UDP 4500). */
  | 'no-natt'
  /** The packets left through the WAN and the server did not answer. */
  | 'unreachable'
  /** User name, password or authentication method refused by the server. */
  | 'login'
  /** Certificates, pre-shared key or proposals of the server (or its side). */
  | 'server'
  /** The client's own settings or certificate store. */
  | 'client';

export const ROUTER_CAUSES: readonly Cause[] = ['blocked', 'helper', 'esp-clash', 'no-natt', 'unreachable'];

export interface ClientError {
  /** The number Windows shows ("Error 809"); none for the other clients. */
  code?: number;
  client: string;
  /** What the client shows, as it words it (first sentence). */
  message: string;
  /** Lower-case words that identify a message typed in: any one found in the input matches. */
  phrases?: string[];
  /** The protocols that can end in this error. */
  protocols: ProtocolName[];
  /** What happened, in one sentence. */
  meaning: string;
  /** Most likely first. */
  causes: Cause[];
  /** Where to look when this router passes the traffic (the causes that are not its own). */
  elsewhere?: string;
}

// Windows, macOS, iOS and Android run L2TP only inside IPsec (L2TP/IPsec):
// what passes or not is IPsec; vpn-passthrough's l2tp is L2TP without it.
const BOTH: ProtocolName[] = ['pptp', 'ipsec'];
const NATT_SERVER = 'a server behind NAT needs NAT-T on Windows: registry AssumeUDPEncapsulationContextOnSendRule = 2 (HKLM\\SYSTEM\\CurrentControlSet\\Services\\PolicyAgent), then a restart';

export const CLIENT_ERRORS: readonly ClientError[] = [
  {
    code: 619,
    client: 'Windows',
    message: 'A connection to the remote computer could not be established, so the port used for this connection was closed.',
    protocols: ['pptp'],
    meaning: "PPTP's control connection (TCP 1723) was made, but its tunnel (GRE) never came through",
    causes: ['blocked', 'helper', 'unreachable'],
    elsewhere: 'a firewall in front of the server that passes TCP 1723 but not GRE (IP protocol 47)',
  },
  {
    code: 691,
    client: 'Windows',
    message: 'The remote connection was denied because the user name and password combination you provided is not recognized, or the selected authentication protocol is not permitted on the remote access server.',
    protocols: BOTH,
    meaning: 'the server was reached and refused the login',
    causes: ['login'],
    elsewhere: 'the user name, password or domain, and the authentication protocol (MS-CHAP v2, EAP) on the client and the server',
  },
  {
    code: 720,
    client: 'Windows',
    message: 'A connection to the remote computer could not be established. You might need to change the network settings for this connection.',
    protocols: BOTH,
    meaning: 'PPP inside the tunnel could not agree on the network settings; for PPTP also when its GRE does not get through',
    causes: ['blocked', 'helper', 'server'],
    elsewhere: 'the server: its address pool or DHCP for VPN clients, and the protocols it allows (IPv4)',
  },
  {
    code: 789,
    client: 'Windows',
    message: 'The L2TP connection attempt failed because the security layer encountered a processing error during initial negotiations with the remote computer.',
    protocols: ['ipsec'],
    meaning: 'the IPsec negotiation (IKE) of L2TP/IPsec failed',
    causes: ['blocked', 'no-natt', 'server'],
    elsewhere: `the pre-shared key or certificate on both sides; ${NATT_SERVER}`,
  },
  {
    code: 800,
    client: 'Windows',
    message: 'Unable to establish the VPN connection. The VPN server may be unreachable, or security parameters may not be configured properly for this connection.',
    protocols: BOTH,
    meaning: 'no tunnel type the client tried got an answer',
    causes: ['blocked', 'unreachable', 'server'],
    elsewhere: "the server's address, and the VPN type of the connection (Automatic tries them in turn; set the one the server speaks)",
  },
  {
    code: 806,
    client: 'Windows',
    message: 'A connection between your computer and the VPN server has been started, but the VPN connection cannot be completed.',
    protocols: ['pptp'],
    meaning: "PPTP's control connection works but its GRE packets do not get through (the message names GRE)",
    causes: ['blocked', 'helper', 'unreachable'],
    elsewhere: 'a firewall in front of the server that drops GRE (IP protocol 47)',
  },
  {
    code: 809,
    client: 'Windows',
    message: 'The network connection between your computer and the VPN server could not be established because the remote server is not responding.',
    protocols: ['ipsec', 'pptp'],
    meaning: 'the server did not answer: IKE (L2TP/IPsec, IKEv2) on UDP 500/4500, or PPTP, got nothing back',
    causes: ['blocked', 'esp-clash', 'no-natt', 'unreachable', 'server'],
    elsewhere: `UDP 500 and 4500 forwarded to the server on its side; IKEv2 fragmentation when large certificates are dropped on the way; ${NATT_SERVER}`,
  },
  {
    code: 812,
    client: 'Windows',
    message: 'The connection was prevented because of a policy configured on your RAS/VPN server.',
    protocols: BOTH,
    meaning: "the server was reached; its network policy (NPS) refused the connection, often the authentication method",
    causes: ['login'],
    elsewhere: "the server's network policy (NPS): the authentication method and the groups allowed",
  },
  {
    code: 13801,
    client: 'Windows',
    message: 'IKE authentication credentials are unacceptable.',
    protocols: ['ipsec'],
    meaning: "the server was reached; the client does not accept the server's certificate",
    causes: ['server'],
    elsewhere: "the server's certificate: its name as the client dials it, the Server Authentication EKU, and its root CA trusted on the client",
  },
  {
    code: 13806,
    client: 'Windows',
    message: 'IKE failed to find valid machine certificate.',
    protocols: ['ipsec'],
    meaning: 'the client has no machine certificate the server would accept',
    causes: ['client'],
    elsewhere: "the client's computer certificate store: a machine certificate from a CA the server trusts",
  },
  {
    code: 13868,
    client: 'Windows',
    message: 'Policy match error',
    protocols: ['ipsec'],
    meaning: 'the server was reached; client and server have no cipher suite (IKE or IPsec proposal) in common',
    causes: ['server'],
    elsewhere: 'the IKEv2 and IPsec proposals on both sides (Set-VpnConnectionIPsecConfiguration on Windows)',
  },
  {
    client: 'macOS, iOS',
    message: 'The L2TP-VPN server did not respond.',
    phrases: ['l2tp-vpn server did not respond'],
    protocols: ['ipsec'],
    meaning: 'L2TP/IPsec got no answer: IKE, NAT-T or L2TP did not get through, or the server did not reply',
    causes: ['blocked', 'esp-clash', 'no-natt', 'unreachable', 'server'],
    elsewhere: "the server's address and pre-shared key; UDP 500, 4500 and 1701 on the server's side",
  },
  {
    client: 'macOS, iOS',
    message: 'The PPTP-VPN server did not respond.',
    phrases: ['pptp-vpn server did not respond'],
    protocols: ['pptp'],
    meaning: 'PPTP got no answer (macOS 10.11 and iOS 9 were the last with PPTP)',
    causes: ['blocked', 'helper', 'unreachable'],
    elsewhere: 'TCP 1723 and GRE on the server side',
  },
  {
    client: 'macOS, iOS',
    message: 'The VPN server did not respond.',
    phrases: ['vpn server did not respond', 'server did not respond'],
    protocols: ['ipsec'],
    meaning: 'IKE (IKEv2, Cisco IPsec) got no answer',
    causes: ['blocked', 'esp-clash', 'no-natt', 'unreachable'],
    elsewhere: "the server's address; UDP 500 and 4500 on the server's side",
  },
  {
    client: 'macOS, iOS',
    message: 'Negotiation with the VPN server failed.',
    phrases: ['negotiation with the vpn server failed'],
    protocols: ['ipsec'],
    meaning: 'the server answered, but IKE did not complete: a proposal, key or identity mismatch',
    causes: ['no-natt', 'server'],
    elsewhere: 'the pre-shared key, group name, remote ID and proposals on both sides',
  },
  {
    client: 'macOS, iOS; strongSwan on Android',
    message: 'User authentication failed.',
    phrases: ['user authentication failed'],
    protocols: BOTH,
    meaning: 'the server was reached and refused the login',
    causes: ['login'],
    elsewhere: 'the user name and password (or the user certificate) on the client and the server',
  },
  {
    client: 'macOS, iOS',
    message: 'The IPSec shared secret is missing.',
    phrases: ['shared secret is missing'],
    protocols: ['ipsec'],
    meaning: 'the client has no pre-shared key for this connection',
    causes: ['client'],
    elsewhere: "the connection's Authentication Settings on the client: enter the shared secret",
  },
  {
    client: 'Android',
    message: 'Unsuccessful',
    phrases: ['unsuccessful', 'timeout'],
    protocols: BOTH,
    meaning: 'the built-in client shows no more than that the connection failed or timed out',
    causes: ['blocked', 'helper', 'esp-clash', 'no-natt', 'unreachable', 'server'],
    elsewhere: "the profile's server address, type, pre-shared key or certificates",
  },
  {
    client: 'strongSwan on Android',
    message: 'Failed to establish VPN: Server is unreachable.',
    phrases: ['server is unreachable'],
    protocols: ['ipsec'],
    meaning: 'IKE got no answer',
    causes: ['blocked', 'esp-clash', 'no-natt', 'unreachable'],
    elsewhere: "the server's address; UDP 500 and 4500 on the server's side",
  },
  {
    client: 'strongSwan on Android',
    message: 'Failed to establish VPN: Verifying server authentication failed.',
    phrases: ['verifying server authentication failed'],
    protocols: ['ipsec'],
    meaning: "the server was reached; its certificate or identity was not accepted",
    causes: ['server'],
    elsewhere: "the server's certificate (its CA on the phone, its name as the profile names the server)",
  },
  {
    client: 'strongSwan on Android',
    message: 'Failed to establish VPN: Server address lookup failed.',
    phrases: ['server address lookup failed'],
    protocols: ['ipsec'],
    meaning: "the server's name did not resolve",
    causes: ['client'],
    elsewhere: "the server name in the profile, and the phone's DNS",
  },
  {
    client: 'strongSwan on Android',
    message: 'Failed to establish VPN: Unspecified failure while connecting.',
    phrases: ['unspecified failure while connecting'],
    protocols: ['ipsec'],
    meaning: 'IKE failed without a reason the client could name',
    causes: ['blocked', 'no-natt', 'unreachable', 'server'],
    elsewhere: "the strongSwan app's log (View log) names the step that failed",
  },
];

/**
 * The error a user typed: a number (`809`, `Error 809`) finds its code;
 * words find the message they belong to, the longest match first ("The
 * L2TP-VPN server did not respond" before "server did not respond"), or a
 * good part of a message typed in. null when nothing matches.
 */
export function findClientError(input: string): ClientError | null {
  const text = input.toLowerCase().replace(/\s+/g, ' ').trim();
  const number = /^(?:error\s*(?:code\s*)?)?:?\s*([0-9]{3,5})(?![0-9])/.exec(text);
  if (number) return CLIENT_ERRORS.find((e) => e.code === Number(number[1])) ?? null;
  let best: { error: ClientError; length: number } | null = null;
  for (const error of CLIENT_ERRORS) {
    const words = [...(error.phrases ?? []), error.message.toLowerCase().replace(/\.$/, '')];
    for (const phrase of words) {
      // The phrase in what was typed, or what was typed (a good part of a sentence) in the message.
      const length = text.indexOf(phrase) >= 0 ? phrase.length : text.length >= 16 && phrase.indexOf(text) >= 0 ? text.length : 0;
      if (length > 0 && (best === null || length > best.length)) best = { error, length };
    }
  }
  return best?.error ?? null;
}
