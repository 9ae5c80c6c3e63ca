// `doctor`: why a VPN through this router might fail, each finding with a
// verdict and the fix. Pure judgement over facts the host gathered; every
// check says what it saw, so a wrong verdict can be traced to its input.

import type { Mode } from './config.ts';
import type { Count, Sender } from './counters.ts';
import { PPTP_HELPER, PROTOCOLS } from './protocols.ts';
import type { ClientSessions, SessionSummary } from './sessions.ts';

/** Live sessions visited one at a time (core/sessions.ts SessionList makes each one's object only for its visit). */
export interface SessionSource {
  forEach(visit: (session: SessionSummary) => void): void;
}

export type Verdict = 'ok' | 'info' | 'warn' | 'fail';

export interface Check {
  id: string;
  verdict: Verdict;
  /** What was found, in one sentence. */
  summary: string;
  fix?: string;
}

export interface DoctorFacts {
  enabled: boolean;
  /** Why nft could not list the ruleset (not installed, not permitted); null when it could. */
  nftFailure: string | null;
  tableLoaded: boolean;
  /** false: the loaded table holds an earlier version of the config (its last apply failed, or none ran since the edit). */
  tableCurrent: boolean;
  pptpMode: Mode;
  lanDevices: string[];
  /** LAN devices (not wildcards) that do not exist on this router. */
  missingDevices: string[];
  /** null when PPTP is blocked (no helper needed); available null while the table (which tells) is not loaded. */
  helper: { available: boolean | null; modules: { name: string; state: string }[] } | null;
  /** Packets our rules handed to the helper; null without the rule. */
  helperCount: Count | null;
  /** PPTP control connections whose conntrack entry names the helper; null where conntrack -L is unavailable. */
  controlsWithHelper: number | null;
  /** firewall4 zones that masquerade; null when firewall4's state is unknown. */
  masqueradeZones: string[] | null;
  flowOffloading: boolean | null;
  accounting: boolean | null;
  /** null when conntrack could not be read at all. */
  sessions: ClientSessions[] | SessionSource | null;
  /** Conntrack helpers firewall4 attaches to LAN zones; null when its state is unknown. */
  zoneHelpers: { zone: string; helpers: string[]; auto: boolean }[] | null;
  /** LAN clients that sent raw ESP through IPv4 NAT lately, by server (our table's set). */
  espSenders: Sender[];
  /** LAN clients that used L2TP through IPv4 NAT lately, by server, and the servers that answered from another port (our table's sets). */
  l2tpSenders: Sender[];
  l2tpElsewhere: string[];
}

export const NATT_FIX =
  'make the clients use NAT-T (UDP 4500): strongSwan `encap = yes`, Windows registry AssumeUDPEncapsulationContextOnSendRule = 2, or your client\'s "force UDP encapsulation"';

/** What the checks read of the sessions, gathered in one visit of each: a table may hold tens of thousands. */
interface Seen {
  /** IPv4 PPTP control connections: the kernel's PPTP helper, and so our rule, is IPv4 only. */
  pptpControls: number;
  /** Clients with a PPTP session, each once, in order. */
  pptpClients: string[];
  /** IPsec sessions where NAT translates: routed IPv6 carries raw ESP for any number of clients. */
  ipsecThroughNat: number;
  /** Of those, the ones sending raw ESP or AH, and the ones with IKE but neither NAT-T nor raw ESP. */
  raw: { client: string; server: string }[];
  ikeOnly: { client: string; server: string }[];
}

const rawFlow = (s: SessionSummary) => s.flows.some((x) => x.part === 'esp' || x.part === 'ah');
const translated = (s: SessionSummary) => s.family === 'ipv4' && s.flows.some((x) => x.publicAddress !== undefined);

function seen(f: DoctorFacts): Seen {
  const out: Seen = { pptpControls: 0, pptpClients: [], ipsecThroughNat: 0, raw: [], ikeOnly: [] };
  const pptpClients = new Set<string>();
  const visit = (s: SessionSummary) => {
    if (s.protocol === 'pptp') {
      pptpClients.add(s.client);
      if (s.family === 'ipv4') out.pptpControls += s.flows.filter((x) => x.transport === 'tcp').length;
    } else if (s.protocol === 'ipsec' && translated(s)) {
      out.ipsecThroughNat++;
      if (rawFlow(s)) out.raw.push({ client: s.client, server: s.server });
      else if (!s.flows.some((x) => x.part === 'natt')) out.ikeOnly.push({ client: s.client, server: s.server });
    }
  };
  const sessions = f.sessions;
  if (Array.isArray(sessions)) for (const c of sessions) c.sessions.forEach(visit);
  else sessions?.forEach(visit);
  out.pptpClients = [...pptpClients];
  return out;
}

