// The change log (issue 13 item 4): every change through the CLI, ubus and
// the LuCI page recorded with when, through what, by whom and each option
// before and after; refused and failed ones as such; in a bounded file under
// /var, in syslog, in `vpn-passthrough log` and the rpcd method `log`. The
// bundle under qjs in a network namespace, rpcd's plugin run as rpcd runs
// it, rpcd's sessions from the ubus stand-in (test/openwrt/ubus), syslog
// through the logger stand-in (test/openwrt/logger).

import t from 'tap';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { optionChanges, parseEntries, syslogLine, type ChangeEntry } from '../src/core/changes.ts';
import { MAX_LOG_BYTES } from '../src/host/changelog.ts';
import { formatChangeLog } from '../src/cli/changelog.ts';
import { canNetns } from '../lab/netns.ts';
import { BUNDLE, QJS, ROOT } from './lib/paths.ts';
import { lockTarget } from './lib/lock.ts';
import { sandboxed } from './lib/sandboxed.ts';

const SHIPPED = readFileSync(`${ROOT}files/etc/config/vpn-passthrough`, 'utf8');

t.test('what changed: option by option, before and after', async (t) => {
  const after = SHIPPED.replace(/(config protocol 'pptp'\n\toption mode )'allow'/, "$1'block'").replace(/(config protocol 'gre'\n)/, "$1\tlist client '192.168.1.20'\n");
  t.same(optionChanges(SHIPPED, after, 'f'), [
    { option: 'pptp.mode', before: 'allow', after: 'block' },
    { option: 'gre.client', before: null, after: ['192.168.1.20'] },
  ]);
  t.same(optionChanges(SHIPPED, `# a comment\n${SHIPPED}`, 'f'), [], 'comments are no change');
  t.same(optionChanges(SHIPPED, '', 'f')!.find((c) => c.option === 'pptp.mode'), { option: 'pptp.mode', before: 'allow', after: null }, 'an option gone: null, its default');
  t.equal(optionChanges(SHIPPED, 'config global\n\toption', 'f'), null, 'a file that is not UCI: no comparison');
  const long = `config protocol 'l2tp'\n${Array.from({ length: 40 }, (_, i) => `\tlist client '10.0.0.${i}'\n`).join('')}`;
  const cut = optionChanges('', long, 'f')![0].after as string[];
  t.equal(cut.length, 17, 'a long list is cut (the file is bounded)');
  t.equal(cut[16], '(24 more)', 'and says how many more');
  t.same(optionChanges('config x\n\toption a 1\n', 'config x\n\toption a 2\n', 'f'), [{ option: '@x[0].a', before: '1', after: '2' }], 'anonymous sections as uci names them');
  const entry: ChangeEntry = {
    time: '2025-01-02T03:04:05.000Z', via: 'ubus', user: null, request: 'set {}', result: 'refused', reason: 'line one\nline two',
    changes: [{ option: 'pptp.mode', before: 'allow', after: 'block' }],
  };
  t.equal(syslogLine(entry), "ubus (no session): set {}: refused (line one; line two): pptp.mode 'allow' -> 'block'", 'one syslog line');
  t.same(parseEntries(`${JSON.stringify(entry)}\n{"cut by a cra\n\n`), [entry], 'a line cut by a crash is skipped');
});

const skip = canNetns === true ? false : canNetns;

t.test('a timed allow reads as a date in the log', async (t) => {
  const entry: ChangeEntry = {
    time: '2026-11-29T14:03:33.000Z',
    via: 'cli',
    user: 'root',
    request: 'set pptp allow --for 2h',
    result: 'applied',
    changes: [{ option: 'pptp.until', before: null, after: '1795968213' }],
  };
  t.match(formatChangeLog([entry]), "pptp.until: (default) -> '1795968213' (2026-11-29 16:03:33 UTC)");
});

