// The same app calls on Node, through the Node adapter, as on QuickJS: the
// core and app code is runtime-agnostic, and only src/host/<runtime> knows
// where it runs. Read-only calls on fixtures, so nothing on this machine changes.

import t from 'tap';
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
  const missing = { sys: { ...nodeSystem, exec: () => ({ status: 127, stdout: '', stderr: 'not found' }) }, paths: { ...paths, conntrack: '/nonexistent/nf_conntrack' } };
  t.throws(() => readSessions(missing), /nf_conntrack is missing or unreadable, and conntrack -L -f ipv4 could not be run/);
});
