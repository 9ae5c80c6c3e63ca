// Prints what an apply costs next to a bare `nft -f` of the same script, and
// the bundle's start-up next to an empty qjs, all measured in this run in a
// scratch network namespace, interleaved. Ratios, not seconds: machines differ.
// Then the same for the cross-built qjs of a router CPU under qemu-user
// (make cross ARCHES=mipsel_24kc), where it is built: the bundle runs
// emulated as a 24Kc, the nft it runs is this machine's (os.exec of a host
// program from under qemu-user runs it natively).
// Usage (root, after `make`): node bench/apply.mjs [rounds]

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { copyBundle } from './bundle.mjs';
import { bundleLoads } from '../tools/bundle-loads.mjs';

const rounds = Number(process.argv[2] ?? 20);
const ns = `vpt-bench-${process.pid}`;
const dir = mkdtempSync(`${tmpdir()}/vpn-passthrough-bench-`);
const bundle = copyBundle(dir);
const env = {
  ...process.env,
  TMPDIR: dir,
  VPN_PASSTHROUGH_CONFIG: `${dir}/config`,
  VPN_PASSTHROUGH_FW4_STATE: 'test/fixtures/fw4.state',
  VPN_PASSTHROUGH_LOCK: `${dir}/lock`,
  VPN_PASSTHROUGH_CHANGE_LOG: `${dir}/changes.log`,
};
const inNs = (argv) => {
  const r = spawnSync('ip', ['netns', 'exec', ns, ...argv], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
/** Runs each program `rounds` times, interleaved; the median ms of each (a loaded machine's outliers left out). */
const times = (programs) => {
  const runs = Object.fromEntries(Object.keys(programs).map((k) => [k, []]));
  for (let i = 0; i < rounds; i++) {
    for (const [k, run] of Object.entries(programs)) {
      const start = process.hrtime.bigint();
      run();
      runs[k].push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return Object.fromEntries(Object.entries(runs).map(([k, ms]) => [k, median(ms)]));
};

/** apply / bare nft -f and start-up / empty qjs, for qjs run by this argv. */
function ratios(qjs, indent = '') {
  const cli = (...args) => inNs([...qjs, '--std', '-m', bundle, ...args]);
  writeFileSync(`${dir}/script.nft`, cli('render'));
  const t = times({
    nft: () => inNs(['nft', '-f', `${dir}/script.nft`]),
    apply: () => cli('apply'),
    empty: () => inNs([...qjs, '-e', '']),
    help: () => cli('help'),
  });
  console.log(`${indent}apply / bare nft -f:    ${(t.apply / t.nft).toFixed(1)}x  (one nft -f, plus qjs start-up, the config, zones and the lock)`);
  console.log(`${indent}start-up / empty qjs:   ${(t.help / t.empty).toFixed(1)}x  (vpn-passthrough help vs qjs -e '')`);
}

/** The router CPU's qemu-user command line, from the table make cross uses. */
function qemuFor(arch) {
  return execFileSync('sh', ['-c', '. tools/cross/arch.sh && target "$1" && echo "$qemu"', 'sh', arch], { encoding: 'utf8' }).trim().split(' ');
}

execFileSync('ip', ['netns', 'add', ns]);
try {
  writeFileSync(`${dir}/config`, '');
  const loads = bundleLoads();
  console.log(`bundle:                 ${loads.total} bytes in ${loads.files} files; what a command loads (goal 40 KB):`);
  for (const c of loads.commands) console.log(`  ${c.name.padEnd(22)}${c.bytes} bytes, ${c.files} files`);
  ratios(['build/qjs']);
  const arch = 'mipsel_24kc';
  const qjs = `build/cross/${arch}/qjs`;
  const qemu = qemuFor(arch);
  if (!existsSync(qjs)) console.log(`${arch} under qemu: skipped, ${qjs} is not built (make cross ARCHES=${arch})`);
  else if (spawnSync(qemu[0], ['--version']).status !== 0) console.log(`${arch} under qemu: skipped, ${qemu[0]} is not installed (make cross installs it)`);
  else {
    console.log(`${arch} under ${qemu.join(' ')} (${qjs}; nft runs natively, not emulated):`);
    ratios([...qemu, qjs], '  ');
  }
} finally {
  spawnSync('ip', ['netns', 'del', ns]);
  rmSync(dir, { recursive: true, force: true });
}
