// The rpcd exec plugin driven exactly as rpcd drives it (openwrt/rpcd
// plugin.c): the wrapper from files/ run with argv `list` (stdin /dev/null)
// or `call <method>` (the arguments as compact JSON on stdin); every answer
// must be one JSON object, errors included, since rpcd ignores the exit code.
// The wrapper's /usr/bin/qjs and bundle path point at the build here; it runs
// in a network namespace against the real nft.

import t from 'tap';
import { spawn } from 'node:child_process';
import { chmodSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { canNetns } from '../lab/netns.ts';
import { BUNDLE, QJS, ROOT } from './lib/paths.ts';
import { lockTarget } from './lib/lock.ts';
import { sandboxed } from './lib/sandboxed.ts';

const skip = canNetns === true ? false : canNetns;
const METHODS = ['status', 'sessions', 'doctor', 'overview', 'get', 'set', 'apply', 'log'];

t.test('the rpcd plugin under qjs', { skip }, async (t) => {
  const { ns, box } = sandboxed(t, 'rpcd');
  const wrapper = readFileSync(`${ROOT}files/usr/libexec/rpcd/vpn-passthrough`, 'utf8');
  const plugin = `${box.dir}/rpcd-plugin`;
  writeFileSync(plugin, wrapper.replace('/usr/bin/qjs', QJS).replace('/usr/share/vpn-passthrough/vpn-passthrough.js', BUNDLE));
  chmodSync(plugin, 0o755);
  writeFileSync(box.config, readFileSync(`${ROOT}files/etc/config/vpn-passthrough`));

  /** One rpcd call; the answer parsed, after checking it is one JSON object. */
  const call = (method: string, input: string) => {
    const r = ns.run([plugin, 'call', method], { input, env: box.env });
    const answer = JSON.parse(r.stdout);
    t.ok(typeof answer === 'object' && answer !== null && !Array.isArray(answer), `${method}: the answer is a JSON object`);
    return answer;
  };
  const table = () => ns.run(['nft', 'list', 'table', 'inet', 'vpn_passthrough']).stdout;
  const config = () => readFileSync(box.config, 'utf8');

  t.test('list: every method with its argument signature', async (t) => {
    const r = ns.run([plugin, 'list'], { env: box.env });
    const list = JSON.parse(r.stdout);
    t.same(Object.keys(list), METHODS);
    t.same(list.set, { global: {}, protocols: {} }, 'set takes two objects (blobmsg tables)');
    t.same(list.doctor, { error: '809', client: '192.168.1.20' }, 'doctor takes two optional strings');
    t.same(list.log, { limit: 10 }, 'log takes an optional number');
    t.same(list.apply, { if_needed: true }, 'apply takes an optional boolean');
    for (const m of METHODS.filter((m) => ['set', 'doctor', 'log', 'apply'].indexOf(m) < 0)) t.same(list[m], {}, `${m} takes no arguments`);
    const documented = [...readFileSync(`${ROOT}docs/ubus.md`, 'utf8').matchAll(/^\| `(\w+)`/gm)].map((m) => m[1]);
    t.same(documented, METHODS, 'docs/ubus.md lists the same methods');
  });

  t.test('without a working qjs: the object still exists, and every call says what is missing', async (t) => {
    const real = ns.run([plugin, 'list'], { env: box.env }).stdout;
    for (const [what, qjs] of [['missing', '/nonexistent/qjs'], ['broken', '/bin/false']]) {
      const broken = `${box.dir}/rpcd-plugin-${what}`;
      writeFileSync(broken, wrapper.replace('/usr/bin/qjs', qjs).replace('/usr/share/vpn-passthrough/vpn-passthrough.js', BUNDLE));
      chmodSync(broken, 0o755);
      t.same(JSON.parse(ns.run([broken, 'list'], { env: box.env }).stdout), JSON.parse(real), `qjs ${what}: list names the same methods`);
      const r = ns.run([broken, 'call', 'status'], { input: '{}', env: box.env });
      t.match(JSON.parse(r.stdout), { error: { code: 'failed', message: new RegExp(`${qjs} is missing or broken; install it: opkg install quickjs`) } }, `qjs ${what}: a JSON error naming the runtime and the package`);
    }
  });

  t.test('apply, status, get, sessions, doctor', async (t) => {
    t.match(call('apply', '{}'), { applied: true, enabled: true, lan_devices: ['br-lan'] });
    t.match(table(), /ct helper pptp/);
    const loaded = table();
    t.same(call('apply', '{"if_needed":true}'), { applied: false, warnings: [] }, 'if_needed: the table holds the file as it is, so nothing runs');
    t.equal(table(), loaded, 'the table as it was');
    const shipped = config();
    writeFileSync(box.config, shipped.replace(/(config protocol 'gre'\n\toption mode )'allow'/, "$1'block'"));
    t.match(call('apply', '{"if_needed":true}'), { applied: true }, 'if_needed, the file edited since: it applies');
    t.match(table(), /chain handle_gre \{[^}]*reject/, 'the edit is loaded');
    writeFileSync(box.config, shipped);
    t.match(call('apply', '{"if_needed":false}'), { applied: true });
    t.match(call('apply', '{"if_needed":"yes"}'), { error: { code: 'invalid', field: 'if_needed' } }, 'if_needed: a boolean or nothing');
    const status = call('status', '{}');
    t.equal(status.table, 'loaded');
    t.same(status.protocols.map((p: { name: string }) => p.name), ['pptp', 'l2tp', 'ipsec', 'gre']);
    t.match(call('get', '{}'), {
      global: { enabled: true, lan_zone: ['lan'], lan_device: [], log: false, log_limit: '10/minute' },
      protocols: { pptp: { mode: 'allow', family: 'any', client: [], server: [] }, ipsec: { mode: 'allow', esp: null } },
    });
    t.match(call('sessions', '{}'), { source: '/proc/net/nf_conntrack', clients: [] });
    t.match(call('doctor', '{}').checks[0], { id: 'table', verdict: 'ok' });
    const overview = call('overview', '{}');
    t.same(Object.keys(overview), ['status', 'sessions'], 'overview: status and sessions in one run');
    t.equal(overview.status.table, 'loaded');
    t.match(overview.sessions, { source: '/proc/net/nf_conntrack', clients: [] });
  });

  t.test('over HTTP: ubus_rpc_session is accepted (the change log asks rpcd whose it is)', async (t) => {
    t.equal(call('status', '{"ubus_rpc_session":"0123456789abcdef"}').table, 'loaded');
    const r = call('set', '{"ubus_rpc_session":"0123456789abcdef","protocols":{"gre":{"mode":"block"}}}');
    t.equal(r.applied, true);
    t.equal(r.config.protocols.gre.mode, 'block');
  });

  t.test('set: a partial update is written as valid UCI and applied', async (t) => {
    const r = call('set', JSON.stringify({
      global: { log: true },
      protocols: { pptp: { mode: 'block' }, ipsec: { esp: 'block', client: ['192.168.1.0/24', '00:11:22:33:44:55'] } },
    }));
    t.match(r, { applied: true, config: { global: { log: true }, protocols: { pptp: { mode: 'block' }, ipsec: { mode: 'allow', esp: 'block' } } } });
    t.match(config(), /config protocol 'pptp'\n(#.*\n)*\toption mode 'block'/, 'the file says so');
    t.match(config(), /\tlist client '00:11:22:33:44:55'/);
    t.match(config(), /^# PPTP: TCP 1723/m, 'comments kept');
    t.equal(box.cli(['check']).status, 0, 'the file is valid (vpn-passthrough check)');
    t.match(table(), /chain handle_pptp \{[^}]*reject with tcp reset/, 'the table blocks PPTP');
    t.match(table(), /set ipsec_client_mac/, 'and narrows IPsec to the clients');
    t.same(call('get', '{}'), r.config, 'get answers what set left');
    const cleared = call('set', '{"global":{"lan_zone":[]},"protocols":{"ipsec":{"client":[]}}}');
    t.same(cleared.config.global.lan_zone, [], 'an emptied list stays empty');
    t.same(cleared.config.protocols.ipsec.client, []);
    call('set', '{"global":{"lan_zone":["lan"]}}');
  });

  t.test('set: raw ESP and AH follow the IPsec mode; null removes an option', async (t) => {
    const shipped = config();
    const pinned = shipped.replace(/(config protocol 'ipsec'\n\toption mode 'allow'\n)/, "$1\toption esp 'allow'\n");
    for (const [what, text] of [['the shipped config', shipped], ['a config that pinned esp to allow', pinned]]) {
      writeFileSync(box.config, text);
      const r = call('set', '{"protocols":{"ipsec":{"mode":"block"}}}');
      t.match(r.config.protocols.ipsec, { mode: 'block', esp: null }, `${what}: esp follows the mode`);
      t.match(table(), /chain handle_esp \{[^}]*reject/, `${what}: the table refuses raw ESP`);
      t.match(table(), /chain handle_ah \{[^}]*reject/, `${what}: and AH`);
      call('set', '{"protocols":{"ipsec":{"mode":"allow"}}}');
    }
    const apart = call('set', '{"protocols":{"ipsec":{"mode":"block","esp":"allow"}}}');
    t.match(apart.config.protocols.ipsec, { mode: 'block', esp: 'allow' }, 'named together, esp is set apart');
    t.match(apart.warnings, [/raw ESP and AH still pass while IPsec is blocked/], 'and the answer warns');
    const back = call('set', '{"protocols":{"ipsec":{"esp":null}},"global":{"log_limit":null}}');
    t.match(back.config.protocols.ipsec, { mode: 'block', esp: null }, 'null: esp follows again');
    t.equal(back.config.global.log_limit, '10/minute', 'null: the default applies again');
    t.notMatch(config(), /^\toption (esp|log_limit)/m, 'both options removed from the file');
    t.match(call('set', '{"protocols":{"ipsec":{"client":null}}}').config.protocols.ipsec.client, [], 'null on a list: its default');
    writeFileSync(box.config, shipped);
    call('apply', '{}');
  });

  t.test('bad input: a clear error naming the field, and nothing changes', async (t) => {
    const before = { config: config(), table: table() };
    const cases: [string, string, string, string | undefined][] = [
      ['set', '{"protocols":{"pptp":{"mode":"blok"}}', 'bad_input', undefined],
      ['set', '[{"protocols":{}}]', 'bad_input', undefined],
      ['set', '"block"', 'bad_input', undefined],
      ['set', '{"protocols":{"pptp":{"mode":1}}}', 'invalid', 'protocols.pptp.mode'],
      ['set', '{"protocols":{"pptp":{"mode":"blok"}}}', 'invalid', 'protocols.pptp.mode'],
      ['set', '{"protocols":{"pptp":{"colour":"red"}}}', 'invalid', 'protocols.pptp.colour'],
      ['set', '{"protocols":{"pptp":{"esp":"block"}}}', 'invalid', 'protocols.pptp.esp'],
      ['set', '{"protocols":{"wireguard":{"mode":"block"}}}', 'invalid', 'protocols.wireguard'],
      ['set', '{"protocols":{"l2tp":{"client":"192.168.1.5"}}}', 'invalid', 'protocols.l2tp.client'],
      ['set', '{"protocols":{"l2tp":{"client":["192.168.1.5","300.1.1.1"]}}}', 'invalid', 'protocols.l2tp.client[1]'],
      ['set', '{"protocols":{"l2tp":{"server":["00:11:22:33:44:55"]}}}', 'invalid', 'protocols.l2tp.server[0]'],
      ['set', '{"global":{"enabled":"yes"}}', 'invalid', 'global.enabled'],
      ['set', '{"global":{"log_limit":"lots"}}', 'invalid', 'global.log_limit'],
      ['set', '{"protocols":"pptp"}', 'invalid', 'protocols'],
      ['set', '{"colour":"red"}', 'invalid', 'colour'],
      ['set', '{}', 'invalid', 'protocols'],
      ['status', '{"verbose":true}', 'invalid', 'verbose'],
      ['reboot', '{}', 'bad_input', undefined],
      ['set', '{"protocols":{"pptp":{"mode":"bl\\x6fck"}}}', 'bad_input', undefined],
      ['set', '{"protocols":{"pptp":{"mode":"block"}},"global":{"log":true,}}', 'bad_input', undefined],
      ['apply', '{"x":-01}', 'bad_input', undefined],
      ['__proto__', '{}', 'bad_input', undefined],
      ['apply', '{"__proto__":{}}', 'invalid', '__proto__'],
      ['set', '{"global":{"__proto__":{"x":1}}}', 'invalid', 'global.__proto__'],
      ['set', '{"global":{"constructor":"x"}}', 'invalid', 'global.constructor'],
      ['set', '{"protocols":{"pptp":{"hasOwnProperty":["a","b"]}}}', 'invalid', 'protocols.pptp.hasOwnProperty'],
      ['set', '{"protocols":{"__proto__":{"mode":"block"}}}', 'invalid', 'protocols.__proto__'],
      ['toString', '{}', 'bad_input', undefined],
    ];
    for (const [method, input, code, field] of cases) {
      const { error } = call(method, input);
      t.equal(error?.code, code, `${method} ${input}: ${error?.message}`);
      t.equal(error?.field, field, `${method} ${input}: names ${field ?? 'no field'}`);
      t.ok(error?.message.length > 10, 'with a readable message');
    }
    t.match(call('set', '{"protocols":{"pptp":{"mode":"blok"}}}').error.message, /use one of 'allow', 'block'/, 'and the fix');
    // Not UTF-8 (a Latin-1 byte): refused as such, not decoded into U+FFFD and judged.
    const latin1 = ns.run([plugin, 'call', 'set'], { input: Buffer.from('{"protocols":{"pptp\xb0":{"mode":"block"}}}', 'latin1'), env: box.env });
    t.match(JSON.parse(latin1.stdout), { error: { code: 'bad_input', message: /not UTF-8/ } }, 'bytes that are not UTF-8: bad_input');
    t.equal(config(), before.config, 'the config file is byte-identical');
    t.equal(table(), before.table, 'the table is as it was');
  });

  t.test('very large input', async (t) => {
    const before = { config: config(), table: table() };
    const huge = JSON.stringify({ protocols: { l2tp: { client: Array.from({ length: 100_000 }, (_, i) => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`) } } });
    t.ok(huge.length > 1024 * 1024);
    t.match(call('set', huge).error, { code: 'bad_input', message: /larger than/ });
    t.equal(config(), before.config, 'nothing written');
    // What rpcd does past 64 KiB: the JSON arrives cut at the pipe's size.
    const cut = JSON.stringify({ protocols: { l2tp: { client: Array.from({ length: 8000 }, (_, i) => `10.1.${i >> 8}.${i & 255}`) } } }).slice(0, 65536);
    t.match(call('set', cut).error, { code: 'bad_input', message: /too large: rpcd passes a plugin at most 65536 bytes/ }, 'said to be too large, not "not JSON"');
    t.equal(config(), before.config, 'nothing written');
    const many = Array.from({ length: 500 }, (_, i) => `10.1.${i >> 8}.${i & 255}`);
    const r = call('set', JSON.stringify({ protocols: { l2tp: { client: many } } }));
    t.equal(r.applied, true, '500 clients within the limit are taken');
    t.equal(r.config.protocols.l2tp.client.length, 500);
    call('set', '{"protocols":{"l2tp":{"client":[]}}}');
  });

  t.test('sessions: a long list is cut below what ubusd carries, and says so', async (t) => {
    const lines = Array.from({ length: 600 }, (_, i) =>
      `ipv4     2 udp      17 29 src=192.168.1.${1 + (i % 200)} dst=198.51.${(i >> 8) & 255}.${i & 255} sport=4500 dport=4500 src=198.51.${(i >> 8) & 255}.${i & 255} dst=203.0.113.1 sport=4500 dport=4500 mark=0 zone=0 use=2`);
    writeFileSync(`${box.dir}/conntrack`, lines.join('\n') + '\n');
    const r = ns.run([plugin, 'call', 'sessions'], { input: '{}', env: { ...box.env, VPN_PASSTHROUGH_CONNTRACK: `${box.dir}/conntrack` } });
    const answer = JSON.parse(r.stdout);
    t.equal(answer.truncated, true);
    t.equal(answer.total, 600);
    t.equal(answer.clients.reduce((n: number, c: { sessions: unknown[] }) => n + c.sessions.length, 0), 500);
    t.ok(r.stdout.length < 512 * 1024, `${r.stdout.length} bytes, far below ubus's 1 MiB`);
  });

  t.test('busy and failing: errors in the body', async (t) => {
    const owner = spawn('sleep', ['30'], { stdio: 'ignore' });
    t.teardown(() => owner.kill());
    symlinkSync(lockTarget(owner.pid!), box.env.VPN_PASSTHROUGH_LOCK!);
    const busy = call('apply', '{}');
    unlinkSync(box.env.VPN_PASSTHROUGH_LOCK!);
    t.equal(busy.error?.code, 'busy', `after the lock wait (10 s, within rpcd's timeout): ${busy.error?.message}`);
    const before = table();
    const broken = ns.run([plugin, 'call', 'set'], { input: '{"protocols":{"pptp":{"mode":"allow"}}}', env: { ...box.env, VPN_PASSTHROUGH_NFT: `${ROOT}test/fixtures/nft-fails-on-load` } });
    t.match(JSON.parse(broken.stdout).error, { code: 'failed' }, 'nft failing is a `failed` error');
    t.equal(table(), before, 'the table is as it was');
  });
});
