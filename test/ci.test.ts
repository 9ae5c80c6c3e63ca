// What a fresh machine and CI get: .ci/run refuses to run without root,
// ends with "N passed, N failed, N skipped" from tap's summary, and under
// CI=true counts a skipped test that CI could run as failed; the IPsec
// lab's probe checks every plugin its strongswan.conf loads and fails,
// rather than skips, under CI. .ci/run runs here from a copy of the
// repository's .ci with a `make` that prints a given tap output.

import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { probeCharon } from '../lab/ipsec.ts';
import { ROOT } from './lib/paths.ts';

/** A scratch repository holding .ci/run, with a `make` whose `make test` prints `tapOutput` and exits `status`. */
function ciRun(tapOutput: string, status = 0, opts: { asUser?: boolean; ci?: boolean } = {}) {
  const dir = mkdtempSync(`${tmpdir()}/vpn-passthrough-ci-`);
  mkdirSync(`${dir}/.ci`);
  mkdirSync(`${dir}/bin`);
  copyFileSync(`${ROOT}.ci/run`, `${dir}/.ci/run`);
  writeFileSync(`${dir}/tap.out`, tapOutput);
  writeFileSync(`${dir}/bin/make`, `#!/bin/sh\necho "make $*" >>"${dir}/make.log"\n[ "$1" = test ] || exit 0\ncat "${dir}/tap.out"\nexit ${status}\n`);
  chmodSync(`${dir}/bin/make`, 0o755);
  chmodSync(dir, 0o755);
  const env = { PATH: `${dir}/bin:${process.env.PATH}`, CI: opts.ci === false ? '' : 'true' };
  const argv = opts.asUser ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'bash', `${dir}/.ci/run`] : ['bash', `${dir}/.ci/run`];
  const r = spawnSync(argv[0], argv.slice(1), { env, encoding: 'utf8', timeout: 30_000 });
  rmSync(dir, { recursive: true, force: true });
  const lines = r.stdout.trimEnd().split('\n');
  return { status: r.status, last: lines[lines.length - 1], stdout: r.stdout, stderr: r.stderr };
}

const tap = (lines: string[], summary: string) => `TAP version 14\n${lines.join('\n')}\n# { total: ${summary} }\n# time=1ms\n`;
const passing = ['ok 1 - test/uci.test.ts # time=1ms', '    ok 1 - parses'];
const crossSkip = '    ok 1 - qjs for aarch64_generic # SKIP aarch64_generic not built (make cross ARCHES=aarch64_generic)';

const isRoot = process.getuid?.() === 0;

t.test('.ci/run: the last line counts passed, failed and skipped tests', { skip: isRoot ? false : '.ci/run needs root' }, async (t) => {
  const ok = ciRun(tap([...passing, crossSkip], '10, pass: 9, skip: 1'));
  t.equal(ok.last, '9 passed, 0 failed, 1 skipped', 'an architecture CI does not build may be skipped');
  t.equal(ok.status, 0);

  const failed = ciRun(tap([...passing, 'not ok 2 - test/render.test.ts'], '11, pass: 10, fail: 1'), 1);
  t.equal(failed.last, '10 passed, 1 failed, 0 skipped');
  t.equal(failed.status, 1);

  const none = ciRun('', 2);
  t.equal(none.last, '0 passed, 1 failed, 0 skipped', 'no summary from tap: a failure');
  t.not(none.status, 0);
});

t.test('.ci/run under CI=true: a skip of anything CI can run is a failure', { skip: isRoot ? false : '.ci/run needs root' }, async (t) => {
  const lines = [
    ...passing,
    crossSkip,
    '    ok 2 - qjs for mipsel_24kc # SKIP mipsel_24kc not built (make cross ARCHES=mipsel_24kc)',
    '    ok 3 - IPsec IKEv2 with NAT-T through the NAT router, charon peers # SKIP missing the openssl plugin',
  ];
  const r = ciRun(tap(lines, '12, pass: 9, skip: 3'));
  t.equal(r.last, '9 passed, 2 failed, 1 skipped', 'the architecture CI builds and the lab are failures; the other architecture stays a skip');
  t.equal(r.status, 1);
  t.match(r.stderr, /skipped, but CI can run it: ok 2 - qjs for mipsel_24kc/);
  t.match(r.stderr, /skipped, but CI can run it: ok 3 - IPsec IKEv2 .* # SKIP missing the openssl plugin/);

  const local = ciRun(tap(lines, '12, pass: 9, skip: 3'), 0, { ci: false });
  t.equal(local.last, '9 passed, 0 failed, 3 skipped', 'outside CI the skips are reported, not judged');
  t.equal(local.status, 0);
});

t.test('.ci/run refuses to run without root, saying so', { skip: isRoot ? false : 'switching to another user needs root' }, async (t) => {
  const r = ciRun(tap(passing, '2, pass: 2'), 0, { asUser: true });
  t.equal(r.status, 1);
  t.match(r.stderr, /must run as root/);
  t.equal(r.last, '0 passed, 1 failed, 0 skipped');
});

t.test("the IPsec lab's probe checks every plugin its strongswan.conf loads", async (t) => {
  const dir = mkdtempSync(`${tmpdir()}/vpn-passthrough-plugins-`);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const programs = [`${dir}/charon`, `${dir}/swanctl`];
  for (const p of [...programs, `${dir}/tun`]) writeFileSync(p, '');
  const loaded = ['random', 'nonce', 'openssl', 'kdf', 'kernel-libipsec', 'kernel-netlink', 'socket-default', 'vici'];
  for (const name of loaded.filter((n) => n !== 'openssl')) writeFileSync(`${dir}/libstrongswan-${name}.so`, '');
  const why = probeCharon(false, dir, programs, `${dir}/tun`);
  t.match(why, /the openssl plugin/, 'a missing plugin is named');
  t.match(why, /apt-get install libstrongswan-standard-plugins/, 'with the package that ships it');
  t.throws(() => probeCharon(true, dir, programs, `${dir}/tun`), /IPsec lab cannot run under CI: .*openssl plugin/, 'under CI it fails loudly instead of skipping');
  writeFileSync(`${dir}/libstrongswan-openssl.so`, '');
  t.equal(probeCharon(true, dir, programs, `${dir}/tun`), false, 'everything there: nothing to say');
  rmSync(`${dir}/tun`);
  t.match(probeCharon(false, dir, programs, `${dir}/tun`), /tun is missing/);
});
