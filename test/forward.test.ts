// What a LAN client notices through a NAT router made of namespaces, with a
// firewall4-like base table (lan->wan forward, masquerade, established
// accept) and our table loaded by the bundle under qjs: PPTP's control port
// passes when allowed; when blocked a new connection is refused at once (TCP
// reset, not a timeout) and a connection already up is cut.

import t from 'tap';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { canNetns, makeNetns, type Netns } from './lib/netns.ts';
import { makeSandbox } from './lib/cli.ts';
import { ROOT } from './lib/paths.ts';

const skip = canNetns === true ? false : canNetns;
const PEER = `${ROOT}test/lib/tcp-peer.py`;
const PYTHON = '/usr/bin/python3';

// The part of firewall4's default ruleset that passthrough depends on.
const BASE = `table inet fw4 {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname "br-lan" oifname "wan0" accept
	}
	chain srcnat {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan0" masquerade
	}
}
`;

function sh(ns: Netns, ...argv: string[]): void {
  const r = ns.run(argv);
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
}

function link(a: Netns, aIf: string, b: Netns, bIf: string): void {
  sh(a, 'ip', 'link', 'add', aIf, 'type', 'veth', 'peer', 'name', bIf, 'netns', b.name);
}

t.test('PPTP control connection through the NAT router', { skip }, async (t) => {
  const lan = makeNetns('lan');
  const router = makeNetns('rtr');
  const server = makeNetns('srv');
  const box = makeSandbox(router);
  const children: ReturnType<typeof spawn>[] = [];
  t.teardown(() => {
    for (const c of children) c.kill('SIGKILL');
    box.remove();
    for (const ns of [lan, router, server]) ns.remove();
  });

  link(lan, 'eth0', router, 'lan0');
  link(router, 'wan0', server, 'eth0');
  sh(router, 'ip', 'link', 'add', 'br-lan', 'type', 'bridge');
  sh(router, 'ip', 'link', 'set', 'lan0', 'master', 'br-lan');
  for (const [ns, cmds] of [
    [lan, [['addr', 'add', '192.168.1.2/24', 'dev', 'eth0'], ['link', 'set', 'eth0', 'up'], ['link', 'set', 'lo', 'up'], ['route', 'add', 'default', 'via', '192.168.1.1']]],
    [router, [['addr', 'add', '192.168.1.1/24', 'dev', 'br-lan'], ['link', 'set', 'br-lan', 'up'], ['link', 'set', 'lan0', 'up'], ['addr', 'add', '203.0.113.1/24', 'dev', 'wan0'], ['link', 'set', 'wan0', 'up']]],
    [server, [['addr', 'add', '203.0.113.7/24', 'dev', 'eth0'], ['link', 'set', 'eth0', 'up'], ['link', 'set', 'lo', 'up']]],
  ] as [Netns, string[][]][]) {
    for (const cmd of cmds) sh(ns, 'ip', ...cmd);
  }
  sh(router, 'sysctl', '-q', 'net.ipv4.ip_forward=1');
  writeFileSync(`${box.dir}/fw4.nft`, BASE);
  sh(router, 'nft', '-f', `${box.dir}/fw4.nft`);
  writeFileSync(box.config, "config global\n\tlist lan_device 'br-lan'\n");

  const echo = spawn('ip', ['netns', 'exec', server.name, PYTHON, PEER, 'serve', '1723'], { stdio: 'ignore' });
  children.push(echo);
  const once = () => lan.run([PYTHON, PEER, 'once', '203.0.113.7', '1723']).stdout.trim();
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
    const hold = spawn('ip', ['netns', 'exec', lan.name, PYTHON, PEER, 'hold', '203.0.113.7', '1723']);
    children.push(hold);
    const lines: string[] = [];
    hold.stdout.on('data', (d: Buffer) => lines.push(...d.toString().trim().split('\n')));
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
