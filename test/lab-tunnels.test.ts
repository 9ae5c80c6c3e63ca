// L2TP control, raw ESP and plain GRE through the lab's NAT router, with
// scapy peers (lab/peers/l2tp.py, lab/peers/ip.py). Allowed, each works;
// blocked, the client is told at once by the router's ICMP admin-prohibited
// (not left to time out); blocked while up, a flow stops within 2 s;
// allowed again, it works again.

import { spawnSync } from 'node:child_process';
import t, { type Test } from 'tap';
import { canNetns } from '../lab/netns.ts';
import { PEERS, PYTHON } from '../lab/paths.ts';
import { SERVER, makeLab } from '../lab/topology.ts';
import { follow, until } from '../lab/wait.ts';

const hasScapy = spawnSync(PYTHON, ['-c', 'import scapy.layers.l2tp, scapy.layers.ipsec']).status === 0;
const skip = canNetns !== true ? canNetns : hasScapy ? false : `scapy is missing for ${PYTHON} (apt-get install python3-scapy)`;
const L2TP = `${PEERS}/l2tp.py`;
const IP = `${PEERS}/ip.py`;

t.test('L2TP, ESP and plain GRE through the NAT router', { skip }, async (t) => {
  const lab = makeLab({ clients: 2 });
  t.teardown(lab.remove);
  const { box, router, server, clients } = lab;
  const set = (what: string, mode: string) => box.cli(['set', what, mode]).status;
  /** Counters of one part (l2tp, esp, gre, ...) from `status --json`. */
  const part = (name: string) =>
    JSON.parse(box.cli(['--json', 'status']).stdout)
      .protocols.flatMap((p: { parts: unknown[] }) => p.parts)
      .find((p: { name: string }) => p.name === name);
  const l2tp = (i: number) => clients[i].run([PYTHON, L2TP, 'once', SERVER]).stdout.trim();
  const ip = (i: number, kind: string) => clients[i].run([PYTHON, IP, 'once', SERVER, kind]).stdout.trim();

  t.equal(box.cli(['apply']).status, 0, 'our table is loaded');
  server.start([PYTHON, L2TP, 'serve']);
  server.start([PYTHON, IP, 'serve', 'esp']);
  server.start([PYTHON, IP, 'serve', 'gre']);
  // UDP 1701 bound, raw sockets for IP protocols 50 and 47 open.
  const ready = () => {
    const sockets = server.run(['ss', '-Hanuw']).stdout;
    return ['0.0.0.0:1701 ', '0.0.0.0:50 ', '0.0.0.0:47 '].every((s) => sockets.includes(s));
  };
  t.ok(await until(ready, 5000), 'the servers listen');

  /**
   * A held flow (peer argv) stops within 2 s of a block, refused by the
   * router. A round in flight as the table changes loses its echo (refused
   * on its way back, toward the server) and times out: then the same again
   * once, which must end refused (a flow the block drops silently never is).
   */
  async function blockWhileUp(t: Test, peer: string[], what: string, refused: string) {
    for (let attempt = 1; ; attempt++) {
      const { lines } = follow(clients[0].start([PYTHON, ...peer]));
      t.ok(await until(() => lines.length > 0, 5000), 'the flow came up');
      t.equal(lines[0], 'ok', 'it is answered');
      t.equal(set(what, 'block'), 0);
      t.ok(await until(() => lines.some((l) => l !== 'ok'), 2000), 'it stopped within 2 s of the block');
      if (lines.at(-1) !== 'timeout' || attempt === 2) {
        t.equal(lines.at(-1), refused, 'refused by the router');
        return;
      }
      t.comment('a round was in flight as the block landed: once more');
      t.equal(set(what, 'allow'), 0);
    }
  }

  t.test('L2TP control', async (t) => {
    t.equal(l2tp(0), 'ok', 'client 0: SCCRQ answered with SCCRP');
    t.equal(l2tp(1), 'ok', 'client 1: SCCRQ answered with SCCRP');
    t.ok(part('l2tp').passed.packets > 0, 'l2tp passed counter moved');
    t.equal(set('l2tp', 'block'), 0);
    // admin-prohibited reaches a connected UDP socket as EHOSTUNREACH; a drop would be `timeout`.
    t.equal(l2tp(0), 'EHOSTUNREACH', 'blocked: fails at once with the ICMP error');
    t.ok(part('l2tp').blocked.packets > 0, 'l2tp blocked counter moved');
    t.equal(set('l2tp', 'allow'), 0);
    t.equal(l2tp(0), 'ok', 'allowed again, it works again');
    t.equal(l2tp(1), 'ok', 'for both clients');
    await blockWhileUp(t, [L2TP, 'hold', SERVER, '100'], 'l2tp', 'EHOSTUNREACH');
    t.equal(set('l2tp', 'allow'), 0);
  });

  t.test('raw ESP', async (t) => {
    t.equal(ip(0, 'esp'), 'ok', 'echoed through the NAT');
    t.ok(part('esp').passed.packets > 0, 'esp passed counter moved');
    t.equal(set('ipsec.esp', 'block'), 0);
    t.equal(ip(0, 'esp'), 'refused', 'blocked: ICMP admin-prohibited at once');
    t.ok(part('esp').blocked.packets > 0, 'esp blocked counter moved');
    t.equal(set('ipsec.esp', 'allow'), 0);
    t.equal(ip(0, 'esp'), 'ok', 'allowed again, it works again');
    await blockWhileUp(t, [IP, 'hold', SERVER, 'esp', '100'], 'ipsec.esp', 'refused');
    t.equal(set('ipsec.esp', 'allow'), 0);
    t.equal(ip(0, 'esp'), 'ok', 'allowed again after that, it works again');
    // Raw ESP has no ports for NAT to tell two clients apart: client 1's
    // packets get no conntrack entry at all, so only our table sees them.
    t.equal(ip(1, 'esp'), 'timeout', "client 1's raw ESP to the same server collides with client 0's");
    const doctor = box.cli(['--json', 'doctor']);
    const clash = JSON.parse(doctor.stdout).checks.find((c: { id: string }) => c.id === 'esp-clash');
    t.equal(clash?.verdict, 'fail', 'doctor finds the clash');
    t.match(clash?.summary, /192\.168\.1\.10, 192\.168\.1\.11 .*203\.0\.113\.7/, 'naming both clients and the server');
    t.equal(doctor.status, 1, 'and exits 1');
  });

  t.test('plain GRE', async (t) => {
    t.equal(ip(0, 'gre'), 'ok', 'client 0: echoed through the NAT');
    t.ok(part('gre').passed.packets > 0, 'gre passed counter moved');
    // GRE version 0 has no key conntrack can use and masquerade cannot remap,
    // so a second client's flow to the same server would have the same reply
    // tuple (server -> router WAN) as the first's: the kernel drops it while
    // the first entry lives. That is the kernel's limit, not our table's
    // (which only counts here), and why PPTP needs enhanced GRE's Call IDs.
    t.equal(ip(1, 'gre'), 'timeout', "client 1 collides with client 0's conntrack entry");
    const failed = [...router.sh('conntrack', '-S').matchAll(/insert_failed=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    t.ok(failed > 0, 'the kernel failed to insert its entry (conntrack -S insert_failed)');
    router.sh('conntrack', '-D', '-p', 'gre');
    t.equal(ip(1, 'gre'), 'ok', 'client 1 works once that entry is gone');
    t.equal(set('gre', 'block'), 0);
    t.equal(ip(0, 'gre'), 'refused', 'blocked: ICMP admin-prohibited at once');
    t.ok(part('gre').blocked.packets > 0, 'gre blocked counter moved');
    t.equal(set('gre', 'allow'), 0);
    router.sh('conntrack', '-D', '-p', 'gre'); // client 1's entry, for the same reason
    t.equal(ip(0, 'gre'), 'ok', 'allowed again, it works again');
    await blockWhileUp(t, [IP, 'hold', SERVER, 'gre', '100'], 'gre', 'refused');
  });
});
