// `doctor --error` (issue 13 item 5): every error a VPN client shows that
// the data knows is found by its number or its words, and for each of its
// causes a router with exactly that fault gets that fault as the answer,
// with its fix; a router that passes the traffic sends the user to the
// server or the client. Then the CLI and the rpcd method under qjs.

import t from 'tap';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { CLIENT_ERRORS, findClientError, ROUTER_CAUSES, type Cause, type ClientError } from '../src/core/client-errors.ts';
import { loadConfigText } from '../src/core/load.ts';
import type { Check } from '../src/core/doctor.ts';
import { explain, type ExplainFacts } from '../src/core/explain.ts';
import { SessionCollector, type Session } from '../src/core/sessions.ts';
import { canNetns } from '../lab/netns.ts';
import { BUNDLE, QJS, ROOT } from './lib/paths.ts';
import { sandboxed } from './lib/sandboxed.ts';

const SHIPPED = readFileSync(`${ROOT}files/etc/config/vpn-passthrough`, 'utf8');
const LAB = readFileSync(`${ROOT}test/fixtures/conntrack-lab.list`, 'utf8');
const CLIENT = '192.168.1.10';

function sessionsOf(text: string, client = CLIENT): Session[] {
  const c = new SessionCollector();
  c.push(Buffer.from(text));
  return c.result().flatMap((x) => x.sessions).filter((s) => s.client === client);
}

/** A router where all is well: the lab's sessions, all answered, doctor content. */
function healthy(error: ClientError): ExplainFacts {
  const doctor: Check[] = [
    { id: 'table', verdict: 'ok', summary: 'table inet vpn_passthrough is loaded' },
    { id: 'lan', verdict: 'ok', summary: 'LAN devices: br-lan' },
    { id: 'helper-modules', verdict: 'ok', summary: 'the kernel has the PPTP helper' },
    { id: 'helper-attached', verdict: 'ok', summary: '2 PPTP control connections, conntrack shows helper=pptp on each' },
    { id: 'masquerade', verdict: 'ok', summary: 'zone wan masquerades (NAT)' },
  ];
  const sessions = sessionsOf(LAB).filter((s) => error.protocols.indexOf(s.protocol) >= 0);
  return { config: loadConfigText(SHIPPED, 'f').config, client: CLIENT, sessions, doctor };
}

const SERVER = '198.51.100.9';
const ike = (extra: string) =>
  `ipv4     2 udp      17 170 src=${CLIENT} dst=${SERVER} sport=500 dport=500 packets=2 bytes=900 ${extra}src=${SERVER} dst=203.0.113.1 sport=500 dport=500 packets=2 bytes=600 mark=0 zone=0 use=2\n`;
const esp = `ipv4     2 unknown  50 599 src=${CLIENT} dst=${SERVER} packets=4 bytes=400 src=${SERVER} dst=203.0.113.1 packets=4 bytes=400 [ASSURED] mark=0 zone=0 use=2\n`;
const pptpUnanswered = `ipv4     2 tcp      6 110 SYN_SENT src=${CLIENT} dst=${SERVER} sport=40000 dport=1723 packets=3 bytes=180 [UNREPLIED] src=${SERVER} dst=203.0.113.1 sport=1723 dport=40000 packets=0 bytes=0 mark=0 zone=0 use=2\n`;

