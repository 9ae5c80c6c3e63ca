// VPN servers on the LAN, reached from the WAN through firewall4 port
// forwards (DNAT), are not passthrough: passthrough is about LAN clients
// reaching out. The lab gets a LAN host running a PPTP server (scapy,
// lab/peers/pptp.py) and an IKEv2 responder (strongSwan's charon,
// kernel-libipsec, NAT-T), and the router gets the port forwards firewall4
// renders for `config redirect` (TCP 1723, GRE, UDP 500 and 4500). The WAN
// peer is the VPN client, to the router's WAN address. With every protocol
// blocked, it still sets up PPTP (control and GRE) and an IKE SA that carries
// traffic, and tunnels it had up before the block keep working; a LAN client
// going out stays refused (the control).

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import t from 'tap';
import { canNetns } from '../lab/netns.ts';
import { LAN_SERVER_INNER, charonMissing, makeIpsec, ping } from '../lab/ipsec.ts';
import { PEERS, PYTHON } from '../lab/paths.ts';
import { LAB_CONFIG, LAN_SERVER, ROUTER_WAN, SERVER, makeLab, vpnServerForwards } from '../lab/topology.ts';
import { follow, until } from '../lab/wait.ts';

const hasScapy = spawnSync(PYTHON, ['-c', 'import scapy.layers.pptp']).status === 0;
const skip =
  canNetns !== true ? canNetns : !hasScapy ? `scapy is missing for ${PYTHON} (apt-get install python3-scapy)` : charonMissing;
const PEER = `${PEERS}/pptp.py`;
/** The WAN client's Call ID; the LAN server's own start at 256. */
const CALL_ID = '7';

// Every protocol blocked, raw ESP and AH included, written out in full so
// nothing rests on a default.
const ALL_BLOCKED = `${LAB_CONFIG}
config protocol 'pptp'
	option mode 'block'

config protocol 'l2tp'
	option mode 'block'

config protocol 'gre'
	option mode 'block'

config protocol 'ipsec'
	option mode 'block'
	option esp 'block'
`;

// Counts ICMP admin-prohibited arriving in a namespace: proof that the router
// refused, independent of what charon makes of it.
const PROBE = `table ip probe {
	chain in {
		type filter hook input priority 0;
		icmp type destination-unreachable icmp code admin-prohibited counter
	}
}
`;