t.test('the change log under qjs', { skip }, async (t) => {
  const { ns, box } = sandboxed(t, 'changelog');
  const log = box.env.VPN_PASSTHROUGH_CHANGE_LOG!;
  const syslog = `${box.dir}/syslog`;
  const rpcd = box.env.VPN_PASSTHROUGH_RPCD!;
  // ubus is rpcd's session object as the stand-in plays it; sessions as rpcd's login makes them.
  mkdirSync(`${box.dir}/bin`);
  symlinkSync(`${ROOT}test/openwrt/ubus`, `${box.dir}/bin/ubus`);
  const env = { ...box.env, PATH: `${box.dir}/bin:${process.env.PATH}`, UBUS_STANDIN_STATE: `${box.dir}/ubus` };
  mkdirSync(env.UBUS_STANDIN_STATE);
  const session = (id: string, username: string, uci: Record<string, string[]>) =>
    ({ ubus_rpc_session: id.repeat(32), timeout: 300, expires: 299, acls: { uci, ubus: { 'vpn-passthrough': ['*'] } }, data: { username } });
  const sessions = (...list: object[]) => writeFileSync(`${env.UBUS_STANDIN_STATE}/sessions.json`, JSON.stringify(list));
  const ROOT_SESSION = 'a'.repeat(32);
  const ALICE_SESSION = 'b'.repeat(32);
  sessions(session('a', 'root', { '*': ['read', 'write'] }), session('c', 'viewer', { 'vpn-passthrough': ['read'] }));

  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) => ns.run([QJS, '--std', '-m', BUNDLE, ...args], { env: { ...env, ...extra } });
  const wrapper = readFileSync(`${ROOT}files/usr/libexec/rpcd/vpn-passthrough`, 'utf8');
  const plugin = `${box.dir}/rpcd-plugin`;
  writeFileSync(plugin, wrapper.replace('/usr/bin/qjs', QJS).replace('/usr/share/vpn-passthrough/vpn-passthrough.js', BUNDLE));
  chmodSync(plugin, 0o755);
  const call = (method: string, args: object) => JSON.parse(ns.run([plugin, 'call', method], { input: JSON.stringify(args), env }).stdout);
  const entries = (): ChangeEntry[] => JSON.parse(cli(['--json', 'log']).stdout).entries;
  const latest = () => entries()[0];
  const me = userInfo().username;
  writeFileSync(box.config, SHIPPED);
  t.equal(cli(['apply']).status, 0, 'the table loaded; the record starts');

  t.test('the CLI: set, unset, refused, failed, busy; with the user, in syslog', async (t) => {
    t.match(cli(['log']).stdout, /^no change recorded since the router started/, 'nothing yet');
    t.equal(cli(['set', 'pptp', 'block']).status, 0);
    t.match(latest(), { via: 'cli', user: me, request: 'set pptp block', result: 'applied', changes: [{ option: 'pptp.mode', before: 'allow', after: 'block' }] });
    t.match(latest().time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'when: ISO 8601, UTC');

    t.equal(cli(['set', 'pptp.client', '10.0.0.300']).status, 3, 'a bad value is refused');
    t.match(latest(), { request: 'set pptp.client 10.0.0.300', result: 'refused', reason: /'10\.0\.0\.300' is not an IPv4 or IPv6 address/, changes: [{ option: 'pptp.client', before: null, after: ['10.0.0.300'] }] },
      'refused, with the reason and what it would have changed');
    t.equal(cli(['set', 'pptp.colour', 'red']).status, 2);
    t.match(latest(), { request: 'set pptp.colour red', result: 'refused', reason: /unknown option 'colour'/, changes: [] }, 'an unknown option: refused');

    const failing = cli(['set', 'gre', 'block'], { VPN_PASSTHROUGH_NFT: `${ROOT}test/fixtures/nft-fails-on-load` });
    t.equal(failing.status, 1);
    t.match(latest(), { request: 'set gre block', result: 'failed', reason: /Cannot allocate memory/, changes: [{ option: 'gre.mode', before: 'allow', after: 'block' }] }, 'nft failing: failed');

    const owner = spawn('sleep', ['30'], { stdio: 'ignore' });
    t.teardown(() => owner.kill());
    symlinkSync(lockTarget(owner.pid!), box.env.VPN_PASSTHROUGH_LOCK!);
    const busy = cli(['unset', 'pptp']);
    unlinkSync(box.env.VPN_PASSTHROUGH_LOCK!);
    t.equal(busy.status, 4);
    t.match(latest(), { request: 'unset pptp', result: 'refused', reason: /another vpn-passthrough \(pid \d+\) holds/ }, 'the lock busy: refused');

    t.equal(cli(['unset', 'pptp']).status, 0);
    t.match(latest(), { request: 'unset pptp', result: 'applied', changes: [{ option: 'pptp.mode', before: 'block', after: null }] }, 'unset: after is the default');

    const text = cli(['log']).stdout;
    t.match(text, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  cli \S+: unset pptp: applied\n    pptp\.mode: 'block' -> \(default\)\n/, 'newest first, each option under its change');
    t.match(text, /set pptp block: applied\n    pptp\.mode: 'allow' -> 'block'\n$/, 'the oldest last');
    const lines = readFileSync(syslog, 'utf8');
    t.match(lines, `user.notice vpn-passthrough: cli ${me}: set pptp block: applied: pptp.mode 'allow' -> 'block'\n`, 'syslog: one line per change');
    t.match(lines, /user\.warning vpn-passthrough: cli \S+: set gre block: failed \(.*Cannot allocate memory.*\): gre\.mode 'allow' -> 'block'\n/, 'failed and refused ones as warnings');
    t.equal(lines.split('\n').filter(Boolean).length, 6, 'a line for each of the six');
  });

  t.test('ubus: the user of the rpcd session; none from a shell', async (t) => {
    t.match(call('set', { ubus_rpc_session: ROOT_SESSION, protocols: { gre: { mode: 'block' } } }), { applied: true });
    t.match(latest(), { via: 'ubus', user: 'root', request: 'set {"protocols":{"gre":{"mode":"block"}}}', result: 'applied', changes: [{ option: 'gre.mode', before: 'allow', after: 'block' }] });
    t.notMatch(readFileSync(log, 'utf8'), ROOT_SESSION, 'the session id (a credential) is never written');
    call('set', { protocols: { gre: { mode: 'allow' } } });
    t.match(latest(), { via: 'ubus', user: null, result: 'applied' }, '`ubus call` from a shell: no session');
    t.match(cli(['log']).stdout, /ubus \(no session\): set \{"protocols":\{"gre":\{"mode":"allow"\}\}\}: applied/);
    t.match(call('set', { ubus_rpc_session: ROOT_SESSION, protocols: { gre: { mode: 'blok' } } }), { error: { code: 'invalid' } });
    t.match(latest(), { via: 'ubus', user: 'root', result: 'refused', reason: /protocols\.gre\.mode: .*use one of 'allow', 'block'/ }, 'refused input too');
    t.match(call('set', { ubus_rpc_session: 'f'.repeat(32), protocols: { gre: { mode: 'allow' } } }), { applied: true });
    t.match(latest(), { via: 'ubus', user: null }, 'a session rpcd does not know: no user');

    const answer = call('log', { ubus_rpc_session: ROOT_SESSION });
    t.same(answer.entries, entries(), 'rpcd log: the same entries');
    t.same(call('log', { limit: 2 }).entries, entries().slice(0, 2), 'limit: the newest ones');
    t.match(call('log', { limit: 0 }), { error: { code: 'invalid', field: 'limit' } });
  });

  /** What rpcd's uci apply does for a session (LuCI's Save & Apply): the file, and the delta it applied kept aside. */
  const saveThroughRpcd = (text: string) => {
    writeFileSync(box.config, text);
    mkdirSync(`${rpcd}/snapshot-delta`, { recursive: true });
    writeFileSync(`${rpcd}/snapshot-delta/vpn-passthrough`, "vpn-passthrough.ipsec.mode='block'\n");
  };

  t.test('the LuCI page: saved through rpcd uci, found by the apply that follows, with the user', async (t) => {
    writeFileSync(box.config, SHIPPED);
    cli(['apply']);
    const count = entries().length;
    saveThroughRpcd(SHIPPED.replace(/(config protocol 'ipsec'\n\toption mode )'allow'/, "$1'block'"));
    // procd's reload trigger runs first (the init script: vpn-passthrough apply as root) ...
    t.equal(cli(['apply']).status, 0);
    t.match(latest(), { via: 'luci', user: 'root', request: /rpcd's uci \(LuCI Save & Apply\)/, result: 'applied', changes: [{ option: 'ipsec.mode', before: 'allow', after: 'block' }] },
      'the user of the session that may write the config (not the read-only one)');
    // ... then the page's own apply, over HTTP: nothing new.
    call('apply', { ubus_rpc_session: ROOT_SESSION });
    t.equal(entries().length, count + 1, 'recorded once');

    sessions(session('a', 'root', { '*': ['read', 'write'] }), session('b', 'alice', { 'vpn-passthrough': ['read', 'write'] }));
    saveThroughRpcd(SHIPPED);
    t.equal(cli(['apply']).status, 0);
    t.match(latest(), { via: 'luci', user: 'alice or root' }, 'two users could have: both named');
    saveThroughRpcd(SHIPPED.replace(/(config protocol 'ipsec'\n\toption mode )'allow'/, "$1'block'"));
    call('apply', { ubus_rpc_session: ALICE_SESSION });
    t.match(latest(), { via: 'luci', user: 'alice' }, "the page's apply first (service stopped): its own session's user");
    saveThroughRpcd(SHIPPED);
    cli(['apply']);
  });

  t.test('the file edited otherwise (uci, an editor): found by the next apply', async (t) => {
    const count = entries().length;
    writeFileSync(box.config, SHIPPED.replace(/(config protocol 'l2tp'\n\toption mode )'allow'/, "$1'block'"));
    t.equal(cli(['apply']).status, 0);
    t.match(latest(), { via: 'uci', user: null, request: /the config file changed/, result: 'applied', changes: [{ option: 'l2tp.mode', before: 'allow', after: 'block' }] });
    t.match(cli(['log']).stdout, /uci \(unknown\): the config file changed/);
    writeFileSync(box.config, `# only a comment\n${readFileSync(box.config, 'utf8')}`);
    cli(['apply']);
    t.equal(entries().length, count + 1, 'a comment is no change');
    writeFileSync(box.config, SHIPPED.replace(/(config protocol 'l2tp'\n\toption mode )'allow'/, "$1'alow'"));
    t.equal(cli(['apply']).status, 3);
    t.match(latest(), { via: 'uci', result: 'refused', reason: /invalid value 'alow'/, changes: [{ option: 'l2tp.mode', after: 'alow' }] }, 'an invalid edit: refused, the table kept');
    writeFileSync(box.config, SHIPPED);
    t.equal(cli(['set', 'gre', 'allow']).status, 0, 'a set over an edit not yet applied');
    t.match(entries().slice(0, 2), [{ via: 'cli', request: 'set gre allow' }, { via: 'uci', changes: [{ option: 'l2tp.mode', before: 'alow', after: 'allow' }] }],
      'records the edit first, then its own change');
  });

  t.test('bounded: the file is renamed to .1 when full; log reads both', async (t) => {
    const filler = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({
      time: '2020-01-01T00:00:00.000Z', via: 'cli', user: 'root', request: `set filler ${i}`, result: 'applied', changes: [],
    })).join('\n') + '\n';
    writeFileSync(log, filler(Math.floor(MAX_LOG_BYTES / 120)));
    t.equal(cli(['set', 'pptp', 'block']).status, 0);
    t.ok(existsSync(`${log}.1`), 'the full file became .1');
    t.equal(parseEntries(readFileSync(log, 'utf8')).length, 1, 'the new entry starts a new file');
    const all = entries();
    t.match(all[0], { request: 'set pptp block' }, 'newest first');
    t.match(all[1].request, /^set filler/, 'then the older file');
    writeFileSync(log, filler(Math.floor(MAX_LOG_BYTES / 120)));
    t.equal(cli(['unset', 'pptp']).status, 0);
    t.ok(statSync(log).size + statSync(`${log}.1`).size <= 2 * MAX_LOG_BYTES, 'never more than two files');
    t.notOk(entries().some((e) => e.request === 'set pptp block'), 'the oldest half went');
  });

  t.test('a log that cannot be written never fails a change', async (t) => {
    const r = cli(['set', 'pptp', 'block'], { VPN_PASSTHROUGH_CHANGE_LOG: `${box.dir}/missing/changes.log` });
    t.equal(r.status, 0, 'the change is made');
    t.match(r.stderr, /warning: not recorded in the change log: cannot open .*missing\/changes\.log/, 'and says what was not recorded');
    t.match(readFileSync(syslog, 'utf8'), /cli \S+: set pptp block: applied: pptp\.mode \S+ -> 'block'\n$/, 'syslog has it');
    cli(['unset', 'pptp']);
  });
});
