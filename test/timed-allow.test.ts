// Allow for a while (issue 13 item 2), through the lab's NAT router with the
// bundle under qjs: `set pptp allow --for 30s` lets PPTP's control
// connection through, and at the end the table blocks it by itself, a live
// connection too, with nothing run on the router then. Before the end, a
// re-apply and a firewall flush followed by our include (as fw4 stop/start
// does) load the same deadline again, and status counts down from it. An
// apply after the end renders a block and status says the allow ended.
// Waiting for the end is bounded, never timed.

import t from 'tap';
import { readFileSync } from 'node:fs';
import { canNetns } from '../lab/netns.ts';
import { makeLab } from '../lab/topology.ts';
import { sleep, until } from '../lab/wait.ts';
import { firewallInclude } from './lib/include.ts';
import { BUNDLE, QJS } from './lib/paths.ts';
import { pptpControl } from './lib/tcp.ts';
import { parseDuration, withUntilCleared } from '../src/core/allow-for.ts';
import { loadConfigText } from '../src/core/load.ts';
import { settingsToChanges } from '../src/core/settings.ts';
import { asOf, formatSpan } from '../src/core/timed.ts';

const skip = canNetns === true ? false : canNetns;
/** Long enough for the steps before the end on a loaded machine; the test waits it out once. */
const FOR = 30;

t.test('durations, deadlines and the changes they make', async (t) => {
  t.same(['30s', '45m', '2h', '1d', '1d12h', '90m', '1h30m15s'].map((d) => parseDuration(d)), [30, 2700, 7200, 86400, 129600, 5400, 5415].map((seconds) => ({ seconds })));
  for (const bad of ['', '2', 'h', '2x', '1h1d', '0s', '-1h', '2 h', '1.5h']) t.match(parseDuration(bad), { error: /^invalid duration/ }, `'${bad}' is refused`);
  t.match(parseDuration('366d'), { error: /longer than a year/ });
  t.same([45, 60, 3599, 3600, 7140, 86400, 90000].map(formatSpan), ['45 s', '1 min', '59 min', '1 h', '1 h 59 min', '1 d', '1 d 1 h']);

  const config = loadConfigText("config protocol 'ipsec'\n\toption until '1000'\n\nconfig protocol 'pptp'\n\toption until '1000'\n\toption mode 'allow'\n", 'x').config;
  t.equal(asOf(config, 999), config, 'before the deadline: as written');
  const after = asOf(config, 1000);
  t.match(after.protocols.ipsec, { mode: 'block', esp: 'block', expired: true, until: 1000 }, 'at the deadline: IPsec blocked, raw ESP/AH with it');
  t.match(after.protocols.pptp, { mode: 'block', expired: true });
  const apart = asOf(loadConfigText("config protocol 'ipsec'\n\toption until '1000'\n\toption esp 'block'\n", 'x').config, 2000);
  t.match(apart.protocols.ipsec, { mode: 'block', esp: 'block', expired: true });

  const mode = (section: string, value: string) => ({ section, type: 'protocol', option: 'mode', value });
  t.same(withUntilCleared([mode('pptp', 'block')]), [mode('pptp', 'block'), { section: 'pptp', type: 'protocol', option: 'until', value: null }], 'a mode without until removes it');
  t.same(withUntilCleared([mode('pptp', 'allow'), { section: 'pptp', type: 'protocol', option: 'until', value: '5' }]).length, 2, 'with until: kept');
  t.same(settingsToChanges({ protocols: { gre: { for: '2h' } } }, 1000), [mode('gre', 'allow'), { section: 'gre', type: 'protocol', option: 'until', value: '8200' }], 'ubus for: mode allow and until');
  t.same(settingsToChanges({ protocols: { gre: { mode: 'allow', for: 60, family: 'ipv4' } } }, 1000).map((c) => `${c.option}=${c.value}`), ['mode=allow', 'until=1060', 'family=ipv4'], 'a number of seconds');
  for (const [args, field, message] of [
    [{ gre: { for: '2x' } }, 'protocols.gre.for', /invalid duration '2x'/],
    [{ gre: { for: true } }, 'protocols.gre.for', /expected a duration such as "2h" or a number of seconds, got a boolean/],
    [{ gre: { mode: 'block', for: '2h' } }, 'protocols.gre.for', /goes with "mode": "allow"/],
    [{ gre: { for: '2h', until: 5 } }, 'protocols.gre.for', /not both/],
    [{ gre: { until: '5' } }, 'protocols.gre.until', /expected a number \(Unix time \(seconds\)\), got a string/],
  ] as const) {
    t.throws(() => settingsToChanges({ protocols: args }, 1000), { field, message }, field);
  }
});

