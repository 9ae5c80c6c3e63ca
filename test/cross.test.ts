// The cross-built qjs (tools/cross/build.sh, `make cross`) for each OpenWrt
// architecture that was built: the ELF header says static and the right
// machine and float ABI, and under qemu-user as the router's CPU (24Kc
// without FPU, Cortex-A7/A9, Cortex-A53; tools/cross/arch.sh) it answers as
// the host's build/qjs does (tools/cross/conformance.sh: number formatting,
// DataView and typed arrays in both byte orders, Date and files past 2038
// and 2 GiB, the REPL and qjscalc starting, the bundle's self-check).
// Building is not this test's job: an architecture not built is skipped,
// except mipsel_24kc under CI, which CI builds.

import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { ROOT } from './lib/paths.ts';
import { untar } from './lib/tar.ts';

const EM_X86_64 = 62;
const EM_AARCH64 = 183;
const EM_ARM = 40;
const EM_MIPS = 8;
const EF_ARM_EABIMASK = 0xff000000;
const EF_ARM_ABI_FLOAT_HARD = 0x400;
const EF_MIPS_ABI_O32 = 0x1000;
const EF_MIPS_ARCH = 0xf0000000;
const EF_MIPS_ARCH_32R2 = 0x70000000;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const PT_MIPS_ABIFLAGS = 0x70000003;
const FP_ABI_SOFT = 3; // Val_GNU_MIPS_ABI_FP_SOFT

interface Arch {
  name: string;
  machine: number;
  bits: 32 | 64;
  endian: 'little' | 'big';
  float?: 'hard' | 'soft';
  cpu?: string; // qemu's model of the router's CPU (none: runs natively)
}

const ARCHES: Arch[] = [
  { name: 'aarch64_cortex-a53', machine: EM_AARCH64, bits: 64, endian: 'little', cpu: 'cortex-a53' },
  { name: 'aarch64_generic', machine: EM_AARCH64, bits: 64, endian: 'little', cpu: 'cortex-a53' },
  { name: 'arm_cortex-a7_neon-vfpv4', machine: EM_ARM, bits: 32, endian: 'little', float: 'hard', cpu: 'cortex-a7' },
  { name: 'arm_cortex-a9_vfpv3-d16', machine: EM_ARM, bits: 32, endian: 'little', float: 'hard', cpu: 'cortex-a9' },
  { name: 'mipsel_24kc', machine: EM_MIPS, bits: 32, endian: 'little', float: 'soft', cpu: '24Kc' },
  { name: 'mips_24kc', machine: EM_MIPS, bits: 32, endian: 'big', float: 'soft', cpu: '24Kc' },
  { name: 'x86_64', machine: EM_X86_64, bits: 64, endian: 'little' },
];

interface Elf {
  class: number; // EI_CLASS: 1 32-bit, 2 64-bit
  data: number; // EI_DATA: 1 little, 2 big endian
  type: number;
  machine: number;
  flags: number;
  segments: { type: number; offset: number; filesz: number }[];
}

function readElf(buf: Buffer): Elf {
  if (buf.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
  const cls = buf[4];
  const data = buf[5];
  const is64 = cls === 2;
  const le = data === 1;
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const u64 = (o: number) => Number(le ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o));
  const phoff = is64 ? u64(0x20) : u32(0x1c);
  const flags = u32(is64 ? 0x30 : 0x24);
  const phentsize = u16(is64 ? 0x36 : 0x2a);
  const phnum = u16(is64 ? 0x38 : 0x2c);
  const segments = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    segments.push(
      is64
        ? { type: u32(p), offset: u64(p + 0x08), filesz: u64(p + 0x20) }
        : { type: u32(p), offset: u32(p + 0x04), filesz: u32(p + 0x10) },
    );
  }
  return { class: cls, data, type: u16(0x10), machine: u16(0x12), flags, segments };
}

const onPath = (program: string) => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', program]).status === 0;

