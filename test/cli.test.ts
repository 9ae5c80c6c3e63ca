// The bundle under the real QuickJS 2021-03-27, in a network namespace:
// render, apply, status and set as an admin uses them, and every failure
// leaving the loaded table byte-identical.

import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync, rmdirSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { canNetns } from '../lab/netns.ts';
import { ROOT } from './lib/paths.ts';
import { lockTarget } from './lib/lock.ts';
import { sandboxed } from './lib/sandboxed.ts';

const skip = canNetns === true ? false : canNetns;

t.test('vpn-passthrough under qjs', { skip }, async (t) => {
  const { ns, box } = sandboxed(t, 'cli');
  const table = () => ns.run(['nft', 'list', 'table', 'inet', 'vpn_passthrough']);
  writeFileSync(box.config, readFileSync(`${ROOT}files/etc/config/vpn-passthrough`));

  t.test('help and usage errors', async (t) => {
    const help = box.cli(['help']);
    t.equal(help.status, 0);
    t.match(help.stdout, /usage: vpn-passthrough/);
    t.match(box.cli(['help', 'config']).stdout, /option mode\s+allow \| block/);
    const bad = box.cli(['frobnicate']);
    t.equal(bad.status, 2, 'unknown command: exit 2');
    t.match(bad.stderr, /unknown command 'frobnicate'/);
    t.equal(box.cli(['set', 'pptp']).status, 2, 'set without a value: exit 2');
    t.equal(box.cli(['set', 'pptp.colour', 'red']).status, 2, 'unknown option: exit 2');
  });

  t.test('render prints the script and changes nothing', async (t) => {
    const r = box.cli(['render']);
    t.equal(r.status, 0);
    t.match(r.stdout, /^table inet vpn_passthrough \{$/m);
    t.match(r.stdout, /elements = \{ "br-lan" \}/, 'zone lan resolved from firewall4 state');
    t.not(table().status, 0, 'no table loaded by render');
  });

  t.test('apply loads the table; status reads it back', async (t) => {
    const r = box.cli(['apply']);
    t.equal(r.status, 0, r.stderr);
    t.match(r.stdout, /loaded \(LAN devices: br-lan\)/);
    t.match(table().stdout, /ct helper pptp/);
    const status = box.cli(['status']);
    t.equal(status.status, 0);
    t.match(status.stdout, /table inet vpn_passthrough loaded/);
    t.match(status.stdout, /PPTP helper: available/);
    t.match(status.stdout, /^pptp\s+pptp\s+allow/m);
    const json = JSON.parse(box.cli(['--json', 'status']).stdout);
    t.equal(json.table, 'loaded');
    t.same(json.lanDevices, ['br-lan']);
    t.same(json.protocols.find((p: { name: string }) => p.name === 'ipsec').parts.map((p: { name: string }) => p.name), ['ike', 'natt', 'esp', 'ah']);
    t.match(json.protocols[0].parts[0], { passed: { packets: 0, bytes: 0 }, blocked: { packets: 0, bytes: 0 } });
  });

  t.test('apply runs nft once; a kernel without the PPTP helper still gets a correct table', async (t) => {
    const count = `${box.dir}/nft-runs`;
    const counting = `${box.dir}/nft-counting`;
    writeFileSync(counting, `#!/bin/sh\necho "$*" >> ${count}\nexec nft "$@"\n`, { mode: 0o755 });
    t.equal(box.cli(['apply'], { VPN_PASSTHROUGH_NFT: counting }).status, 0);
    t.same(readFileSync(count, 'utf8').trim().split('\n'), ['-f -'], 'one nft process: the helper and the table in one transaction');
    unlinkSync(count);
    t.equal(box.cli(['status'], { VPN_PASSTHROUGH_NFT: counting }).status, 0);
    t.same(readFileSync(count, 'utf8').trim().split('\n'), ['-j list table inet vpn_passthrough'], 'status lists the table, and probes nothing');
    // The real nft, refusing the helper object as a kernel without nf_conntrack_pptp does.
    const noHelper = `${box.dir}/nft-no-helper`;
    writeFileSync(noHelper, [
      '#!/bin/sh',
      'input=$(cat)',
      'case "$input" in *"ct helper pptp {"*) echo "Error: Could not process rule: No such file or directory" >&2; exit 1;; esac',
      'printf "%s\\n" "$input" | nft "$@"',
      '',
    ].join('\n'), { mode: 0o755 });
    const r = box.cli(['apply'], { VPN_PASSTHROUGH_NFT: noHelper });
    t.equal(r.status, 0, r.stderr);
    t.match(r.stderr, /warning: the kernel has no PPTP helper: install kmod-nf-nathelper-extra/);
    t.notMatch(table().stdout, /ct helper/, 'loaded without the helper');
    t.match(table().stdout, /chain handle_pptp \{/, 'and with everything else');
    t.match(box.cli(['status']).stdout, /PPTP helper: MISSING/, 'status tells from the loaded table');
    t.equal(box.cli(['apply']).status, 0);
    t.match(box.cli(['status']).stdout, /PPTP helper: available/);
  });

  t.test('an invalid config changes nothing', async (t) => {
    const before = table().stdout;
    const good = readFileSync(box.config, 'utf8');
    writeFileSync(box.config, good.replace("option mode 'allow'", "option mode 'alow'"));
    const r = box.cli(['apply']);
    t.equal(r.status, 3, 'exit 3');
    t.match(r.stderr, /vpn-passthrough:\d+: section 'pptp' option 'mode': invalid value 'alow'; use one of 'allow', 'block'/);
    const json = JSON.parse(box.cli(['--json', 'apply']).stdout);
    t.equal(json.error.code, 'config');
    t.equal(table().stdout, before, 'table byte-identical');
    writeFileSync(box.config, good);
  });

  t.test('nft failing after its check changes nothing', async (t) => {
    const before = table().stdout;
    const r = box.cli(['set', 'pptp', 'block'], { VPN_PASSTHROUGH_NFT: `${ROOT}test/fixtures/nft-fails-on-load` });
    t.equal(r.status, 1, 'exit 1');
    t.match(r.stderr, /nft-fails-on-load -f - exited with 1:\nError: Could not process rule: Cannot allocate memory/);
    t.equal(table().stdout, before, 'table byte-identical');
    t.match(readFileSync(box.config, 'utf8'), /config protocol 'pptp'\n\toption mode 'allow'/, 'config file put back');
  });

  t.test('a config edited since the last apply: status and doctor say the table holds an earlier version', async (t) => {
    t.equal(box.cli(['apply']).status, 0);
    t.notMatch(box.cli(['status']).stdout, /earlier version/, 'just applied: nothing to say');
    const applied = readFileSync(box.config, 'utf8');
    writeFileSync(box.config, applied.replace(/(config protocol 'gre'\n\toption mode )'allow'/, "$1'block'"));
    t.match(box.cli(['status']).stdout, /the table holds an earlier version of the config .*: run `vpn-passthrough apply`/, 'status');
    const check = JSON.parse(box.cli(['--json', 'doctor']).stdout).checks.find((c: { id: string }) => c.id === 'table');
    t.match(check, { verdict: 'warn', summary: /earlier version of the config/, fix: /vpn-passthrough apply/ }, 'doctor');
    t.equal(box.cli(['apply']).status, 0);
    t.notMatch(box.cli(['status']).stdout, /earlier version/, 'the apply loads it: nothing to say');
    writeFileSync(box.config, applied);
    t.equal(box.cli(['apply']).status, 0);
  });

  t.test('nft missing changes nothing', async (t) => {
    const before = table().stdout;
    const r = box.cli(['apply'], { VPN_PASSTHROUGH_NFT: '/nonexistent/nft' });
    t.equal(r.status, 1);
    t.match(r.stderr, /could not be run/);
    t.equal(table().stdout, before, 'table byte-identical');
    const doctor = box.cli(['doctor'], { VPN_PASSTHROUGH_NFT: '/nonexistent/nft' });
    t.equal(doctor.status, 1, 'doctor without nft: a failed check');
    t.match(doctor.stdout, /nft cannot list the ruleset.*could not be run/, 'saying nft cannot be run');
    t.notMatch(doctor.stdout, /table inet vpn_passthrough is missing|no PPTP helper/, 'not guessing a missing table or helper');
  });

  t.test('set writes the config and applies it', async (t) => {
    const r = box.cli(['set', 'pptp', 'block']);
    t.equal(r.status, 0, r.stderr);
    t.match(readFileSync(box.config, 'utf8'), /# PPTP: TCP 1723[^]*config protocol 'pptp'\n\toption mode 'block'/, 'comments kept');
    t.match(table().stdout, /counter name "pptp_blocked"\s+meta l4proto tcp reject with tcp reset/);
    t.notMatch(table().stdout, /ct helper pptp/, 'no helper while PPTP is blocked');
    t.equal(box.cli(['set', 'ipsec.client', '192.168.1.0/24', '00:11:22:33:44:55']).status, 0);
    t.match(table().stdout, /set ipsec_client_mac \{[^}]*00:11:22:33:44:55/);
    t.equal(box.cli(['set', 'ipsec.client']).status, 0, 'an empty list clears it');
    t.notMatch(table().stdout, /ipsec_client/);
    t.equal(box.cli(['set', 'lan_zone']).status, 0, 'lan_zone emptied');
    t.match(readFileSync(box.config, 'utf8'), /option lan_zone ''/, 'written empty, so its default does not come back');
    t.equal(box.cli(['set', 'lan_zone', 'lan']).status, 0);
    t.equal(box.cli(['set', 'l2tp', 'block']).status, 0);
    t.match(readFileSync(box.config, 'utf8'), /config protocol 'pptp'\n\toption mode 'block'[^]*config protocol 'l2tp'\n\toption mode 'block'/, 'each protocol edited in its own section');
    t.equal(box.cli(['set', 'l2tp', 'allow']).status, 0);
    t.equal(box.cli(['set', 'pptp', 'allow']).status, 0);
  });

  t.test('blocking IPsec blocks raw ESP and AH too, unless they were set apart', async (t) => {
    const shipped = readFileSync(`${ROOT}files/etc/config/vpn-passthrough`, 'utf8');
    // What the package shipped before: esp pinned to the mode it had then.
    const pinned = shipped.replace(/(config protocol 'ipsec'\n\toption mode 'allow'\n)/, "$1\toption esp 'allow'\n");
    t.not(pinned, shipped);
    const modes = () => {
      const ipsec = JSON.parse(box.cli(['--json', 'status']).stdout).protocols.find((p: { name: string }) => p.name === 'ipsec');
      return Object.fromEntries(ipsec.parts.map((p: { name: string; mode: string }) => [p.name, p.mode]));
    };
    for (const [what, text] of [['the shipped config', shipped], ['a config that pinned esp to allow', pinned]]) {
      writeFileSync(box.config, text);
      t.equal(box.cli(['set', 'ipsec', 'block']).status, 0, `${what}: set ipsec block`);
      t.same(modes(), { ike: 'block', natt: 'block', esp: 'block', ah: 'block' }, `${what}: IKE, NAT-T, ESP and AH all blocked`);
      t.match(table().stdout, /chain handle_esp \{[^}]*reject/, `${what}: the table refuses raw ESP`);
      t.notMatch(readFileSync(box.config, 'utf8'), /^\toption esp/m, `${what}: esp follows the mode`);
      t.equal(box.cli(['set', 'ipsec', 'allow']).status, 0);
      t.same(modes(), { ike: 'allow', natt: 'allow', esp: 'allow', ah: 'allow' }, `${what}: allowed again, all of it`);
    }
    // Set apart on purpose: kept, and said.
    t.equal(box.cli(['set', 'ipsec.esp', 'block']).status, 0);
    t.equal(box.cli(['set', 'ipsec', 'block']).status, 0);
    t.equal(box.cli(['set', 'ipsec.esp', 'allow']).status, 0);
    t.same(modes(), { ike: 'block', natt: 'block', esp: 'allow', ah: 'allow' }, 'esp set apart stays apart');
    t.match(box.cli(['check']).stderr, /option 'esp': raw ESP and AH still pass while IPsec is blocked; remove option esp/, 'and check says what it does');
    t.equal(box.cli(['set', 'ipsec', 'allow']).status, 0);
    t.match(readFileSync(box.config, 'utf8'), /option esp 'allow'/, 'a change of mode keeps an esp that was apart');
    writeFileSync(box.config, shipped);
  });

  t.test('unset brings back a default; set without a value explains it', async (t) => {
    const shipped = readFileSync(box.config, 'utf8');
    const bare = box.cli(['set', 'ipsec.esp']);
    t.equal(bare.status, 2, 'set of a single option without a value: usage');
    t.match(bare.stderr, /'ipsec\.esp' takes exactly one value .*vpn-passthrough unset ipsec\.esp/, 'pointing at unset');
    t.equal(box.cli(['set', 'ipsec.esp', 'block']).status, 0);
    t.equal(box.cli(['set', 'log_limit', '5/second']).status, 0);
    t.equal(box.cli(['unset', 'ipsec.esp']).status, 0, 'unset ipsec.esp');
    t.notMatch(readFileSync(box.config, 'utf8'), /^\toption esp/m, 'the option is gone');
    t.equal(box.cli(['unset', 'log_limit']).status, 0, 'unset of a global option');
    t.notMatch(readFileSync(box.config, 'utf8'), /^\toption log_limit/m);
    t.match(JSON.parse(box.cli(['--json', 'status']).stdout).protocols[2].parts[2], { name: 'esp', mode: 'allow' }, 'esp follows the mode again');
    t.equal(box.cli(['unset', 'ipsec.colour']).status, 2, 'unknown option: usage');
    t.equal(box.cli(['unset']).status, 2, 'unset needs a key');
    writeFileSync(box.config, shipped);
    t.equal(box.cli(['apply']).status, 0);
  });

  t.test('set repairs an invalid value; a syntax error is an invalid config', async (t) => {
    const good = readFileSync(box.config, 'utf8');
    writeFileSync(box.config, good.replace(/config protocol 'gre'\n\toption mode '\w+'/, "config protocol 'gre'\n\toption mode 'alow'"));
    t.equal(box.cli(['set', 'gre', 'allow']).status, 0, 'the bad value is replaced');
    writeFileSync(box.config, good + "config protocol 'x\n");
    const r = box.cli(['--json', 'set', 'gre', 'allow']);
    t.equal(r.status, 3);
    t.match(JSON.parse(r.stdout).error, { code: 'config', issues: [/unterminated single quote/] });
    writeFileSync(box.config, good);
  });

  t.test('set with a bad value writes nothing', async (t) => {
    const before = { file: readFileSync(box.config, 'utf8'), table: table().stdout };
    const cases: [string[], string][] = [
      [['pptp', 'blok'], 'mode'],
      [['ipsec.server', '10.0.0.1/8'], 'server'],
      [['log_limit', 'often'], 'log_limit'],
      [['l2tp.client', '"; flush ruleset'], 'client'],
    ];
    for (const [args, option] of cases) {
      const r = box.cli(['set', ...args]);
      t.equal(r.status, 3, `set ${args.join(' ')}: exit 3`);
      t.match(r.stderr, `option '${option}'`, 'names the option');
    }
    t.equal(readFileSync(box.config, 'utf8'), before.file, 'config byte-identical');
    t.equal(table().stdout, before.table, 'table byte-identical');
  });

  t.test('names of Object.prototype, odd keys and option-like values change nothing', async (t) => {
    const before = { file: readFileSync(box.config, 'utf8'), table: table().stdout };
    const cases: [string[], number, RegExp][] = [
      [['set', 'pptp.toString', 'a|b'], 2, /unknown option 'toString' for pptp/],
      [['set', 'pptp.hasOwnProperty', 'a', 'b'], 2, /unknown option 'hasOwnProperty'/],
      [['set', 'constructor', 'x'], 2, /unknown option 'constructor' for global/],
      [['set', '__proto__.mode', 'block'], 2, /unknown setting '__proto__\.mode'/],
      [['set', 'pptp.mode.$(id)', 'block'], 2, /unknown setting 'pptp\.mode\.\$\(id\)'/],
      [['set', 'pptp.', 'block'], 2, /unknown setting/],
      [['set', 'pptp.esp', 'block'], 2, /unknown option 'esp' for pptp: known options are mode, family, client, server/],
      [['set', 'lan_zone', '--config', 'lan'], 3, /option 'lan_zone': invalid value '--config'/],
      [['set', 'lan_zone', '--json'], 3, /option 'lan_zone': invalid value '--json'/],
      [['set', 'l2tp.client', '-h'], 3, /option 'client': '-h'/],
    ];
    for (const [args, status, message] of cases) {
      const r = box.cli(args);
      t.equal(r.status, status, `${args.join(' ')}: exit ${status}`);
      t.match(r.stderr, message, `${args.join(' ')}: ${r.stderr.split('\n')[0]}`);
      t.notMatch(r.stderr, /TypeError|cannot read property|undefined/, 'no engine error');
    }
    t.equal(readFileSync(box.config, 'utf8'), before.file, 'config byte-identical');
    t.equal(table().stdout, before.table, 'table byte-identical');
    t.notOk(existsSync('lan'), 'no file named after a value was written');
    t.equal(box.cli(['status', '--json']).status, 0, 'an option after the command, before any value, is still an option');
    t.equal(box.cli(['--json', 'set', '--', 'l2tp.client']).status, 0, '-- ends the options');
  });

  t.test('a lock left by a dead process is taken over', async (t) => {
    symlinkSync('999999999:1', `${box.dir}/lock`);
    t.equal(box.cli(['apply']).status, 0);
    t.notOk(existsSync(`${box.dir}/lock`), 'lock released');
  });

  t.test('a second apply waits for the lock, then gives up with exit 4', async (t) => {
    const owner = spawn('sleep', ['30'], { stdio: 'ignore' });
    t.teardown(() => owner.kill());
    symlinkSync(lockTarget(owner.pid!), `${box.dir}/lock`);
    const r = box.cli(['apply']);
    t.equal(r.status, 4);
    t.match(r.stderr, `another vpn-passthrough (pid ${owner.pid}) holds`);
    t.equal(readlinkSync(`${box.dir}/lock`), lockTarget(owner.pid!), 'the owner keeps its lock');
    unlinkSync(`${box.dir}/lock`);
  });

  t.test('a lock whose pid now belongs to another process is taken over', async (t) => {
    // This process's pid with another start time: the owner died and its pid was reused.
    const [pid, start] = lockTarget(process.pid).split(':');
    symlinkSync(`${pid}:${Number(start) + 1}`, `${box.dir}/lock`);
    t.equal(box.cli(['apply']).status, 0);
    symlinkSync(pid, `${box.dir}/lock`);
    t.equal(box.cli(['apply']).status, 0, 'as is one without a start time');
  });

  t.test('a file or directory at the lock path: said what it is', async (t) => {
    writeFileSync(`${box.dir}/lock`, '');
    const r = box.cli(['apply']);
    t.equal(r.status, 1);
    t.match(r.stderr, `${box.dir}/lock is a regular file, not a vpn-passthrough lock (a symlink to its owner); remove it`);
    unlinkSync(`${box.dir}/lock`);
    mkdirSync(`${box.dir}/lock`);
    t.match(box.cli(['apply']).stderr, 'lock is a directory, not a vpn-passthrough lock');
    rmdirSync(`${box.dir}/lock`);
    t.equal(box.cli(['apply']).status, 0);
  });

  t.test('disabled removes the table', async (t) => {
    t.equal(box.cli(['set', 'enabled', '0']).status, 0);
    t.not(table().status, 0, 'table gone');
    t.match(box.cli(['status']).stdout, /disabled; table inet vpn_passthrough missing/);
    t.equal(box.cli(['set', 'enabled', '1']).status, 0);
    t.equal(table().status, 0, 'table back');
  });
});