interface PptpStatus {
  mode: string;
  until: number | null;
  left: number | null;
  expired: boolean;
  parts: { mode: string }[];
}

t.test('PPTP allowed for a while', { skip }, async (t) => {
  const lab = makeLab({ clients: 1 });
  t.teardown(lab.remove);
  const { box, router } = lab;
  const { listening, once, hold: holding } = pptpControl(lab);
  const pptp = (env: NodeJS.ProcessEnv = {}): PptpStatus & { now: number; warnings: string[] } => {
    const s = JSON.parse(box.cli(['--json', 'status'], env).stdout);
    return { ...s.protocols.find((p: { name: string }) => p.name === 'pptp'), now: s.now, warnings: s.warnings };
  };
  const written = () => /option until '(\d+)'/.exec(readFileSync(box.config, 'utf8'))?.[1];
  // The deadline as the loaded table holds it (nft writes it as a date; UTC here).
  const deadline = () => /meta time >= "([^"]+)" goto refuse_pptp/.exec(router.run(['nft', 'list', 'chain', 'inet', 'vpn_passthrough', 'handle_pptp'], { env: { ...process.env, TZ: 'UTC' } }).stdout)?.[1];
  const utc = (unix: number) => new Date(unix * 1000).toISOString().slice(0, 19).replace('T', ' ');

  t.equal(box.cli(['set', 'pptp', 'block']).status, 0);
  t.ok(await until(listening, 5000), 'the server listens');
  t.equal(once(), 'ConnectionRefusedError', 'blocked to begin with');

  t.test('a duration that is not one changes nothing', async (t) => {
    const before = readFileSync(box.config, 'utf8');
    const r = box.cli(['set', 'pptp', 'allow', '--for', '2x']);
    t.equal(r.status, 2, 'exit 2 (usage)');
    t.match(r.stderr, /--for: invalid duration '2x'; write a number with d, h, m or s, such as 2h, 45m or 1d12h/);
    t.match(box.cli(['set', 'pptp', 'allow', '--for', '400d']).stderr, /longer than a year/);
    t.match(box.cli(['set', 'pptp.family', 'ipv4', '--for', '2h']).stderr, /--for takes a duration after allow/);
    t.equal(readFileSync(box.config, 'utf8'), before, 'the config is as it was');
  });

  let end = 0;
  t.test('set pptp allow --for 30s: allowed now, with the deadline in the config and the table', async (t) => {
    const r = box.cli(['set', 'pptp', 'allow', '--for', `${FOR}s`]);
    t.equal(r.status, 0, r.stderr);
    const s = pptp();
    end = Number(written());
    t.equal(end, s.now + s.left!, 'option until: now + 30 s');
    t.ok(s.left! > 0 && s.left! <= FOR, `status: ${s.left} s left`);
    t.equal(s.mode, 'allow');
    t.equal(deadline(), utc(end), 'the table stops PPTP at that moment');
    t.equal(once(), 'ok', 'PPTP passes');
    t.match(box.cli(['status']).stdout, /^pptp\s+pptp\s+allow, \d+ s left/m, 'status says how long');
  });

  t.test('a re-apply, then a firewall flush and our include: the same deadline, the right time left', async (t) => {
    t.equal(box.cli(['apply']).status, 0);
    t.equal(deadline(), utc(end), 'apply: the same deadline');
    t.equal(router.run(['nft', 'flush', 'ruleset']).status, 0, 'fw4 stop flushes every table');
    t.equal(router.run(['nft', 'list', 'table', 'inet', 'vpn_passthrough']).status, 1, 'ours too');
    lab.loadFw4();
    const include = router.run(firewallInclude(box.dir, [QJS, '--std', '-m', BUNDLE]), { env: box.env });
    t.equal(include.status, 0, `fw4 start runs our include ${include.stderr}`);
    t.equal(deadline(), utc(end), 'the include loads the same deadline');
    const s = pptp();
    t.equal(s.left, end - s.now, `status: ${s.left} s left, counted from the config's deadline`);
    t.equal(once(), 'ok', 'PPTP still passes');
  });

  t.test('at the deadline the table blocks PPTP by itself, the live connection too', async (t) => {
    const hold = holding(0, 10 * (FOR + 60));
    const lines: string[] = [];
    hold.stdout!.on('data', (d: Buffer) => lines.push(...d.toString().trim().split('\n')));
    const ended = new Promise((r) => hold.on('exit', r));
    t.ok(await until(() => lines.length > 0, 5000), 'a connection is up');
    t.equal(lines[0], 'ok');
    // Nothing runs on the router from here on: only the clock moves.
    t.ok(await until(() => once() === 'ConnectionRefusedError', (FOR + 60) * 1000, 500), 'a new connection is refused, with no apply');
    await Promise.race([ended, sleep(10000)]);
    t.not(lines[lines.length - 1], 'ok', `the live connection ended with an error (${lines[lines.length - 1]})`);
    const s = pptp();
    t.ok(s.now >= end, 'the deadline has passed by the router clock');
    t.match(s, { mode: 'block', expired: true, left: null, until: end }, 'status: blocked, the allow ended');
    t.match(s.warnings.join('\n'), /PPTP: the allow until .* UTC has ended, so it is blocked/);
    t.match(box.cli(['status']).stdout, /^pptp\s+pptp\s+block \(allow ended\)/m);
  });

  t.test('over ubus: set with for, get with until', async (t) => {
    const call = (method: string, args: object) =>
      JSON.parse(router.run([QJS, '--std', '-m', BUNDLE, 'rpcd', 'call', method], { input: JSON.stringify(args), env: box.env }).stdout);
    const r = call('set', { protocols: { gre: { for: '1h' } } });
    t.equal(r.applied, true);
    const until = r.config.protocols.gre.until;
    t.ok(until > Date.now() / 1000 + 3500 && until <= Date.now() / 1000 + 3600, 'until: an hour from now');
    t.match(call('get', {}).protocols.gre, { mode: 'allow', until });
    t.match(call('set', { protocols: { gre: { for: '2x' } } }), { error: { code: 'invalid', field: 'protocols.gre.for' } });
    t.match(call('set', { protocols: { gre: { mode: 'block' } } }).config.protocols.gre, { mode: 'block', until: null }, 'a mode without for: until removed');
    t.equal(call('set', { protocols: { gre: { mode: 'allow' } } }).applied, true);
  });

  t.test('an apply after the end renders a block; set pptp allow allows for good', async (t) => {
    t.equal(box.cli(['apply']).status, 0);
    const chain = router.sh('nft', 'list', 'chain', 'inet', 'vpn_passthrough', 'handle_pptp');
    t.match(chain, /reject with tcp reset/, 'the table blocks PPTP');
    t.notMatch(chain, /meta time/, 'with no deadline left in it');
    t.equal(once(), 'ConnectionRefusedError');
    t.equal(box.cli(['set', 'pptp', 'allow']).status, 0);
    t.equal(written(), undefined, 'option until removed');
    t.match(pptp(), { mode: 'allow', until: null, left: null, expired: false });
    t.equal(once(), 'ok');
  });
});