/** The qemu-user command line tools/cross/arch.sh gives the architecture (empty: runs natively). */
function qemuOf(arch: string): string[] {
  const r = spawnSync('sh', ['-c', '. tools/cross/arch.sh && target "$1" && echo "$qemu"', 'sh', arch], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tools/cross/arch.sh: ${arch}: ${r.stderr}`);
  return r.stdout.trim().split(/\s+/).filter(Boolean);
}

for (const arch of ARCHES) {
  const qjs = `${ROOT}build/cross/${arch.name}/qjs`;
  const built = existsSync(qjs);
  const required = arch.name === 'mipsel_24kc' && !!process.env.CI;
  const skip = built || required ? false : `${arch.name} not built (make cross ARCHES=${arch.name})`;

  t.test(`qjs for ${arch.name}`, { skip }, async (t) => {
    if (!t.ok(built, `${qjs} exists (CI builds mipsel_24kc before make test)`)) return;
    const elf = readElf(readFileSync(qjs));

    t.test('ELF header: machine, class, byte order, float ABI, static', async (t) => {
      t.equal(elf.machine, arch.machine, 'e_machine');
      t.equal(elf.class, arch.bits === 64 ? 2 : 1, 'EI_CLASS');
      t.equal(elf.data, arch.endian === 'little' ? 1 : 2, 'EI_DATA');
      t.equal(elf.type, 2, 'ET_EXEC (static, not PIE)');
      t.notOk(elf.segments.some((s) => s.type === PT_INTERP), 'no PT_INTERP: no dynamic loader');
      t.notOk(elf.segments.some((s) => s.type === PT_DYNAMIC), 'no PT_DYNAMIC: statically linked');
      if (arch.machine === EM_ARM) {
        t.equal((elf.flags & EF_ARM_EABIMASK) >>> 0, 0x05000000, 'EABI version 5');
        t.equal(elf.flags & EF_ARM_ABI_FLOAT_HARD, EF_ARM_ABI_FLOAT_HARD, 'hard-float ABI (armhf)');
      }
      if (arch.machine === EM_MIPS) {
        t.equal(elf.flags & EF_MIPS_ABI_O32, EF_MIPS_ABI_O32, 'o32');
        t.equal((elf.flags & EF_MIPS_ARCH) >>> 0, EF_MIPS_ARCH_32R2, 'mips32r2 (24kc)');
        const abiflags = elf.segments.find((s) => s.type === PT_MIPS_ABIFLAGS);
        if (t.ok(abiflags, 'PT_MIPS_ABIFLAGS')) {
          // Elf_MIPS_ABIFlags_v0: version u16, isa_level, isa_rev, gpr_size, cpr1_size, cpr2_size, fp_abi
          const fpAbi = readFileSync(qjs).subarray(abiflags!.offset, abiflags!.offset + abiflags!.filesz)[7];
          t.equal(fpAbi, FP_ABI_SOFT, 'soft-float (fp_abi 3)');
        }
      }
    });

    const qemu = qemuOf(arch.name);
    t.test("run as the router's CPU", async (t) => {
      if (!arch.cpu) t.same(qemu, [], 'natively');
      else t.match(qemu.join(' '), new RegExp(`^qemu-[a-z0-9]+-static -cpu ${arch.cpu}$`), `qemu-user with the CPU model ${arch.cpu}`);
    });

    const qemuSkip = qemu.length > 0 && !onPath(qemu[0]) ? `${qemu[0]} not installed (tools/cross/deps.sh)` : false;
    t.test(`answers as build/qjs${qemu.length ? ` under ${qemu.join(' ')}` : ''}`, { skip: qemuSkip }, async (t) => {
      // tools/cross/conformance.sh prints "ok: CHECK ..." or "FAILED: CHECK ..." and the differences
      const r = spawnSync('sh', ['tools/cross/conformance.sh', arch.name, qjs], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
      const checks = r.stdout.split('\n').filter((l) => /^(ok|FAILED): /.test(l));
      for (const name of ['byte order', 'conformance.js', 'REPL', 'qjscalc', 'self-check']) {
        const line = checks.find((l) => l.replace(/^(ok|FAILED): /, '').startsWith(name));
        t.ok(line?.startsWith('ok: '), line ?? `${name}: not run`);
      }
      if (r.status === 0) t.pass('exit 0');
      else t.fail(`exit ${r.status}${r.signal ? ` (killed by ${r.signal})` : ''}\n${r.stdout}${r.stderr}`);
    });

    t.test('packaged as an .ipk for this architecture', async (t) => {
      const ipk = readdirSync(`${ROOT}dist`).find((f) => f.startsWith('quickjs_') && f.endsWith(`_${arch.name}.ipk`));
      if (!t.ok(ipk, `dist/quickjs_*_${arch.name}.ipk (make cross)`)) return;
      const outer = untar(readFileSync(`${ROOT}dist/${ipk}`));
      const member = (name: string) => untar(outer.find((m) => m.name === name)!.data);
      const control = member('./control.tar.gz').find((m) => m.name === './control')!.data.toString();
      t.match(control, new RegExp(`^Package: quickjs\nVersion: 2021\\.03\\.27-\\d+\n`), 'QuickJS 2021-03-27');
      t.match(control, new RegExp(`^Architecture: ${arch.name}$`, 'm'), "opkg's architecture name");
      const qjsEntry = member('./data.tar.gz').find((m) => m.name === './usr/bin/qjs')!;
      t.equal(qjsEntry.mode & 0o777, 0o755, '/usr/bin/qjs, executable');
      t.same(qjsEntry.data, readFileSync(qjs), 'the binary tested above');
    });
  });
}