function list(items: string[]): string {
  return items.length <= 3 ? items.join(', ') : `${items.slice(0, 3).join(', ')} and ${items.length - 3} more`;
}

function table(f: DoctorFacts): Check {
  const id = 'table';
  if (f.enabled && f.tableLoaded && !f.tableCurrent) {
    return {
      id,
      verdict: 'warn',
      summary: 'table inet vpn_passthrough holds an earlier version of the config: its last apply failed, or none has run since the file was edited',
      fix: 'vpn-passthrough apply (it says what fails, if anything)',
    };
  }
  if (f.enabled && f.tableLoaded) return { id, verdict: 'ok', summary: 'table inet vpn_passthrough is loaded' };
  if (f.enabled) {
    return {
      id,
      verdict: 'fail',
      summary: 'table inet vpn_passthrough is missing (a firewall stop or flush removes every table), so firewall4 alone decides',
      fix: 'vpn-passthrough apply, or /etc/init.d/firewall restart (its include applies the table)',
    };
  }
  if (f.tableLoaded) return { id, verdict: 'warn', summary: 'disabled, yet the table is still loaded', fix: 'vpn-passthrough apply' };
  return { id, verdict: 'info', summary: "disabled (option enabled '0'): firewall4 alone decides" };
}

function lan(f: DoctorFacts): Check {
  if (f.missingDevices.length > 0) {
    const present = f.lanDevices.filter((d) => f.missingDevices.indexOf(d) < 0);
    return {
      id: 'lan',
      verdict: present.length > 0 ? 'warn' : 'fail',
      summary: `LAN device ${f.missingDevices.join(', ')} does not exist on this router${present.length ? ` (found: ${present.join(' ')})` : ', so no VPN traffic is matched'}`,
      fix: 'correct list lan_device (ip link shows the devices), or the zone in list lan_zone',
    };
  }
  if (f.lanDevices.length > 0) return { id: 'lan', verdict: 'ok', summary: `LAN devices: ${f.lanDevices.join(' ')}` };
  return {
    id: 'lan',
    verdict: 'fail',
    summary: 'no LAN device is known, so no VPN traffic is matched',
    fix: "name firewall zones in list lan_zone, or devices in list lan_device (vpn-passthrough set lan_device br-lan)",
  };
}

function helperModules(f: DoctorFacts): Check {
  const id = 'helper-modules';
  if (f.helper === null) return { id, verdict: 'info', summary: 'PPTP is blocked: the PPTP helper is not needed' };
  const modules = f.helper.modules.map((m) => `${m.name} ${m.state}`).join(', ');
  if (f.helper.available === null) return { id, verdict: 'info', summary: `whether the kernel has the PPTP helper shows once the table is loaded (${modules})` };
  if (f.helper.available) return { id, verdict: 'ok', summary: `the kernel has the PPTP helper (${modules})` };
  return {
    id,
    verdict: 'fail',
    summary: `the kernel has no PPTP helper (${modules}): only one LAN client at a time can reach a given PPTP server`,
    fix: `opkg install ${PPTP_HELPER.openwrtPackage} (or apk add), then vpn-passthrough apply`,
  };
}

function helperAttached(f: DoctorFacts, s: Seen): Check | null {
  if (f.pptpMode !== 'allow' || !f.helper?.available || !f.tableLoaded) return null;
  const id = 'helper-attached';
  const controls = s.pptpControls;
  if (f.helperCount === null) {
    return { id, verdict: 'fail', summary: 'the table has no helper rule although PPTP is allowed', fix: 'vpn-passthrough apply' };
  }
  const handed = `${f.helperCount.packets} new control connections handed to it since the table was loaded`;
  if (controls === 0) return { id, verdict: 'info', summary: `no PPTP connection right now; ${handed}` };
  if (f.controlsWithHelper !== null) {
    if (f.controlsWithHelper >= controls) {
      return { id, verdict: 'ok', summary: `${controls} PPTP control connections, conntrack shows helper=pptp on each` };
    }
    return {
      id,
      verdict: 'fail',
      summary: `${controls - f.controlsWithHelper} of ${controls} PPTP control connections have no helper (opened before the table was loaded?)`,
      fix: 'reconnect those PPTP clients, or clear their entries: conntrack -D -p tcp --dport 1723',
    };
  }
  // Without conntrack -L the helper is not visible per connection; the rule
  // counts the connections it gave the helper, since the last apply.
  if (f.helperCount.packets < controls) {
    return {
      id,
      verdict: 'warn',
      summary: `${controls} PPTP control connections, ${handed}: the older ones may lack it`,
      fix: 'reconnect PPTP clients that fail; install conntrack to see helper=pptp per connection',
    };
  }
  return { id, verdict: 'ok', summary: `${controls} PPTP control connections; ${handed}` };
}

