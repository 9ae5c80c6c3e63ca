// `make lab`: the lab as a newcomer's demo. Two LAN clients bring up real
// tunnels (PPTP with scapy peers, IKEv2/NAT-T with strongSwan) through the
// router, which runs vpn-passthrough's table; the demo prints what the router
// shows, blocks IPsec, shows the effect, allows it again, and cleans up.

import { canNetns } from './netns.ts';
import { charonMissing, makeIpsec, ping } from './ipsec.ts';
import { PEERS, PYTHON } from './paths.ts';
import { SERVER, clientAddress, makeLab } from './topology.ts';
import { follow, until } from './wait.ts';

const say = (text: string) => console.log(`\n\x1b[1m== ${text}\x1b[0m`);

async function main(): Promise<number> {
  if (canNetns !== true) {
    console.error(`make lab needs root and network namespaces: ${canNetns}`);
    return 1;
  }
  if (charonMissing) {
    console.error(`make lab needs strongSwan: ${charonMissing} (run make first)`);
    return 1;
  }
  const lab = makeLab({ clients: 2 });
  const ipsec = makeIpsec();
  try {
    const vpn = (...args: string[]) => {
      const r = lab.box.cli(args);
      process.stdout.write(r.stdout + r.stderr);
      return r.status;
    };
    say(`lab: clients ${clientAddress(0)} and ${clientAddress(1)} -> router (NAT, firewall4-like) -> VPN server ${SERVER}`);
    say('router# vpn-passthrough apply');
    vpn('apply');

    say('PPTP: both clients, the same Call ID, to one server (scapy peers)');
    lab.server.start([PYTHON, `${PEERS}/pptp.py`, 'serve']);
    await until(() => /:1723 /.test(lab.server.run(['ss', '-Hltn']).stdout), 5000);
    const pptp = lab.clients.map((c) => follow(c.start([PYTHON, `${PEERS}/pptp.py`, 'hold', SERVER, '1', '600'])));
    await until(() => pptp.every((p) => p.lines.length > 0), 5000);
    pptp.forEach((p, i) => console.log(`client ${i}: PPTP control + GRE ${p.lines[0] === 'ok' ? 'up' : `failed (${p.lines[0]})`}`));

    say('IPsec: both clients, IKEv2 with NAT-T (strongSwan charon, kernel-libipsec)');
    await ipsec.server(lab.server);
    const clients = await Promise.all(lab.clients.map((ns, i) => ipsec.client(ns, i)));
    const results = await Promise.all(clients.map((c) => c.initiate(5)));
    results.forEach((r, i) => console.log(`client ${i}: IKE SA ${r.status === 0 ? 'established' : 'FAILED'}; ping through the tunnel: ${ping(lab.clients[i]) ? 'ok' : 'no answer'}`));

    say('router# vpn-passthrough sessions');
    vpn('sessions');
    say('router# vpn-passthrough status');
    vpn('status');

    say('router# vpn-passthrough set ipsec block');
    vpn('set', 'ipsec', 'block');
    const since = Date.now();
    const stopped = await until(() => !ping(lab.clients[0], 0.5), 2000, 0);
    console.log(`client 0: ping through its live tunnel ${stopped ? `stopped after ${Date.now() - since} ms` : 'still answers'}`);
    say('router# vpn-passthrough status   (blocked counters)');
    vpn('status');

    say('router# vpn-passthrough set ipsec allow');
    vpn('set', 'ipsec', 'allow');
    const back = await until(() => lab.clients.every((c) => ping(c, 0.5)), 10_000, 0);
    console.log(`both clients: ping through the same tunnels ${back ? 'works again (nothing restarted)' : 'still fails'}`);

    say('router# vpn-passthrough doctor');
    vpn('doctor');
    return 0;
  } finally {
    say('cleaning up');
    lab.remove();
    ipsec.remove();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
