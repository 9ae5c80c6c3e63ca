// The same app calls on Node, through the Node adapter, as on QuickJS: the
// core and app code is runtime-agnostic, and only src/host/<runtime> knows
// where it runs. Read-only calls on fixtures, so nothing on this machine changes.

import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { zoneHelpers } from '../src/host/firewall.ts';
import { readSessions } from '../src/app/sessions.ts';
import { readConfig } from '../src/app/context.ts';
import { nodeSystem } from '../src/host/node/system.ts';
import { pathsFrom } from '../src/host/paths.ts';
import { ROOT } from './lib/paths.ts';

const paths = {
  ...pathsFrom(nodeSystem),
  config: `${ROOT}files/etc/config/vpn-passthrough`,
  fw4State: `${ROOT}test/fixtures/fw4.state`,
  conntrack: `${ROOT}test/fixtures/conntrack-lab.proc`,
};
const ctx = { sys: nodeSystem, paths };

t.test('the shipped config reads as all defaults', async (t) => {
  const { config, warnings } = readConfig(ctx);
  t.same(warnings, []);
  t.equal(config.enabled, true);
  t.same(Object.values(config.protocols).map((p) => p.mode), ['allow', 'allow', 'allow', 'allow']);
});

t.test('sessions from a lab table, LAN clients told by the LAN subnets in fw4 state', async (t) => {
  const s = readSessions(ctx);
  t.equal(s.source, paths.conntrack);
  t.equal(s.entries, 9);
  t.same(s.clients.map((c) => c.client), ['192.168.1.10', '192.168.1.11']);
});

t.test('a missing table falls back to conntrack -L, and says so when that fails too', async (t) => {
  const missing = { sys: { ...nodeSystem, execChunks: () => ({ status: 127, stderr: 'not found' }) }, paths: { ...paths, conntrack: '/nonexistent/nf_conntrack' } };
  t.throws(() => readSessions(missing), /nf_conntrack is missing or unreadable, and conntrack -L -f ipv4 could not be run/);
});

t.test('a missing table is read from conntrack -L (a stand-in on PATH): the same clients, and the helper', async (t) => {
  const dir = mkdtempSync(`${tmpdir()}/vpn-passthrough-conntrack-`);
  const path = process.env.PATH;
  t.teardown(() => {
    process.env.PATH = path;
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(`${dir}/conntrack`, `#!/bin/sh\n[ "$*" = "-L -f ipv4" ] && exec cat '${ROOT}test/fixtures/conntrack-lab.list'\n[ "$*" = "-L -f ipv6" ]\n`, { mode: 0o755 });
  process.env.PATH = `${dir}:${path}`;
  const s = readSessions({ ...ctx, paths: { ...paths, conntrack: '/nonexistent/nf_conntrack' } });
  t.equal(s.source, 'conntrack -L');
  t.equal(s.entries, 9);
  t.same(s.clients.map((c) => c.client), ['192.168.1.10', '192.168.1.11']);
  t.equal(s.clients[0].sessions[0].flows[0].helper, 'pptp');
});

t.test("the helpers firewall4 attaches to LAN zones: loaded ones under auto_helper, or the zone's own list", async (t) => {
  const dir = mkdtempSync(`${tmpdir()}/vpn-passthrough-helpers-`);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // fw4's helper table (/usr/share/firewall4/helpers) in its UCI form, shortened.
  const table = [['sip', 'nf_conntrack_sip'], ['pptp', 'nf_conntrack_pptp'], ['tftp', 'nf_conntrack_tftp']]
    .map(([name, module]) => `config helper\n\toption name '${name}'\n\toption module '${module}'\n\toption proto 'udp'\n`)
    .join('\n');
  writeFileSync(`${dir}/helpers`, table);
  for (const m of ['nf_conntrack_sip', 'nf_conntrack_pptp']) mkdirSync(`${dir}/module/${m}`, { recursive: true });
  const state = {
    zones: [
      { name: 'lan', auto_helper: true, match_devices: ['br-lan'] },
      { name: 'guest', auto_helper: true, masq: true },
      { name: 'iot', auto_helper: true, helper: [{ name: 'tftp', available: true }] },
      { name: 'wan', auto_helper: true, masq: true },
    ],
  };
  writeFileSync(`${dir}/fw4.state`, JSON.stringify(state));
  const at = { ...paths, fw4State: `${dir}/fw4.state`, fw4Helpers: `${dir}/helpers`, sysModule: `${dir}/module` };
  t.same(zoneHelpers(nodeSystem, at, ['lan', 'guest', 'iot']), [
    { zone: 'lan', helpers: ['sip', 'pptp'], auto: true },
    { zone: 'iot', helpers: ['tftp'], auto: false },
  ], 'lan: every loaded helper; guest masquerades, so none; iot: its own list');
  t.equal(zoneHelpers(nodeSystem, { ...at, fw4State: `${dir}/missing` }, ['lan']), null, 'unknown without the state file');
});