function masquerade(f: DoctorFacts): Check {
  const id = 'masquerade';
  if (f.masqueradeZones === null) return { id, verdict: 'info', summary: "firewall4's state is unknown, so masquerading was not checked" };
  if (f.masqueradeZones.length > 0) return { id, verdict: 'ok', summary: `zone ${f.masqueradeZones.join(', ')} masquerades (NAT)` };
  return {
    id,
    verdict: 'warn',
    summary: 'no firewall zone masquerades: LAN clients leave with their own addresses, so the NAT helpers have nothing to translate',
    fix: "if this router is the NAT gateway, set option masq '1' on the wan zone in /etc/config/firewall",
  };
}

function offloading(f: DoctorFacts): Check {
  const id = 'flow-offloading';
  if (f.flowOffloading === null) return { id, verdict: 'info', summary: 'flow offloading could not be read' };
  if (!f.flowOffloading) return { id, verdict: 'ok', summary: 'flow offloading is off: every packet meets the table, so a block cuts live tunnels at once' };
  return {
    id,
    verdict: 'warn',
    summary:
      'flow offloading is on: established UDP flows (IKE, NAT-T, L2TP) skip the forward hook, so a block reaches them only when their entries expire; PPTP (helper), GRE and ESP are never offloaded',
    fix: "after a block, clear live flows (conntrack -D -p udp --dport 4500), or set option flow_offloading '0' in /etc/config/firewall",
  };
}

/** The LAN clients of each server, in one pass: a table of thousands of sessions must not cost servers x sessions. */
function clientsByServer(pairs: Sender[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const s of pairs) (out.get(s.server) ?? out.set(s.server, new Set()).get(s.server)!).add(s.client);
  return out;
}

/** A check for each server that several LAN clients use where NAT serves one client per server. */
function clashes(byServer: Map<string, Set<string>>, id: string, judge: (clients: string, server: string) => Omit<Check, 'id'>): Check[] {
  const out: Check[] = [];
  byServer.forEach((clients, server) => {
    if (clients.size >= 2) out.push({ id, ...judge(list([...clients]), server) });
  });
  return out;
}

function rawEsp(f: DoctorFacts, seen: Seen): Check[] {
  if (seen.ipsecThroughNat === 0 && f.espSenders.length === 0) return [];
  // Raw ESP senders: from conntrack, and from our table's set, which also
  // sees a client whose ESP never got a conntrack entry (insert_failed).
  const raw = [...seen.raw, ...f.espSenders];
  // Clients that need raw ESP, by server: those sending it, and those with
  // IKE but no NAT-T to a server that gets raw ESP.
  const needing = clientsByServer(raw);
  for (const s of seen.ikeOnly) needing.get(s.server)?.add(s.client);
  const out = clashes(needing, 'esp-clash', (clients, server) => ({
    verdict: 'fail',
    summary: `${clients} all need raw ESP to ${server}: NAT can carry raw ESP to one server for one LAN client only, so all but one fail`,
    fix: NATT_FIX,
  }));
  const pairs = [...new Set(raw.map((s) => `${s.client} -> ${s.server}`))];
  if (pairs.length > 0) {
    out.push({
      id: 'natt',
      verdict: 'warn',
      summary: `raw ESP through NAT: ${list(pairs)}; works for one client per server at most`,
      fix: NATT_FIX,
    });
  } else {
    out.push({ id: 'natt', verdict: 'ok', summary: `${seen.ipsecThroughNat} IPsec sessions through NAT, all using NAT-T or IKE only` });
  }
  return out;
}

