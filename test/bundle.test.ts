// The bundle's size is a budget: QuickJS compiles the whole file at every
// start (the firewall include, each LuCI poll), so growth costs every run on
// a slow router. The budget says where we are; issue 12 aims at 40 KB.

import t from 'tap';
import { statSync } from 'node:fs';
import { BUNDLE } from './lib/paths.ts';

const BUDGET = 78 * 1024;

t.test('the bundle stays within its budget', async (t) => {
  const size = statSync(BUNDLE).size;
  t.ok(size <= BUDGET, `${size} bytes, budget ${BUDGET}`);
});
