// IPsec passthrough as a real VPN client sees it: strongSwan's charon on two
// LAN clients and on the server, IKEv2 with NAT-T through the lab's NAT
// router, our table loaded by the bundle under qjs. Allowed, both tunnels come
// up and carry traffic over UDP 4500; blocked, live tunnels stop at once and
// come back when allowed again; blocked from the start, IKE is refused with
// ICMP admin-prohibited.

import t from 'tap';
import { canNetns } from '../lab/netns.ts';
import { charonMissing, makeIpsec, ping } from '../lab/ipsec.ts';
import { until } from '../lab/wait.ts';
import { ROUTER_WAN, SERVER, clientAddress, makeLab } from '../lab/topology.ts';
import type { ClientSessions, Session } from '../src/core/sessions.ts';

const skip = canNetns !== true ? canNetns : charonMissing;

// Counts ICMP admin-prohibited arriving in a client's namespace: proof that
// the router refused, independent of what charon makes of it.
const PROBE = `table ip probe {
	chain in {
		type filter hook input priority 0;
		icmp type destination-unreachable icmp code admin-prohibited counter
	}
}
`;

t.test('IPsec IKEv2 with NAT-T through the NAT router, charon peers', { skip }, async (t) => {
  const lab = makeLab({ clients: 2 });
  t.teardown(lab.remove);
  const ipsec = makeIpsec();
  // The daemons go with their namespaces; their logs stay when something failed.
  t.teardown(() => (t.passing() ? ipsec.remove() : console.error(`# charon logs kept in ${ipsec.dir}`)));
  const { box, router } = lab;
  /** t.ok, with the charon logs appended when it fails. */
  type Ok = { ok(cond: boolean, message: string): unknown };
  const ok = (t: Ok, cond: boolean, message: string) => t.ok(cond, cond ? message : `${message}\n${ipsec.logs()}`);
  const count = (part: string, kind: 'passed' | 'blocked'): number => {
    const status = JSON.parse(box.cli(['--json', 'status']).stdout);
    const parts = status.protocols.find((p: { name: string }) => p.name === 'ipsec').parts;
    return parts.find((p: { name: string }) => p.name === part)[kind].packets;
  };
  const allPing = () => lab.clients.every((c) => ping(c, 0.5));

  t.equal(box.cli(['apply']).status, 0, 'apply (defaults: everything allowed)');
  const server = await ipsec.server(lab.server);
  const clients = await Promise.all(lab.clients.map((ns, i) => ipsec.client(ns, i)));
  /** Each client's IKE SA, by its SPIs: the same ones means no re-negotiation. */
  const ikeSpis = () => clients.map((c) => /\S+_i\*? \S+_r/.exec(c.sas())?.[0]);

  t.test('allowed: two clients, one server, NAT-T on UDP 4500', async (t) => {
    const results = await Promise.all(clients.map((c) => c.initiate(5)));
    for (const [i, r] of results.entries()) ok(t, r.status === 0, `client ${i} initiated${r.status ? `\n${r.stdout}${r.stderr}` : ''}`);
    const sas = server.sas();
    for (const i of [0, 1]) {
      // The server sees each client at the router's WAN address: NAT detected.
      const behindNat = new RegExp(`remote 'client${i}\\.lab' @ ${ROUTER_WAN.replace(/\./g, '\\.')}\\[\\d+\\]`);
      t.match(sas, behindNat, `server sees client ${i} behind the NAT`);
      t.match(clients[i]!.sas(), /INSTALLED, TUNNEL-in-UDP/, `client ${i}'s ESP is in UDP`);
    }
    const flows = router.run(['conntrack', '-L', '-p', 'udp', '--dport', '4500']).stdout.trim().split('\n').filter(Boolean);
    t.equal(flows.length, 2, `one NAT-T flow per client in the router:\n${flows.join('\n')}`);
    // What `vpn-passthrough sessions` shows on the router, under qjs.
    const sessions = JSON.parse(box.cli(['--json', 'sessions']).stdout);
    for (const i of [0, 1]) {
      const mine = sessions.clients.find((c: ClientSessions) => c.client === clientAddress(i));
      const ports = mine?.sessions.map((s: Session) => `${s.protocol} ${s.server} ${s.flows.map((f) => f.serverPort).join('+')}`);
      t.same(ports, [`ipsec ${SERVER} 500+4500`], `sessions: client ${i}'s IKE linked with its NAT-T`);
    }
    for (const i of [0, 1]) t.ok(flows.some((f) => f.includes(`src=${clientAddress(i)} `)), `client ${i}'s flow`);
    for (const [i, c] of lab.clients.entries()) {
      ok(t, await until(() => ping(c, 0.5), 3000, 0), `client ${i} reaches the server inside the tunnel`);
    }
    t.ok(count('ike', 'passed') > 0, 'ike passed counter moved');
    t.ok(count('natt', 'passed') > 0, 'natt passed counter moved');
  });

  t.test('blocked while up: the tunnels stop, and come back when allowed', async (t) => {
    ok(t, allPing(), 'both tunnels carry traffic before the block');
    const spis = ikeSpis();
    const blocked = count('natt', 'blocked');
    t.equal(box.cli(['set', 'ipsec', 'block']).status, 0, 'set ipsec block');
    const since = Date.now();
    for (const [i, c] of lab.clients.entries()) {
      t.ok(await until(() => !ping(c, 0.5), 2000 - (Date.now() - since), 0), `client ${i}'s inner traffic stopped within 2 s`);
    }
    t.ok(count('natt', 'blocked') > blocked, 'natt blocked counter moved');
    t.equal(box.cli(['set', 'ipsec', 'allow']).status, 0, 'set ipsec allow');
    ok(t, await until(allPing, 10_000, 0), 'both tunnels carry traffic again within 10 s');
    // The NAT mapping outlived the block; nobody had to re-negotiate.
    t.same(ikeSpis(), spis, 'same IKE SAs as before the block');
    t.ok(clients.every((c) => c.alive()) && server.alive(), 'every charon still runs');
  });

  t.test('blocked from the start: IKE is refused with ICMP admin-prohibited', async (t) => {
    const [c0] = clients;
    const [ns0] = lab.clients;
    t.equal(c0!.swanctl(['--terminate', '--ike', 'lab', '--timeout', '3'], 5000).status, 0, 'client 0 hangs up');
    t.equal(box.cli(['set', 'ipsec', 'block']).status, 0, 'set ipsec block');
    t.equal(ns0!.run(['nft', '-f', '-'], { input: PROBE }).status, 0, 'probe loaded in client 0');
    const ike = count('ike', 'blocked');
    // charon does not act on ICMP errors (its UDP sockets are unconnected), so
    // it gives up only after its retransmits: 2.2 s with the lab's settings.
    const r = await c0!.initiate(5);
    t.not(r.status, 0, 'initiate fails');
    t.ok(count('ike', 'blocked') > ike, 'ike blocked counter moved');
    const refused = Number(/packets (\d+)/.exec(ns0!.sh('nft', 'list', 'chain', 'ip', 'probe', 'in'))?.[1]);
    ok(t, refused > 0, `client 0 received ICMP admin-prohibited (${refused})`);
  });
});
