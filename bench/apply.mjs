// Prints what an apply costs next to a bare `nft -f` of the same script, and
// the bundle's start-up next to an empty qjs, all measured in this run in a
// scratch network namespace. Ratios, not seconds: machines differ.
// Usage (root, after `make`): node bench/apply.mjs [rounds]

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

const rounds = Number(process.argv[2] ?? 20);
const ns = `vpt-bench-${process.pid}`;
const dir = mkdtempSync(`${tmpdir()}/vpn-passthrough-bench-`);
const env = {
  ...process.env,
  TMPDIR: dir,
  VPN_PASSTHROUGH_CONFIG: `${dir}/config`,
  VPN_PASSTHROUGH_FW4_STATE: 'test/fixtures/fw4.state',
  VPN_PASSTHROUGH_LOCK: `${dir}/lock`,
};
const inNs = (argv) => {
  const r = spawnSync('ip', ['netns', 'exec', ns, ...argv], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const time = (fn) => {
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) fn();
  return Number(process.hrtime.bigint() - start) / 1e6 / rounds;
};

execFileSync('ip', ['netns', 'add', ns]);
try {
  writeFileSync(`${dir}/config`, '');
  const cli = (...args) => inNs(['build/qjs', '--std', '-m', 'dist/vpn-passthrough.js', ...args]);
  writeFileSync(`${dir}/script.nft`, cli('render'));
  const nft = time(() => inNs(['nft', '-f', `${dir}/script.nft`]));
  const apply = time(() => cli('apply'));
  const empty = time(() => inNs(['build/qjs', '-e', '']));
  const help = time(() => cli('help'));
  console.log(`bundle size:            ${statSync('dist/vpn-passthrough.js').size} bytes`);
  console.log(`apply / bare nft -f:    ${(apply / nft).toFixed(1)}x  (one nft -f, plus qjs start-up, the config, zones and the lock)`);
  console.log(`start-up / empty qjs:   ${(help / empty).toFixed(1)}x  (vpn-passthrough help vs qjs -e '')`);
} finally {
  spawnSync('ip', ['netns', 'del', ns]);
  rmSync(dir, { recursive: true, force: true });
}
