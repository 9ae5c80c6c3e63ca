// System on Node.js, for tests and tools: the same contract as the QuickJS adapter.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { HostError, type ExecStatus, type FileStat, type System } from '../system.ts';

function fail(what: string, path: string, e: unknown): never {
  throw new HostError(`cannot ${what} ${path}: ${(e as Error).message}`);
}

/** Runs argv to its end, stdout as bytes. */
function run(argv: string[], input: string): ExecStatus & { stdout: Buffer } {
  const r = spawnSync(argv[0], argv.slice(1), { input, maxBuffer: 256 << 20 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    return { status: code === 'ENOENT' ? 127 : 126, stdout: Buffer.alloc(0), stderr: String(r.error.message) };
  }
  const status = r.status ?? 128 + (r.signal ? 9 : 0);
  return { status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

export const nodeSystem: System = {
  exec(argv, input) {
    const r = run(argv, input ?? '');
    return { ...r, stdout: r.stdout.toString('utf8') };
  },
  // Whole, then in one piece, as readChunks: Node runs tests and tools, not routers.
  execChunks(argv, onChunk) {
    const { stdout, ...status } = run(argv, '');
    if (stdout.length > 0) onChunk(stdout);
    return status;
  },
  readFile(path) {
    try {
      return fs.readFileSync(path, 'utf8');
    } catch {
      return null;
    }
  },
  readBytes(path) {
    try {
      return fs.readFileSync(path, 'latin1');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      return fail('read', path, e);
    }
  },
  stat(path): FileStat | null {
    try {
      const st = fs.statSync(path);
      return { type: st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'other', mode: st.mode & 0o7777, size: st.size, mtime: st.mtimeMs };
    } catch {
      return null;
    }
  },
  realPath(path) {
    try {
      return fs.realpathSync(path);
    } catch {
      return null;
    }
  },
  createFile(path, bytes, mode) {
    try {
      fs.writeFileSync(path, Buffer.from(bytes, 'latin1'), { flag: 'wx', mode });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') fs.rmSync(path, { force: true });
      fail('write', path, e);
    }
  },
  appendFile(path, bytes, mode) {
    try {
      fs.appendFileSync(path, Buffer.from(bytes, 'latin1'), { mode });
    } catch (e) {
      fail('write', path, e);
    }
  },
  rename(from, to) {
    try {
      fs.renameSync(from, to);
    } catch (e) {
      fail('rename', from, e);
    }
  },
  readChunks(path, onChunk) {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path);
    } catch {
      return false;
    }
    onChunk(bytes);
    return true;
  },
  remove(path) {
    fs.rmSync(path, { force: true, recursive: true });
  },
  symlink(target, path) {
    try {
      fs.symlinkSync(target, path);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw new HostError(`cannot create ${path}: ${(e as Error).message}`);
    }
  },
  readLink(path) {
    try {
      return fs.readlinkSync(path);
    } catch {
      return null;
    }
  },
  exists: (path) => fs.existsSync(path),
  pid: () => process.pid,
  sleep: (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms),
  env: (name) => process.env[name],
};