// A server that answers from another port reaches a client through NAT only
// when its request left the router from port 1701, which NAT gives one
// client per server at a time (core/l2tp.ts): a second client's request,
// sent while the first one's is in conntrack, gets no answer.
function l2tpElsewhere(f: DoctorFacts): Check[] {
  const elsewhere = new Set(f.l2tpElsewhere);
  return clashes(clientsByServer(f.l2tpSenders.filter((s) => elsewhere.has(s.server))), 'l2tp-clash', (clients, server) => ({
    verdict: 'warn',
    summary: `${clients} use L2TP to ${server}, which answers from another port: through NAT its answers reach one LAN client at a time, so a client that connects within a minute of another gets none`,
    fix: "connect them one after another: a client that got no answer gets through when it tries again a minute after both clients' last requests; or use L2TP over IPsec, whose NAT-T carries every client's answers",
  }));
}

function zoneHelpers(f: DoctorFacts): Check | null {
  const id = 'zone-helpers';
  if (f.zoneHelpers === null) return null;
  const others = f.zoneHelpers
    .map((z) => ({ ...z, helpers: z.helpers.filter((h) => h !== PPTP_HELPER.name) }))
    .filter((z) => z.helpers.length > 0);
  if (others.length === 0) return { id, verdict: 'ok', summary: 'firewall4 attaches no other conntrack helper to LAN connections' };
  const auto = others.filter((z) => z.auto);
  const named = others.filter((z) => !z.auto).map((z) => `zone ${z.zone} (its list helper): ${z.helpers.join(', ')}`);
  if (auto.length === 0) return { id, verdict: 'info', summary: `firewall4 attaches helpers as configured: ${named.join('; ')}` };
  return {
    id,
    verdict: 'warn',
    summary:
      `firewall4 attaches every loaded conntrack helper to connections from ${auto.map((z) => `zone ${z.zone} (${z.helpers.join(', ')})`).join(', ')}` +
      ` because of option auto_helper; ${PPTP_HELPER.openwrtPackage} loads them all with the PPTP helper, and the SIP helper rewrites VoIP calls (often breaking them)`,
    fix: `set option auto_helper '0' on ${auto.map((z) => `zone ${z.zone}`).join(', ')} in /etc/config/firewall, then /etc/init.d/firewall reload; vpn-passthrough attaches the PPTP helper itself`,
  };
}

function pptpInUse(f: DoctorFacts, seen: Seen): Check | null {
  const insecure = PROTOCOLS.find((p) => p.name === 'pptp')!.insecure!;
  const users = seen.pptpClients;
  if (users.length > 0) {
    return { id: 'pptp-in-use', verdict: 'warn', summary: `PPTP in use by ${list(users)}: ${insecure}`, fix: 'move these VPNs to IKEv2 (IPsec) or WireGuard' };
  }
  if (f.pptpMode === 'allow') return { id: 'pptp-in-use', verdict: 'info', summary: `PPTP is allowed but not in use: ${insecure}` };
  return null;
}

function conntrack(f: DoctorFacts): Check | null {
  if (f.sessions === null) {
    return { id: 'conntrack', verdict: 'warn', summary: 'the conntrack table could not be read, so live sessions were not checked', fix: 'install conntrack, or run as root' };
  }
  if (f.accounting === false) {
    return {
      id: 'accounting',
      verdict: 'info',
      summary: 'conntrack accounting is off: sessions show no packet or byte counts',
      fix: 'sysctl -w net.netfilter.nf_conntrack_acct=1 (persist in /etc/sysctl.d)',
    };
  }
  return null;
}

function nft(f: DoctorFacts): Check {
  return {
    id: 'nft',
    verdict: 'fail',
    summary: `nft cannot list the ruleset, so the table can be neither loaded nor checked: ${f.nftFailure}`,
    fix: 'opkg install nftables-json (or apk add nftables-json); run as root',
  };
}

export function diagnose(f: DoctorFacts): Check[] {
  // Without nft, "table missing" and "no PPTP helper" would be guesses: say what is wrong instead.
  const broken = f.nftFailure !== null;
  const checks: (Check | null)[] = [broken ? nft(f) : table(f), f.enabled ? lan(f) : null];
  if (f.enabled) {
    const s = seen(f);
    checks.push(broken ? null : helperModules(f), broken ? null : helperAttached(f, s), zoneHelpers(f), masquerade(f), offloading(f), ...rawEsp(f, s), ...l2tpElsewhere(f), pptpInUse(f, s));
  }
  checks.push(conntrack(f));
  return checks.filter((c): c is Check => c !== null);
}
