// `doctor --error`: an error a VPN client showed (client-errors.ts), and for
// each of its possible causes on this router the one check that tells it
// apart, judged for one LAN client: blocked here, the PPTP helper missing,
// raw ESP clashing, no NAT-T, the server not answering. The causes that are
// not the router's get one check, whether the server answered at all, and
// the answer says where to look instead. Pure: src/app/client-error.ts
// gathers the facts.

import { Subnets } from './address.ts';
import type { ClientError, Cause } from './client-errors.ts';
import { ROUTER_CAUSES } from './client-errors.ts';
import { modeOf, type Config } from './config.ts';
import { NATT_FIX, type Check } from './doctor.ts';
import { PROTOCOLS, partsOf, PARTS, type ProtocolName } from './protocols.ts';
import type { Flow, Session } from './sessions.ts';

export interface ExplainFacts {
  config: Config;
  /** The LAN client asked about; null: every client. */
  client: string | null;
  /** Its sessions of the error's protocols (every client's when none is named). */
  sessions: Session[];
  /** doctor's checks, judged on the sessions to the same servers (table, lan, helper-*, esp-clash, natt). */
  doctor: Check[];
}

export interface Explained {
  checks: Check[];
  /** The answer: what is wrong, and its fix. */
  finding: string;
  fix?: string;
}

const titleOf = (name: ProtocolName) => PROTOCOLS.find((p) => p.name === name)!.title;
const whom = (f: ExplainFacts) => f.client ?? 'the LAN clients';
const between = (s: Session) => `${s.server} to ${s.client} (${titleOf(s.protocol)})`;

function list(items: string[]): string {
  return items.length <= 3 ? items.join(', ') : `${items.slice(0, 3).join(', ')} and ${items.length - 3} more`;
}

/** A protocol's scope against the client: what of it stops this client. */
function scopeCheck(f: ExplainFacts, name: ProtocolName): Check | null {
  const p = f.config.protocols[name];
  const title = titleOf(name);
  const client = f.client;
  if (p.family !== 'any' && client !== null && (client.indexOf(':') >= 0 ? 'ipv6' : 'ipv4') !== p.family) {
    return { id: 'blocked', verdict: 'fail', summary: `${title} is allowed over ${p.family === 'ipv4' ? 'IPv4' : 'IPv6'} only, and ${client} is not`, fix: `vpn-passthrough set ${name}.family any` };
  }
  if (p.clients.length > 0) {
    const allowed = p.clients.map((a) => a.text);
    if (client === null) return { id: 'blocked', verdict: 'info', summary: `${title} is allowed only for ${list(allowed)}: name the client (--client) to check it` };
    const ips = new Subnets(p.clients.filter((a) => a.family !== 'mac').map((a) => a.text));
    if (!ips.contains(client)) {
      const macs = p.clients.some((a) => a.family === 'mac');
      return {
        id: 'blocked',
        verdict: macs ? 'warn' : 'fail',
        summary: `${title} is allowed only for ${list(allowed)}; ${client} is not among the addresses${macs ? ' (is its MAC address? ip neigh show ' + client + ')' : ''}`,
        fix: `vpn-passthrough set ${name}.client ${[...allowed, client].join(' ')}`,
      };
    }
  }
  if (p.servers.length > 0) {
    const servers = new Subnets(p.servers.map((a) => a.text));
    const outside = f.sessions.filter((s) => s.protocol === name && !servers.contains(s.server)).map((s) => s.server);
    const allowed = p.servers.map((a) => a.text);
    if (outside.length > 0) {
      return { id: 'blocked', verdict: 'fail', summary: `${title} is allowed only to ${list(allowed)}, not to ${list(outside)}`, fix: `vpn-passthrough set ${name}.server ${[...allowed, ...outside].join(' ')}` };
    }
    return { id: 'blocked', verdict: 'info', summary: `${title} is allowed only to ${list(allowed)}: a server not among them is blocked` };
  }
  return null;
}

function blocked(f: ExplainFacts, protocols: ProtocolName[]): Check[] {
  if (!f.config.enabled) return [{ id: 'blocked', verdict: 'ok', summary: 'vpn-passthrough is disabled: it blocks nothing (firewall4 alone decides)' }];
  const out: Check[] = [];
  for (const name of protocols) {
    const parts = partsOf(name);
    const shut = parts.filter((part) => modeOf(f.config, part) === 'block');
    if (shut.length === parts.length) {
      out.push({ id: 'blocked', verdict: 'fail', summary: `${titleOf(name)} is blocked here: a client using it gets exactly this error`, fix: `vpn-passthrough set ${name} allow` });
      continue;
    }
    if (shut.length > 0) {
      out.push({
        id: 'blocked',
        verdict: 'warn',
        summary: `${list(shut.map((p) => p.title))} blocked here (option ${shut[0].modeOption}): only a client that uses NAT-T gets through`,
        fix: `vpn-passthrough unset ${name}.${shut[0].modeOption} (they follow ${name} again), or ${NATT_FIX}`,
      });
    }
    const scope = scopeCheck(f, name);
    if (scope) out.push(scope);
  }
  if (out.length === 0) return [{ id: 'blocked', verdict: 'ok', summary: `not blocked here${f.client ? ` for ${f.client}` : ''}: ${protocols.map(titleOf).join(', ')}` }];
  return out;
}

