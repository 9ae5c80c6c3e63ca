// `self-check` is what a new runtime runs before it is trusted (the cross-built
// qjs under qemu): it must pass on the reference QuickJS and on Node alike.

import t from 'tap';
import { spawnSync } from 'node:child_process';
import { selfCheck } from '../src/app/selfcheck.ts';
import { BUNDLE, QJS } from './lib/paths.ts';

t.test('on Node', async (t) => {
  t.same(selfCheck(), { failed: [], total: 5 });
});

t.test('on QuickJS 2021-03-27', async (t) => {
  const r = spawnSync(QJS, ['--std', '-m', BUNDLE, 'self-check'], { encoding: 'utf8', env: {} });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'self-check ok (5 checks)\n');
  const json = JSON.parse(spawnSync(QJS, ['--std', '-m', BUNDLE, '--json', 'self-check'], { encoding: 'utf8', env: {} }).stdout);
  t.same(json, { failed: [], total: 5 });
});