/** For each cause on the router: the fault alone, and what the answer must say. */
const FAULTS: Record<string, { fault: (f: ExplainFacts, e: ClientError) => ExplainFacts; finding: RegExp; fix: RegExp }> = {
  blocked: {
    fault: (f, e) => {
      const config = loadConfigText(e.protocols.reduce((text, p) => text.replace(new RegExp(`(config protocol '${p}'\\n\\toption mode )'allow'`), "$1'block'"), SHIPPED), 'f').config;
      return { ...f, config };
    },
    finding: /^(PPTP|IPsec) is blocked here/,
    fix: /^vpn-passthrough set (pptp|ipsec) allow$/,
  },
  helper: {
    fault: (f) => ({ ...f, doctor: f.doctor.map((c) => (c.id === 'helper-modules' ? { ...c, verdict: 'fail', summary: 'the kernel has no PPTP helper', fix: 'opkg install kmod-nf-nathelper-extra' } : c)) }),
    finding: /no PPTP helper/,
    fix: /kmod-nf-nathelper-extra/,
  },
  'esp-clash': {
    fault: (f) => ({ ...f, doctor: [...f.doctor, { id: 'esp-clash', verdict: 'fail', summary: `${CLIENT}, 192.168.1.11 all need raw ESP to ${SERVER}`, fix: 'make the clients use NAT-T' }] }),
    finding: /all need raw ESP/,
    fix: /NAT-T/,
  },
  'no-natt': {
    fault: (f) => ({ ...f, sessions: sessionsOf(ike('[ASSURED] ') + esp) }),
    finding: /raw ESP through NAT, not NAT-T: 192\.168\.1\.10 -> 198\.51\.100\.9/,
    fix: /AssumeUDPEncapsulationContextOnSendRule/,
  },
  unreachable: {
    fault: (f, e) => ({ ...f, sessions: sessionsOf(e.protocols.indexOf('ipsec') >= 0 ? ike('[UNREPLIED] ') : pptpUnanswered) }),
    finding: /^no answer from 198\.51\.100\.9 to 192\.168\.1\.10's .*(IKE|PPTP)/,
    fix: /server's address/,
  },
};

/** The checks each cause may run. */
const RUNS: Record<Cause, string[]> = {
  blocked: ['blocked'],
  helper: ['helper-modules', 'helper-attached'],
  'esp-clash': ['esp-clash'],
  'no-natt': ['natt'],
  unreachable: ['reply'],
  login: ['reply'],
  server: ['reply'],
  client: [],
};

t.test('the data: every listed Windows code, and the messages of the other clients', async (t) => {
  const codes = CLIENT_ERRORS.filter((e) => e.code !== undefined).map((e) => e.code);
  t.same(codes, [619, 691, 720, 789, 800, 806, 809, 812, 13801, 13806, 13868], 'the codes of the issue');
  for (const client of ['macOS, iOS', 'Android', 'strongSwan on Android']) t.ok(CLIENT_ERRORS.some((e) => e.client.indexOf(client) >= 0), `messages of ${client}`);
  for (const e of CLIENT_ERRORS) {
    t.ok(e.causes.length > 0 && e.protocols.length > 0 && e.meaning && e.elsewhere, `${e.code ?? e.message}: causes, protocols, meaning, where else to look`);
  }
});

t.test('found by its number or its words', async (t) => {
  for (const e of CLIENT_ERRORS) {
    if (e.code !== undefined) {
      for (const typed of [`${e.code}`, `Error ${e.code}`, `error code: ${e.code}`, ` ${e.code} `]) t.equal(findClientError(typed), e, `'${typed}'`);
    }
    t.equal(findClientError(e.message), e, `the message: ${e.message}`);
    t.equal(findClientError(`Can't connect to Office. ${e.message.toUpperCase()} Please contact your administrator.`), e, 'within more text, in any case');
  }
  t.equal(findClientError('The L2TP-VPN server did not respond. Try reconnecting.'), CLIENT_ERRORS.find((e) => e.message.startsWith('The L2TP-VPN')), 'the longest match wins');
  t.equal(findClientError('the remote server is not responding'), CLIENT_ERRORS.find((e) => e.code === 809), 'a good part of a message');
  t.equal(findClientError('4242'), null, 'an unknown number');
  t.equal(findClientError('it does not work'), null, 'words of no message');
});

