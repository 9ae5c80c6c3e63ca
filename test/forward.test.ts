// What a LAN client notices through the lab's NAT router with our table
// loaded by the bundle under qjs: PPTP's control port passes when allowed;
// when blocked a new connection is refused at once (TCP reset, not a
// timeout) and a connection already up is cut.

import t from 'tap';
import { canNetns } from '../lab/netns.ts';
import { PEERS, PYTHON } from '../lab/paths.ts';
import { SERVER, makeLab } from '../lab/topology.ts';

const skip = canNetns === true ? false : canNetns;
const PEER = `${PEERS}/tcp.py`;

t.test('PPTP control connection through the NAT router', { skip }, async (t) => {
  const lab = makeLab({ clients: 1 });
  t.teardown(lab.remove);
  const { box, router, server } = lab;
  const [lan] = lab.clients;

  server.start([PYTHON, PEER, 'serve', '1723']);
  const once = () => lan.run([PYTHON, PEER, 'once', SERVER, '1723']).stdout.trim();
  // Bounded wait for the echo server to listen.
  for (let i = 0; i < 50 && once() !== 'ok'; i++) await new Promise((r) => setTimeout(r, 100));

  t.test('allowed: the connection passes and is counted', async (t) => {
    t.equal(box.cli(['apply']).status, 0);
    t.equal(once(), 'ok');
    const status = JSON.parse(box.cli(['--json', 'status']).stdout);
    t.ok(status.protocols[0].parts[0].passed.packets > 0, 'pptp passed counter moved');
    t.match(router.run(['conntrack', '-L', '-p', 'tcp', '--dport', '1723']).stdout, /helper=pptp/, 'PPTP helper attached');
  });

  t.test('blocked: a new connection is refused at once', async (t) => {
    t.equal(box.cli(['set', 'pptp', 'block']).status, 0);
    t.equal(once(), 'ConnectionRefusedError', 'TCP reset, not a timeout');
    const status = JSON.parse(box.cli(['--json', 'status']).stdout);
    t.ok(status.protocols[0].parts[0].blocked.packets > 0, 'pptp blocked counter moved');
    t.equal(box.cli(['set', 'pptp', 'allow']).status, 0);
    t.equal(once(), 'ok', 'allowed again, it works again');
  });

  t.test('blocked while up: the live connection is cut', async (t) => {
    const hold = lan.start([PYTHON, PEER, 'hold', SERVER, '1723']);
    const lines: string[] = [];
    hold.stdout!.on('data', (d: Buffer) => lines.push(...d.toString().trim().split('\n')));
    const ended = new Promise((r) => hold.on('exit', r));
    for (let i = 0; i < 50 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    t.equal(lines[0], 'ok', 'the connection is up');
    t.equal(box.cli(['set', 'pptp', 'block']).status, 0);
    await ended;
    const last = lines[lines.length - 1];
    t.not(last, 'ok', `the connection ended with an error (${last})`);
    t.ok(lines.length < 100, 'before its 100 rounds were over');
  });
});
