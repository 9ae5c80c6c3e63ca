// The config file as the router keeps it: bytes that are not UTF-8, a full
// disk, a symlink, a mode, and paths that are not files at all. The bundle
// under the real qjs in a network namespace; after every refusal the file
// and the loaded table are byte-identical.

import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { canNetns } from '../lab/netns.ts';
import { ROOT } from './lib/paths.ts';
import { sandboxed } from './lib/sandboxed.ts';

const skip = canNetns === true ? false : canNetns;
const SHIPPED = readFileSync(`${ROOT}files/etc/config/vpn-passthrough`);

t.test('the config file', { skip }, async (t) => {
  const { ns, box } = sandboxed(t, 'cfg');
  const table = () => ns.run(['nft', 'list', 'table', 'inet', 'vpn_passthrough']).stdout;
  const mode = (name: string, env: NodeJS.ProcessEnv = {}) =>
    JSON.parse(box.cli(['--json', 'status'], env).stdout).protocols.find((p: { name: string }) => p.name === name).mode;
  writeFileSync(box.config, SHIPPED);
  t.equal(box.cli(['apply']).status, 0);

  t.test('bytes that are not UTF-8 are kept, and never eat a line', async (t) => {
    // A Latin-1 degree sign (0xb0) right before the line that blocks PPTP.
    const text = SHIPPED.toString().replace("config protocol 'pptp'\n\toption mode 'allow'", "config protocol 'pptp'\n\t# blocked at 20\xb0C\n\toption mode 'block'");
    writeFileSync(box.config, Buffer.from(text, 'latin1'));
    t.equal(box.cli(['apply']).status, 0);
    t.equal(mode('pptp'), 'block', 'the line after the Latin-1 byte counts');
    t.equal(box.cli(['set', 'l2tp', 'block']).status, 0);
    const after = readFileSync(box.config);
    t.ok(after.includes(Buffer.from([0x32, 0x30, 0xb0, 0x43, 0x0a])), 'the byte is written back exactly');
    t.match(after.toString('latin1'), /20\xb0C\n\toption mode 'block'/, 'and the line after it too');
    t.equal(mode('pptp'), 'block');
    // UTF-8 in a comment is kept too.
    writeFileSync(box.config, Buffer.concat([Buffer.from('# Büro – 办公室\n'), SHIPPED]));
    t.equal(box.cli(['set', 'l2tp', 'allow']).status, 0);
    t.ok(readFileSync(box.config).toString('utf8').startsWith('# Büro – 办公室\n'), 'UTF-8 comment byte-identical');
    writeFileSync(box.config, SHIPPED);
    t.equal(box.cli(['apply']).status, 0);
  });

  t.test('bytes that are not allowed in a value are shown, and nothing changes', async (t) => {
    const before = table();
    writeFileSync(box.config, Buffer.from(SHIPPED.toString().replace("option mode 'allow'", "option mode 'bl\xe9ck'"), 'latin1'));
    const r = box.cli(['apply']);
    t.equal(r.status, 3);
    t.match(r.stderr, /:\d+: section 'pptp' option 'mode': 'bl\\xe9ck' holds characters that are not allowed here; write allow \| block/);
    t.equal(table(), before, 'table byte-identical');
    writeFileSync(box.config, SHIPPED);
  });

  t.test('a full disk: the old file stays whole and nothing is applied', async (t) => {
    const dir = `${box.dir}/small`;
    mkdirSync(dir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
    t.teardown(() => void spawnSync('umount', [dir]));
    // A config of about 20 KB: PPTP blocked, L2TP narrowed to many clients.
    const clients = Array.from({ length: 600 }, (_, i) => `\tlist client '10.1.${i >> 8}.${i & 255}'`).join('\n');
    const big = SHIPPED.toString()
      .replace("config protocol 'pptp'\n\toption mode 'allow'", "config protocol 'pptp'\n\toption mode 'block'")
      .replace("config protocol 'l2tp'\n\toption mode 'allow'", `config protocol 'l2tp'\n\toption mode 'allow'\n${clients}`);
    const config = `${dir}/vpn-passthrough`;
    writeFileSync(config, big);
    const env = { VPN_PASSTHROUGH_CONFIG: config };
    t.equal(box.cli(['apply'], env).status, 0);
    const before = table();
    // Fill the disk, leaving 4 KB: less than the rewritten file needs.
    writeFileSync(`${dir}/room`, Buffer.alloc(4096));
    try {
      for (let i = 0; ; i++) writeFileSync(`${dir}/fill${i}`, Buffer.alloc(4096));
    } catch {
      // ENOSPC: full.
    }
    unlinkSync(`${dir}/room`);
    const r = box.cli(['set', 'gre', 'block'], env);
    t.equal(r.status, 1, 'set fails');
    t.match(r.stderr, /cannot write .*No space left on device/, 'saying why');
    t.equal(readFileSync(config, 'utf8'), big, 'the config is byte-identical');
    t.equal(table(), before, 'the table is as it was: PPTP still blocked');
    t.equal(mode('pptp', env), 'block');
    t.same(readdirNames(dir).filter((n) => n.includes('vpn-passthrough-')), [], 'no temporary file left behind');
  });

  t.test('a symlinked config stays a symlink, and the mode stays', async (t) => {
    const real = `${box.dir}/real-config`;
    writeFileSync(real, SHIPPED);
    chmodSync(real, 0o640);
    const link = `${box.dir}/link-config`;
    symlinkSync(real, link);
    const env = { VPN_PASSTHROUGH_CONFIG: link };
    t.equal(box.cli(['set', 'gre', 'block'], env).status, 0);
    t.ok(lstatSync(link).isSymbolicLink(), 'still a symlink');
    t.equal(readlinkSync(link), real, 'to the same file');
    t.match(readFileSync(real, 'utf8'), /config protocol 'gre'\n\toption mode 'block'/, 'whose content changed');
    t.equal(statSync(real).mode & 0o777, 0o640, 'mode 0640 kept');
    t.equal(box.cli(['apply']).status, 0);
  });

  t.test('a path that is not a regular file is refused at once', async (t) => {
    const before = table();
    const dir = `${box.dir}/a-directory`;
    mkdirSync(dir);
    const fifo = `${box.dir}/a-fifo`;
    execFileSync('mkfifo', [fifo]);
    for (const [path, what] of [[dir, 'a directory'], [fifo, 'a FIFO, device or socket'], ['/dev/zero', 'a FIFO, device or socket']]) {
      for (const command of [['check'], ['apply'], ['set', 'pptp', 'block']]) {
        const r = box.cli(command, { VPN_PASSTHROUGH_CONFIG: path });
        t.equal(r.status, 3, `${command[0]} with ${path}: exit 3`);
        t.match(r.stderr, `${path}: is ${what}, not a regular file`);
      }
    }
    t.equal(table(), before, 'table byte-identical');
    rmSync(dir, { recursive: true });
  });

  t.test('a config larger than 1 MiB is refused', async (t) => {
    const huge = `${box.dir}/huge`;
    writeFileSync(huge, SHIPPED.toString() + `# ${'x'.repeat(1024 * 1024)}\n`);
    const r = box.cli(['check'], { VPN_PASSTHROUGH_CONFIG: huge });
    t.equal(r.status, 3);
    t.match(r.stderr, /is larger than 1048576 bytes/);
  });
});

function readdirNames(dir: string): string[] {
  return execFileSync('ls', ['-A', dir], { encoding: 'utf8' }).split('\n').filter(Boolean);
}
