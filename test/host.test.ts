// Host logic against a recorded System: which programs run with which argv,
// and what the user is told, for kernels and firewalls this machine lacks.

import t from 'tap';
import type { ExecResult, System } from '../src/host/system.ts';
import { helperModules, withHelper } from '../src/host/kernel.ts';
import { apply } from '../src/app/apply.ts';
import { lanSubnets, resolveZones } from '../src/host/zones.ts';
import { masqueradeZones } from '../src/host/firewall.ts';
import { readFileSync } from 'node:fs';
import { ROOT } from './lib/paths.ts';
import { pathsFrom } from '../src/host/paths.ts';

type Answer = (argv: string[], input?: string) => ExecResult;

/** A System whose files are a map and whose programs answer as told; every exec is recorded. */
function fakeSystem(files: Record<string, string>, answers: Record<string, Answer>) {
  const calls: string[][] = [];
  const sys: System = {
    exec(argv, input) {
      calls.push(argv);
      const answer = answers[argv[0]];
      return answer ? answer(argv, input) : { status: 127, stdout: '', stderr: `${argv[0]}: not found` };
    },
    execChunks(argv, onChunk) {
      const { stdout, ...status } = sys.exec(argv);
      if (stdout) onChunk(Buffer.from(stdout));
      return status;
    },
    readFile: (path) => files[path] ?? null,
    readChunks: (path, onChunk) => (path in files ? (onChunk(Buffer.from(files[path])), true) : false),
    readBytes: (path) => files[path] ?? null,
    stat: (path) => (path in files ? { type: 'file', mode: 0o644, size: files[path].length, mtime: 0 } : null),
    realPath: (path) => (path in files ? path : null),
    createFile: (path, bytes) => void (files[path] = bytes),
    appendFile: (path, bytes) => void (files[path] = (files[path] ?? '') + bytes),
    rename: (from, to) => void ((files[to] = files[from]), delete files[from]),
    remove: (path) => void delete files[path],
    symlink: (target, path) => (path in files ? false : ((files[path] = target), true)),
    readLink: (path) => files[path] ?? null,
    exists: (path) => path in files,
    pid: () => 1,
    sleep: () => undefined,
    env: () => undefined,
  };
  return { sys, calls, paths: pathsFrom(sys) };
}

const ok = (stdout = ''): ExecResult => ({ status: 0, stdout, stderr: '' });
const release = { '/proc/sys/kernel/osrelease': '5.15.150\n' };

t.test('PPTP helper modules that are loadable get loaded (OpenWrt kmod), and nft is not asked', async (t) => {
  const files: Record<string, string> = {
    ...release,
    '/proc/modules': 'nf_conntrack 1 0 - Live 0x0\n',
    '/lib/modules/5.15.150/nf_conntrack_pptp.ko': '',
    '/lib/modules/5.15.150/nf_nat_pptp.ko': '',
  };
  const { sys, calls, paths } = fakeSystem(files, {
    modprobe: (argv) => {
      files['/proc/modules'] += `${argv[1]} 1 0 - Live 0x0\n`;
      return ok();
    },
  });
  const found = helperModules(sys, paths, true);
  t.same(calls, [['modprobe', 'nf_conntrack_pptp'], ['modprobe', 'nf_nat_pptp']]);
  t.same(found, { modules: [{ name: 'nf_conntrack_pptp', state: 'loaded' }, { name: 'nf_nat_pptp', state: 'loaded' }], notes: [] });
  t.same(withHelper(helperModules(sys, paths, false), true).modules.map((m) => m.state), ['loaded', 'loaded']);
  const builtIn = fakeSystem({ ...release, '/proc/modules': '' }, {});
  t.same(withHelper(helperModules(builtIn.sys, builtIn.paths, true), true).modules.map((m) => m.state), ['built-in', 'built-in'],
    'no module, yet the kernel took the helper: built in');
  t.same(builtIn.calls, [], 'nothing to load, nothing run');
});

