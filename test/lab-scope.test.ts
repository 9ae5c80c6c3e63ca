// Narrowed allows, proven with real traffic through the lab's router: an
// allow limited to some LAN clients, to some servers, or to one address
// family lets exactly that through, and refuses the rest at once (ICMP
// admin-prohibited, which a connected UDP socket reports as an error). L2TP
// control from the scapy peer (lab/peers/l2tp.py), over IPv4 (masqueraded)
// and IPv6 (routed, as on OpenWrt).

import t from 'tap';
import { spawnSync } from 'node:child_process';
import { canNetns } from '../lab/netns.ts';
import { PEERS, PYTHON } from '../lab/paths.ts';
import { SERVER, SERVER6, makeLab } from '../lab/topology.ts';
import { until } from '../lab/wait.ts';

const hasScapy = spawnSync(PYTHON, ['-c', 'import scapy.layers.l2tp']).status === 0;
const skip = canNetns !== true ? canNetns : hasScapy ? false : `scapy is missing for ${PYTHON} (apt-get install python3-scapy)`;
const L2TP = `${PEERS}/l2tp.py`;

t.test('scopes: clients, servers, address family', { skip }, async (t) => {
  const lab = makeLab({ clients: 2 });
  t.teardown(lab.remove);
  const { box, server, clients } = lab;
  const set = (...args: string[]) => box.cli(['set', ...args]).status;
  const l2tp = (i: number, host: string) => clients[i].run([PYTHON, L2TP, 'once', host]).stdout.trim();

  t.equal(box.cli(['apply']).status, 0);
  server.start([PYTHON, L2TP, 'serve']);
  server.start([PYTHON, L2TP, 'serve6']);
  const listening = () => ['0.0.0.0:1701 ', '[::]:1701 '].every((s) => server.run(['ss', '-Hanu']).stdout.includes(s));
  t.ok(await until(listening, 5000), 'the servers listen on IPv4 and IPv6');
  t.equal(l2tp(0, SERVER), 'ok', 'IPv4, masqueraded');
  t.equal(l2tp(0, SERVER6), 'ok', 'IPv6, routed');

  t.test('only one LAN client', async (t) => {
    t.equal(set('l2tp.client', '192.168.1.10', '2001:db8:1::10'), 0);
    t.equal(l2tp(0, SERVER), 'ok', 'the listed client passes');
    t.equal(l2tp(1, SERVER), 'EHOSTUNREACH', 'another is refused at once');
    t.equal(l2tp(0, SERVER6), 'ok', 'the listed client over IPv6');
    t.equal(l2tp(1, SERVER6), 'EACCES', 'another over IPv6 is refused at once (ICMPv6 administratively prohibited)');
    t.equal(set('l2tp.client'), 0, 'an empty list: every client again');
    t.equal(l2tp(1, SERVER), 'ok');
  });

  t.test('only other servers', async (t) => {
    t.equal(set('l2tp.server', '198.51.100.0/24'), 0);
    t.equal(l2tp(0, SERVER), 'EHOSTUNREACH', 'a server outside the list is refused');
    t.equal(l2tp(0, SERVER6), 'EACCES', 'and no IPv6 server is listed');
    t.equal(set('l2tp.server', '203.0.113.7'), 0);
    t.equal(l2tp(0, SERVER), 'ok', 'the listed server passes');
    t.equal(set('l2tp.server'), 0);
  });

  t.test('one address family', async (t) => {
    t.equal(set('l2tp.family', 'ipv4'), 0);
    t.equal(l2tp(0, SERVER), 'ok', 'IPv4 passes');
    t.equal(l2tp(0, SERVER6), 'EACCES', 'IPv6 is refused');
    t.equal(set('l2tp.family', 'ipv6'), 0);
    t.equal(l2tp(1, SERVER6), 'ok', 'IPv6 passes');
    t.equal(l2tp(1, SERVER), 'EHOSTUNREACH', 'IPv4 is refused');
    t.equal(set('l2tp.family', 'any'), 0);
    t.equal(l2tp(1, SERVER), 'ok', 'both again');
  });
});
