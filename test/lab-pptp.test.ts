// PPTP through the lab's NAT router, with scapy peers (lab/peers/pptp.py):
// two LAN clients use the SAME Call ID towards one server at the same time,
// which only works because the kernel's PPTP NAT helper (attached by our
// table) translates it. Blocked, a new control connection is reset and the
// GRE of a tunnel already up stops within 2 s; allowed again, it works again
// with the same server process.

import { spawnSync } from 'node:child_process';
import t from 'tap';
import { canNetns } from '../lab/netns.ts';
import { PEERS, PYTHON } from '../lab/paths.ts';
import { SERVER, clientAddress, makeLab } from '../lab/topology.ts';
import type { ClientSessions } from '../src/core/sessions.ts';
import type { Check } from '../src/core/doctor.ts';
import { follow, until } from '../lab/wait.ts';

const hasScapy = spawnSync(PYTHON, ['-c', 'import scapy.layers.pptp']).status === 0;
const skip = canNetns !== true ? canNetns : hasScapy ? false : `scapy is missing for ${PYTHON} (apt-get install python3-scapy)`;
const PEER = `${PEERS}/pptp.py`;
const CALL_ID = '1';

t.test('PPTP through the NAT router, several clients to one server', { skip }, async (t) => {
  const lab = makeLab({ clients: 2 });
  t.teardown(lab.remove);
  const { box, router, server, clients } = lab;
  const status = () => JSON.parse(box.cli(['--json', 'status']).stdout).protocols[0].parts[0];
  const once = (i: number) => clients[i].run([PYTHON, PEER, 'once', SERVER, CALL_ID]).stdout.trim();

  t.equal(box.cli(['apply']).status, 0, 'our table is loaded');
  const served = follow(server.start([PYTHON, PEER, 'serve']));
  const listening = () => /0\.0\.0\.0:1723 /.test(server.run(['ss', '-Hltn']).stdout);
  t.ok(await until(listening, 5000), 'the server listens');

  t.test('allowed: both clients at once, the same Call ID, control and GRE both ways', async (t) => {
    const holds = clients.map((c) => follow(c.start([PYTHON, PEER, 'hold', SERVER, CALL_ID, '10'])));
    await Promise.all(holds.map((h) => h.exited));
    for (const [i, h] of holds.entries()) t.same(h.lines, Array(10).fill('ok'), `client ${i}: 10 echoes keyed with its own Call ID`);

    // `call OWN PEER`: the server saw two different peer Call IDs, though both clients sent 1.
    const peers = served.lines.filter((l) => l.startsWith('call ')).map((l) => l.split(' ')[2]);
    t.equal(new Set(peers).size, 2, `the helper translated the Call IDs (server saw ${peers.join(', ')})`);

    const control = router.run(['conntrack', '-L', '-p', 'tcp', '--dport', '1723']).stdout;
    t.equal(control.match(/helper=pptp/g)?.length, 2, 'both control connections have the PPTP helper');
    // Original direction keyed with Call ID 1 from each client, reply keyed with the translated one.
    const gre = router.run(['conntrack', '-L', '-p', 'gre']).stdout;
    const replyKeys = [...gre.matchAll(/srckey=0x1 dstkey=\S+ .* dstkey=(0x[0-9a-f]+)/g)].map((m) => m[1]);
    t.equal(new Set(replyKeys).size, 2, `two GRE entries with distinct translated keys (${replyKeys.join(', ')})`);
    t.ok(status().passed.packets > 0, 'pptp passed counter moved');

    // What `vpn-passthrough sessions` shows on the router, under qjs.
    const sessions = JSON.parse(box.cli(['--json', 'sessions']).stdout);
    const seen = sessions.clients.map((c: ClientSessions) => [c.client, c.sessions.map((s) => `${s.protocol} ${s.server} ${s.flows.map((f) => f.transport).join('+')}`)]);
    t.same(seen, clients.map((_, i) => [clientAddress(i), [`pptp ${SERVER} tcp+gre`]]), 'sessions: each client, its control connection linked with its GRE');
  });

  t.test('blocked: a new control connection is refused at once', async (t) => {
    t.equal(box.cli(['set', 'pptp', 'block']).status, 0);
    t.equal(once(0), 'ConnectionRefusedError', 'TCP reset, not a timeout');
    t.ok(status().blocked.packets > 0, 'pptp blocked counter moved');
    t.equal(box.cli(['set', 'pptp', 'allow']).status, 0);
    t.equal(once(0), 'ok', 'allowed again, it works again');
  });

  t.test('blocked while up: the tunnel stops within 2 s, and works again once allowed', async (t) => {
    // A GRE packet in flight as the table changes loses its echo (refused on
    // its way back) and times out: then the same again once, which must end
    // refused (a tunnel the block drops silently never is).
    for (let attempt = 1; ; attempt++) {
      const hold = follow(clients[0].start([PYTHON, PEER, 'hold', SERVER, CALL_ID, '100']));
      t.ok(await until(() => hold.lines.length > 0, 5000), 'the tunnel came up');
      t.equal(hold.lines[0], 'ok', 'its GRE is echoed');
      t.equal(box.cli(['set', 'pptp', 'block']).status, 0);
      const stopped = await until(() => hold.lines.some((l) => l !== 'ok'), 2000);
      t.ok(stopped, 'its GRE stopped within 2 s of the block');
      // The router's ICMP admin-prohibited, not a peer that went silent.
      if (hold.lines.at(-1) !== 'timeout' || attempt === 2) {
        t.equal(hold.lines.at(-1), 'refused', 'GRE refused by the router');
        break;
      }
      t.comment('a GRE packet was in flight as the block landed: once more');
      t.equal(box.cli(['set', 'pptp', 'allow']).status, 0);
    }

    t.equal(box.cli(['set', 'pptp', 'allow']).status, 0);
    t.equal(once(0), 'ok', 'client 0 sets up a new tunnel, same server process');
    t.equal(once(1), 'ok', 'and so does client 1');
  });

  t.test('doctor on the router: the helper attached, PPTP flagged; the table gone after a flush', async (t) => {
    const hold = follow(clients[0].start([PYTHON, PEER, 'hold', SERVER, CALL_ID, '30']));
    t.ok(await until(() => hold.lines.length > 0, 5000), 'a tunnel is up');
    const doctor = box.cli(['--json', 'doctor']);
    const verdicts = Object.fromEntries(JSON.parse(doctor.stdout).checks.map((c: Check) => [c.id, c.verdict]));
    t.match(verdicts, { table: 'ok', 'helper-modules': 'ok', 'helper-attached': 'ok', masquerade: 'ok', 'pptp-in-use': 'warn' });
    t.equal(doctor.status, 0, 'nothing failed');

    router.sh('nft', 'flush', 'ruleset'); // what `/etc/init.d/firewall stop` leaves
    const after = box.cli(['--json', 'doctor']);
    t.equal(after.status, 1, 'doctor exits 1');
    const table = JSON.parse(after.stdout).checks.find((c: Check) => c.id === 'table');
    t.equal(table.verdict, 'fail', `says the table is missing: ${table.summary}`);
    lab.loadFw4();
    t.equal(box.cli(['apply']).status, 0, 'its fix works');
    t.equal(box.cli(['doctor']).status, 0);
  });
});