const CONFIG = { '/etc/config/vpn-passthrough': "config global\n\tlist lan_device 'br-lan'\n" };

t.test('apply: one nft process, the helper and the table in one transaction', async (t) => {
  const { sys, calls, paths } = fakeSystem({ ...release, ...CONFIG, '/proc/modules': 'nf_conntrack_pptp 1 0 - Live 0x0\nnf_nat_pptp 1 0 - Live 0x0\n' }, { nft: () => ok() });
  const r = await apply({ sys, paths });
  t.same(calls.filter((c) => c[0] === 'nft'), [['nft', '-f', '-']], 'nft runs once: no probe, no separate check');
  t.equal(r.facts.pptpHelper, true);
  t.match(r.script, /ct helper pptp \{/);
});

t.test('a kernel without the helper still gets a correct table, and the user is told', async (t) => {
  const loaded: string[] = [];
  const { sys, calls, paths } = fakeSystem({ ...release, ...CONFIG, '/proc/modules': '' }, {
    nft: (argv, input = '') => {
      if (argv[1] !== '-f') return { status: 1, stdout: '', stderr: 'Error: No such file or directory; did you mean table ‘fw4’ in family inet?' };
      if (input.includes('ct helper pptp {')) return { status: 1, stdout: '', stderr: 'Error: Could not process rule: No such file or directory' };
      loaded.push(input);
      return ok();
    },
  });
  const r = await apply({ sys, paths });
  t.equal(calls.filter((c) => c[1] === '-f').length, 2, 'a second load, without the helper');
  t.equal(r.facts.pptpHelper, false);
  t.equal(loaded.length, 1);
  t.equal(loaded[0], r.script, 'what was loaded is what apply reports');
  t.notMatch(loaded[0], /ct helper/, 'no helper in it');
  t.match(loaded[0], /No PPTP helper in this kernel \(kmod-nf-nathelper-extra\)/, 'the ruleset says why');
  t.match(r.warnings.at(-1), /no PPTP helper: install kmod-nf-nathelper-extra \(opkg install kmod-nf-nathelper-extra\)/);
});

t.test('a load that fails for another reason fails with that error, and no second load is tried', async (t) => {
  const { sys, calls, paths } = fakeSystem({ ...release, ...CONFIG }, {
    nft: () => ({ status: 1, stdout: '', stderr: 'Error: Could not process rule: Cannot allocate memory' }),
  });
  await t.rejects(apply({ sys, paths }), /nft -f - exited with 1:\nError: Could not process rule: Cannot allocate memory/);
  t.equal(calls.filter((c) => c[1] === '-f').length, 1, 'a failure that is not about the helper: no second load');
});

t.test('zones resolve from firewall4 state without calling fw4', async (t) => {
  const state = JSON.stringify({
    zones: [
      { name: 'lan', match_devices: ['br-lan'] },
      { name: 'guest', match_devices: ['br-guest', 'wg*', '/never/', 'br-lan'] },
      { name: 'any', match_devices: ['+'] },
    ],
  });
  const { sys, calls, paths } = fakeSystem({ '/var/run/fw4.state': state }, {});
  t.same(resolveZones(sys, paths, ['lan', 'guest', 'iot']), {
    devices: ['br-lan', 'br-guest', 'wg*'],
    notes: ["zone 'iot' is not in firewall4's configuration"],
  });
  t.same(calls, [], 'fw4 never runs: it may be holding its lock while running our include');
  t.match(resolveZones(sys, paths, ['any']), { devices: [], notes: [/every device \('\+'\)/] }, "fw4's '+' is explained, not rendered");
});

t.test('without state, fw4 -q zone answers; without fw4, the user is told', async (t) => {
  const withFw4 = fakeSystem({}, { fw4: (argv) => (argv[3] === 'lan' ? ok('br-lan\nbr-lan\n') : { status: 1, stdout: '', stderr: '' }) });
  t.same(resolveZones(withFw4.sys, withFw4.paths, ['lan', 'dmz']), {
    devices: ['br-lan'],
    notes: ["cannot resolve zone 'dmz': unknown zone, or firewall4 is not running"],
  });
  t.same(withFw4.calls, [['fw4', '-q', 'zone', 'lan'], ['fw4', '-q', 'zone', 'dmz']]);
  const noFw4 = fakeSystem({}, {});
  t.match(resolveZones(noFw4.sys, noFw4.paths, ['lan']).notes, [/firewall4 is not installed; list LAN devices in option lan_device/]);
});

// test/fixtures/fw4.state is what fw4.uc's load() writes (captured with
// firewall4's own code, test/fixtures/fw4-capture): one line of JSON; an
// interface's `zone` is null unless netifd's data for it names one (ordinary
// interfaces do not), so a network's zone shows only in zones[].network.
const FW4_STATE = readFileSync(`${ROOT}test/fixtures/fw4.state`, 'utf8');

t.test("firewall4's state as fw4 writes it: zones, LAN devices and subnets, masquerade", async (t) => {
  const state = JSON.parse(FW4_STATE);
  t.equal(state.networks.lan.zone, null, 'an ordinary interface has no zone of its own in the state');
  t.same(state.zones.map((z: { name: string; network: { device: string }[] }) => [z.name, z.network.map((n) => n.device)]), [
    ['lan', ['lan']],
    ['guest', ['guest']],
    ['wan', ['wan', 'wan6']],
  ], 'the zone lists its networks by name');
  const { sys, calls, paths } = fakeSystem({ '/var/run/fw4.state': FW4_STATE }, {});
  const lan = resolveZones(sys, paths, ['lan']);
  t.same(lan, { devices: ['br-lan'], notes: [] });
  t.same(resolveZones(sys, paths, ['guest']).devices, ['br-guest', 'wg*'], "fw4's wildcard device kept as fw4 wrote it");
  t.same(lanSubnets(sys, paths, ['lan'], lan.devices), ['192.168.1.1/24', '2001:db8:1::1/64'], "the LAN zone's subnets, found by its devices");
  t.same(lanSubnets(sys, paths, ['lan'], []), ['192.168.1.1/24', '2001:db8:1::1/64'], 'and by the zone, which lists its networks');
  t.same(masqueradeZones(sys, paths), ['wan']);
  t.same(calls, [], 'neither fw4 nor ubus is asked');
});

t.test("the LAN's subnets: from firewall4's state, else from netifd over ubus", async (t) => {
  const fromState = fakeSystem({ '/var/run/fw4.state': FW4_STATE }, {});
  t.same(lanSubnets(fromState.sys, fromState.paths, ['lan'], ['br-lan']), ['192.168.1.1/24', '2001:db8:1::1/64']);
  t.same(fromState.calls, [], 'no ubus call when the state has them');

  const dump = {
    interface: [
      {
        interface: 'lan',
        l3_device: 'br-lan',
        data: {},
        'ipv4-address': [{ address: '192.168.1.1', mask: 24 }],
        'ipv6-prefix-assignment': [{ 'local-address': { address: 'fd00:1::1', mask: 64 } }],
      },
      { interface: 'wan', l3_device: 'eth1', 'ipv4-address': [{ address: '203.0.113.1', mask: 24 }] },
    ],
  };
  const fromUbus = fakeSystem({}, { ubus: () => ok(JSON.stringify(dump)) });
  t.same(lanSubnets(fromUbus.sys, fromUbus.paths, ['lan'], ['br-lan']), ['192.168.1.1/24', 'fd00:1::1/64'], 'by LAN device');
  t.same(fromUbus.calls, [['ubus', '-S', 'call', 'network.interface', 'dump', '{}']], 'one ubus call, argv only');

  const none = fakeSystem({}, {});
  t.equal(lanSubnets(none.sys, none.paths, ['lan'], ['br-lan']), null, 'unknown without either');
});