t.test('VPN servers on a LAN host behind firewall4 port forwards, passthrough blocked', { skip }, async (t) => {
  const lab = makeLab({ clients: 1, lanServer: true, forwards: vpnServerForwards(LAN_SERVER) });
  t.teardown(lab.remove);
  const ipsec = makeIpsec();
  // The daemons go with their namespaces; their logs stay when something failed.
  t.teardown(() => (t.passing() ? ipsec.remove() : console.error(`# charon logs kept in ${ipsec.dir}`)));
  const { box, router, server: wan, clients } = lab;
  const lanHost = lab.lanServer!;
  /** t.ok, with the charon logs appended when it fails. */
  type Ok = { ok(cond: boolean, message: string): unknown };
  const ok = (t: Ok, cond: boolean, message: string) => t.ok(cond, cond ? message : `${message}\n${ipsec.logs()}`);
  const status = () => JSON.parse(box.cli(['--json', 'status']).stdout);
  const count = (part: string, kind: 'passed' | 'blocked'): number =>
    status()
      .protocols.flatMap((p: { parts: unknown[] }) => p.parts)
      .find((p: { name: string }) => p.name === part)[kind].packets;
  /** A PPTP call from the WAN peer to the router's WAN address: control, then one GRE echo. */
  const pptpFromWan = () => wan.run([PYTHON, PEER, 'once', ROUTER_WAN, CALL_ID]).stdout.trim();
  /** The same, where the LAN server sends the call's first GRE packet. */
  const pptpGreeted = () => wan.run([PYTHON, PEER, 'greeted', ROUTER_WAN, CALL_ID]).stdout.trim();
  /** Router conntrack entries of connections forwarded to the LAN host, one line each. */
  const forwarded = () => router.run(['conntrack', '-L', '--reply-src', LAN_SERVER]).stdout.trim().split('\n').filter(Boolean);

  t.equal(box.cli(['apply']).status, 0, 'apply (defaults: everything allowed)');
  const served = follow(lanHost.start([PYTHON, PEER, 'serve']));
  // A PPTP server on the WAN side too, for the outward control.
  wan.start([PYTHON, PEER, 'serve']);
  const listening = (ns: typeof wan) => () => /0\.0\.0\.0:1723 /.test(ns.run(['ss', '-Hltn']).stdout);
  t.ok(await until(listening(lanHost), 5000), 'the LAN host listens on TCP 1723');
  t.ok(await until(listening(wan), 5000), 'the WAN server listens on TCP 1723');
  const responder = await ipsec.lanServer(lanHost);
  const initiator = await ipsec.wanClient(wan);
  const inner = () => ping(wan, 0.5, LAN_SERVER_INNER);
  /** The WAN client's IKE SA, by its SPIs: the same ones means the same SA. */
  const ikeSpis = () => /\S+_i\*? \S+_r/.exec(initiator.sas())?.[0];

  t.test('allowed: the port forwards reach the LAN host (the lab itself works)', async (t) => {
    t.equal(pptpFromWan(), 'ok', 'PPTP from the WAN: control answered, GRE echoed');
    // `call OWN PEER` (PEER is our Call ID, or what a PPTP helper on the router translated it to).
    t.ok(await until(() => served.lines.some((l) => /^call \d+ \d+$/.test(l)), 2000), `the LAN host took the call (${served.lines.join(', ')})`);
    t.equal(pptpGreeted(), 'ok', "PPTP from the WAN, the LAN server's GRE first: greeting received, GRE echoed");
    const r = await initiator.initiate(5);
    ok(t, r.status === 0, `IKE SA from the WAN established${r.status ? `\n${r.stdout}${r.stderr}` : ''}`);
    // The responder sees the client at its own address; the client sees the responder behind the NAT.
    t.match(responder.sas(), new RegExp(`remote 'wanclient\\.lab' @ ${SERVER.replace(/\./g, '\\.')}\\[`), 'the LAN responder sees the WAN client');
    t.match(initiator.sas(), /INSTALLED, TUNNEL-in-UDP/, "the client's ESP is in UDP (NAT-T)");
    ok(t, await until(inner, 3000, 0), 'the WAN client reaches the LAN responder inside the tunnel');
    // The router's conntrack: each came in to its WAN address and was forwarded to the LAN host.
    const flows = forwarded().filter((f) => f.includes(`src=${SERVER} dst=${ROUTER_WAN} `));
    for (const [what, re] of [
      ['PPTP control', /^tcp .* dport=1723 /],
      ['GRE', /^gre /],
      ['IKE', /^udp .* dport=500 /],
      ['NAT-T', /^udp .* dport=4500 /],
    ] as const) {
      const found = flows.some((f) => re.test(f));
      t.ok(found, `${what} through its port forward${found ? '' : `\n${forwarded().join('\n')}`}`);
    }
  });

  t.test('everything blocked: the WAN client still reaches the LAN servers', async (t) => {
    const spis = ikeSpis();
    // PPTP's GRE is keyed with the receiver's Call ID, so without a PPTP
    // helper on the forwarded control connection conntrack cannot pair the
    // LAN server's GRE with the client's: it leaves as a connection of its
    // own from the LAN (masqueraded), like a LAN client's. With the helper,
    // the GRE is an expected connection of the forwarded one, opened by
    // whichever side sends first (hence the greeted call, server first).
    // A PPTP tunnel from the WAN that is up when the block comes.
    const hold = follow(wan.start([PYTHON, PEER, 'hold', ROUTER_WAN, CALL_ID, '60']));
    t.ok(await until(() => hold.lines.length > 0, 5000), 'a PPTP tunnel from the WAN is up');
    t.equal(hold.lines[0], 'ok', 'its GRE is echoed');

    writeFileSync(box.config, ALL_BLOCKED);
    t.equal(box.cli(['apply']).status, 0, 'apply: every protocol blocked');
    const after = hold.lines.length;
    const s = status();
    t.equal(s.table, 'loaded', 'our table is loaded');
    const modes = s.protocols.flatMap((p: { parts: { name: string; mode: string }[] }) => p.parts.map((part) => `${part.name} ${part.mode}`));
    t.same(modes.filter((m: string) => !m.endsWith(' block')), [], `every part blocked (${modes.join(', ')})`);

    // Live tunnels from the WAN: five more PPTP rounds after the block, and the same IKE SA.
    await until(() => hold.lines.length >= after + 5 || hold.lines.some((l) => l !== 'ok'), 10_000);
    t.same(hold.lines.filter((l) => l !== 'ok'), [], `the live PPTP tunnel from the WAN keeps working (${hold.lines.length - after} rounds after the block)`);
    ok(t, await until(inner, 3000, 0), 'the live IKE SA from the WAN still carries traffic');
    t.equal(ikeSpis(), spis, 'the same IKE SA as before the block');
    await hold.exited;

    // New ones from the WAN.
    t.equal(pptpFromWan(), 'ok', 'a new PPTP call from the WAN: control answered, GRE echoed');
    t.equal(pptpGreeted(), 'ok', "and one where the LAN server's GRE comes first");
    initiator.swanctl(['--terminate', '--ike', 'lab', '--timeout', '3'], 5000);
    t.ok(await until(() => ikeSpis() === undefined, 5000), 'the WAN client hung up its IKE SA');
    const r = await initiator.initiate(5);
    ok(t, r.status === 0, `a new IKE SA from the WAN is established${r.status ? `\n${r.stdout}${r.stderr}` : ''}`);
    t.not(ikeSpis(), spis, 'a new IKE SA, not the old one');
    ok(t, await until(inner, 3000, 0), 'the WAN client reaches the LAN responder inside the new tunnel');
  });

  t.test('control: passthrough from a LAN client outward stays refused', async (t) => {
    const lan = clients[0]!;
    const pptp = count('pptp', 'blocked');
    t.equal(lan.run([PYTHON, PEER, 'once', SERVER, '1']).stdout.trim(), 'ConnectionRefusedError', 'PPTP to the WAN server: TCP reset');
    t.ok(count('pptp', 'blocked') > pptp, 'pptp blocked counter moved (the router refused it, not the server)');

    const client = await ipsec.client(lan, 0);
    t.equal(lan.run(['nft', '-f', '-'], { input: PROBE }).status, 0, 'probe loaded in the LAN client');
    const ike = count('ike', 'blocked');
    // charon gives up only after its retransmits (it ignores ICMP errors for IKE).
    const r = await client.initiate(5);
    t.not(r.status, 0, 'IKE from the LAN client fails');
    t.ok(count('ike', 'blocked') > ike, 'ike blocked counter moved');
    const refused = Number(/packets (\d+)/.exec(lan.sh('nft', 'list', 'chain', 'ip', 'probe', 'in'))?.[1]);
    t.ok(refused > 0, `the LAN client received ICMP admin-prohibited (${refused})`);
  });
});