t.test('each code: each cause alone is the answer, with its fix; only its checks run', async (t) => {
  for (const e of CLIENT_ERRORS) {
    const name = e.code === undefined ? `'${e.message}'` : `${e.code}`;
    const well = explain(e, healthy(e));
    const allowed = ['table', 'lan', ...e.causes.flatMap((c) => RUNS[c])];
    t.same(well.checks.map((c) => c.id).filter((id) => allowed.indexOf(id) < 0), [], `${name}: only the checks of its causes`);
    t.notOk(well.checks.some((c) => c.id === 'masquerade'), `${name}: not the whole doctor`);
    t.equal(well.fix, `look at ${e.elsewhere}`, `${name}, nothing wrong here: where to look instead`);
    t.match(well.finding, e.causes.some((c) => RUNS[c].indexOf('reply') >= 0) ? /^this router passes the VPN traffic of 192\.168\.1\.10 and the server answers: / : /^nothing on this router explains it: /,
      `${name}: ${well.finding}`);
    for (const cause of e.causes.filter((c) => ROUTER_CAUSES.indexOf(c) >= 0)) {
      const { fault, finding, fix } = FAULTS[cause];
      const r = explain(e, fault(healthy(e), e));
      t.match(r.finding, finding, `${name}, ${cause}: ${r.finding}`);
      t.match(r.fix, fix, `${name}, ${cause}: the fix`);
    }
  }
});

t.test('blocked for this client: its scope, family and servers', async (t) => {
  const e = findClientError('809')!;
  const facts = (text: string) => ({ ...healthy(e), config: loadConfigText(SHIPPED.replace(/(config protocol 'ipsec'\n\toption mode 'allow'\n)/, `$1${text}`), 'f').config });
  const scoped = explain(e, facts("\tlist client '192.168.1.100'\n"));
  t.match(scoped.finding, /IPsec is allowed only for 192\.168\.1\.100; 192\.168\.1\.10 is not among the addresses/);
  t.equal(scoped.fix, 'vpn-passthrough set ipsec.client 192.168.1.100 192.168.1.10', 'the fix adds the client');
  t.match(explain(e, facts("\tlist client '192.168.1.0/24'\n")).finding, /passes/, 'a subnet that holds it');
  t.match(explain(e, facts("\tlist client '00:11:22:33:44:55'\n")).checks.find((c) => c.id === 'blocked'), { verdict: 'warn', summary: /is its MAC address\?/ }, 'a MAC scope: asked, not judged');
  t.match(explain(e, facts("\toption family 'ipv6'\n")).finding, /IPsec is allowed over IPv6 only, and 192\.168\.1\.10 is not/);
  t.match(explain(e, facts("\tlist server '198.51.100.0/24'\n")).finding, /IPsec is allowed only to 198\.51\.100\.0\/24, not to 203\.0\.113\.7/, "the client's server outside the scope");
  t.match(explain(e, { ...facts("\toption esp 'block'\n"), sessions: [] }).finding, /IPsec ESP, IPsec AH blocked here \(option esp\): only a client that uses NAT-T/);
  const anyone = explain(e, { ...facts("\tlist client '192.168.1.100'\n"), client: null });
  t.match(anyone.checks.find((c) => c.id === 'blocked'), { verdict: 'info', summary: /name the client/ }, 'no client named: said, not judged');
});

const skip = canNetns === true ? false : canNetns;

