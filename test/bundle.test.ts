// What each command makes QuickJS compile is a budget: it compiles every
// byte it loads at every start (the firewall include, each LuCI poll), so
// growth costs every run on a slow router. The bundle is split per command
// (tools/build.mjs); the budgets say where we are. Issue 12 aimed at 40 KB.

import t from 'tap';
import { spawnSync } from 'node:child_process';
import { bundleLoads } from '../tools/bundle-loads.mjs';
import { BUNDLE, QJS, ROOT } from './lib/paths.ts';

const KB = 1024;
const BUDGETS: Record<string, number> = {
  apply: 49 * KB,
  set: 53 * KB,
  status: 44 * KB,
  sessions: 50 * KB,
  doctor: 66 * KB,
  'ubus overview': 54 * KB,
  'ubus set': 53 * KB,
};

const loads = bundleLoads(`${ROOT}build/bundle-meta.json`);

t.test('each command loads no more than its budget', async (t) => {
  t.same(loads.commands.map((c) => c.name).sort(), Object.keys(BUDGETS).sort(), 'a budget for every command measured');
  for (const c of loads.commands) t.ok(c.bytes <= BUDGETS[c.name], `${c.name}: ${c.bytes} bytes in ${c.files} files, budget ${BUDGETS[c.name]}`);
});

t.test('the split bundle runs where it is, every command finding its chunks', async (t) => {
  for (const args of [['help'], ['help', 'config'], ['self-check'], ['render', '--nope']]) {
    const r = spawnSync(QJS, ['--std', '-m', BUNDLE, ...args], { encoding: 'utf8', cwd: '/' });
    t.notMatch(r.stderr, /could not load module|ReferenceError|SyntaxError/, `${args.join(' ')}: its modules load`);
    t.ok(r.status === 0 || r.status === 2, `${args.join(' ')}: exit ${r.status}`);
  }
});