/** doctor's checks of these ids, about this client where they name clients. */
function fromDoctor(f: ExplainFacts, ids: string[]): Check[] {
  return f.doctor.filter((c) => ids.indexOf(c.id) >= 0);
}

function espClash(f: ExplainFacts): Check {
  const mine = fromDoctor(f, ['esp-clash']).filter((c) => f.client === null || c.summary.indexOf(f.client) >= 0);
  if (mine.length > 0) return mine[0];
  return { id: 'esp-clash', verdict: 'ok', summary: `no two LAN clients need raw ESP to one server${f.client ? ` with ${f.client}` : ''}` };
}

const through = (s: Session) => s.family === 'ipv4' && s.flows.some((x) => x.publicAddress !== undefined);

function natt(f: ExplainFacts): Check {
  const ipsec = f.sessions.filter((s) => s.protocol === 'ipsec');
  if (ipsec.length === 0) return { id: 'natt', verdict: 'info', summary: `no IPsec traffic from ${whom(f)} right now: connect, then run this again while it tries` };
  const natted = ipsec.filter(through);
  const raw = natted.filter((s) => s.flows.some((x) => x.part === 'esp' || x.part === 'ah'));
  if (raw.length > 0) {
    const pairs = raw.map((s) => `${s.client} -> ${s.server}`);
    return { id: 'natt', verdict: 'warn', summary: `raw ESP through NAT, not NAT-T: ${list(pairs)}; through NAT that works for one LAN client per server`, fix: NATT_FIX };
  }
  const ikeOnly = natted.filter((s) => !s.flows.some((x) => x.part === 'natt'));
  if (ikeOnly.length > 0) {
    const pairs = ikeOnly.map((s) => `${s.client} -> ${s.server}`);
    return {
      id: 'natt',
      verdict: 'warn',
      summary: `IKE (UDP 500) only, neither NAT-T nor ESP after it: ${list(pairs)}; the negotiation stopped, or the client does not switch to NAT-T`,
      fix: `${NATT_FIX}; then check the pre-shared key or certificates`,
    };
  }
  if (natted.length === 0) return { id: 'natt', verdict: 'ok', summary: 'IPsec without NAT (routed IPv6): raw ESP passes for any number of clients' };
  return { id: 'natt', verdict: 'ok', summary: `NAT-T (UDP 4500) in use: ${list(natted.map((s) => `${s.client} -> ${s.server}`))}` };
}

function flowName(x: Flow): string {
  const part = PARTS.find((p) => p.name === x.part)?.title ?? x.part;
  return x.serverPort === undefined ? part : `${part} (${x.transport} ${x.serverPort})`;
}

function reply(f: ExplainFacts): Check {
  if (f.sessions.length === 0) {
    // A blocked attempt leaves no conntrack entry: nothing seen is no proof of anything.
    return { id: 'reply', verdict: 'info', summary: `no VPN traffic from ${whom(f)} in conntrack right now: connect, then run this again while it tries` };
  }
  const silent = f.sessions.filter((s) => s.flows.every((x) => !x.replied));
  if (silent.length > 0) {
    const what = silent.map((s) => `${s.server} to ${s.client}'s ${s.flows.map(flowName).join(', ')}`);
    return {
      id: 'reply',
      verdict: 'fail',
      summary: `no answer from ${list(what)}: this router sent the packets out through the WAN, and nothing came back`,
      fix: "check the server's address, that it is up and reachable from the internet, and its firewall or port forwarding (UDP 500 and 4500 for IPsec, TCP 1723 and GRE for PPTP)",
    };
  }
  return { id: 'reply', verdict: 'ok', summary: `the server answers: ${list(f.sessions.map(between))}` };
}

/** The order checks are shown in, and what each cause runs. */
const RUNS: Record<Cause, (f: ExplainFacts, e: ClientError) => Check[]> = {
  blocked: (f, e) => blocked(f, e.protocols),
  helper: (f, e) => (e.protocols.indexOf('pptp') >= 0 ? fromDoctor(f, ['helper-modules', 'helper-attached']) : []),
  'esp-clash': (f) => [espClash(f)],
  'no-natt': (f) => [natt(f)],
  unreachable: (f) => [reply(f)],
  login: (f) => [reply(f)],
  server: (f) => [reply(f)],
  client: () => [],
};

export function explain(error: ClientError, f: ExplainFacts): Explained {
  const onRouter = error.causes.some((c) => ROUTER_CAUSES.indexOf(c) >= 0);
  // Whether the table is there and sees the LAN frames every router cause.
  const checks: Check[] = onRouter ? fromDoctor(f, ['config', 'nft', 'table', 'lan']) : [];
  for (const cause of error.causes) {
    for (const c of RUNS[cause](f, error)) if (!checks.some((x) => x.id === c.id && x.summary === c.summary)) checks.push(c);
  }
  const worst = checks.find((c) => c.verdict === 'fail') ?? checks.find((c) => c.verdict === 'warn');
  if (worst) return { checks, finding: worst.summary, fix: worst.fix };
  const answered = checks.some((c) => c.id === 'reply' && c.verdict === 'ok');
  const passes = answered ? `this router passes the VPN traffic of ${whom(f)} and the server answers` : 'nothing on this router explains it';
  return { checks, finding: `${passes}: the cause is on the server's side or the client's`, fix: error.elsewhere && `look at ${error.elsewhere}` };
}