t.test('doctor --error under qjs: the CLI and rpcd', { skip }, async (t) => {
  const { ns, box } = sandboxed(t, 'errors');
  ns.sh('ip', 'link', 'add', 'br-lan', 'type', 'bridge');
  const env = { ...box.env, VPN_PASSTHROUGH_CONNTRACK: `${ROOT}test/fixtures/conntrack-lab.proc` };
  const cli = (...args: string[]) => ns.run([QJS, '--std', '-m', BUNDLE, ...args], { env });
  writeFileSync(box.config, SHIPPED);
  t.equal(cli('apply').status, 0);

  t.test('the CLI', async (t) => {
    const ok = cli('doctor', '--error', '809', '--client', CLIENT);
    t.equal(ok.status, 0, ok.stderr);
    t.match(ok.stdout, /^error 809 \(Windows\): The network connection between your computer and the VPN server could not be established/);
    t.match(ok.stdout, /checked for 192\.168\.1\.10:\nOK    table .*\nOK    lan .*\nOK    blocked .*\nOK    esp-clash .*\nOK    natt .*NAT-T \(UDP 4500\) in use: 192\.168\.1\.10 -> 203\.0\.113\.7\nOK    reply /);
    t.match(ok.stdout, /\nfinding: this router passes the VPN traffic of 192\.168\.1\.10 and the server answers: .*\nfix: look at UDP 500 and 4500 forwarded/);
    t.notMatch(ok.stdout, /masquerade|flow-offloading|pptp-in-use/, 'only the checks of its causes');

    t.equal(cli('set', 'ipsec', 'block').status, 0);
    const blocked = cli('doctor', '--error', 'The L2TP-VPN server did not respond. Try reconnecting.', '--client', CLIENT);
    t.equal(blocked.status, 1, 'a check failed: exit 1, as doctor');
    t.match(blocked.stdout, /^message \(macOS, iOS\): The L2TP-VPN server did not respond\./);
    t.match(blocked.stdout, /\nfinding: IPsec is blocked here: a client using it gets exactly this error\nfix: vpn-passthrough set ipsec allow\n$/);
    t.equal(cli('set', 'ipsec', 'allow').status, 0);

    const json = JSON.parse(cli('--json', 'doctor', '--error', '691', '--client', CLIENT).stdout);
    t.match(json, { clientError: { input: '691', known: true, code: 691, client: 'Windows', causes: ['login'] }, client: CLIENT, finding: /server answers: the cause is on the server's side or the client's/ });
    t.same(json.checks.map((c: Check) => c.id), ['reply'], '691: the login failed at the server; one check: did it answer');

    const all = cli('doctor', '--error', '806');
    t.match(all.stdout, /checked for every LAN client \(--client ADDRESS narrows it to one\)/);
    t.match(all.stdout, /helper-modules/, 'PPTP: the helper checks');

    const unknown = cli('doctor', '--error', '4242');
    t.match(unknown.stdout, /^finding: '4242' is not an error this doctor knows .* all of doctor's checks follow\n\nOK    table/);
    t.match(unknown.stdout, /masquerade/, 'the full doctor');

    for (const [args, message] of [
      [['doctor', '--client', CLIENT], /--client goes with --error/],
      [['status', '--error', '809'], /--error and --client are options of doctor/],
      [['doctor', '--error'], /--error needs a value/],
      [['doctor', '--error', '809', '--client', '192.168.1.0/24'], /client '192\.168\.1\.0\/24' is not an IPv4 or IPv6 address/],
    ] as [string[], RegExp][]) {
      const r = cli(...args);
      t.equal(r.status, 2, `${args.join(' ')}: usage`);
      t.match(r.stderr, message);
    }
  });

  t.test('rpcd: doctor with error and client', async (t) => {
    const wrapper = readFileSync(`${ROOT}files/usr/libexec/rpcd/vpn-passthrough`, 'utf8');
    const plugin = `${box.dir}/rpcd-plugin`;
    writeFileSync(plugin, wrapper.replace('/usr/bin/qjs', QJS).replace('/usr/share/vpn-passthrough/vpn-passthrough.js', BUNDLE));
    chmodSync(plugin, 0o755);
    const call = (args: object) => JSON.parse(ns.run([plugin, 'call', 'doctor'], { input: JSON.stringify(args), env }).stdout);
    t.match(call({ ubus_rpc_session: 'a'.repeat(32), error: '809', client: CLIENT }), { clientError: { code: 809 }, client: CLIENT, finding: /passes/ });
    t.match(call({ error: 13806 }), { clientError: { code: 13806, causes: ['client'] }, checks: [], fix: /machine certificate/ }, 'a number is taken too');
    t.match(call({ error: '809', client: '' }), { client: null }, 'an empty client: every client (an empty form field)');
    t.match(call({}), { checks: [{ id: 'table' }] }, 'without error: the whole doctor');
    t.match(call({ client: CLIENT }), { error: { code: 'invalid', field: 'client' } });
    t.match(call({ error: '809', client: 'pc' }), { error: { code: 'invalid', message: /client 'pc' is not an IPv4 or IPv6 address/ } });
    t.match(call({ error: ['809'] }), { error: { code: 'invalid', field: 'error' } });
  });
});
