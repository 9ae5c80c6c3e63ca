// System on QuickJS (std/os of quickjs-libc). Programs run through os.exec
// with an argv array: input comes from a temporary file, stdout from a pipe,
// stderr from a temporary file, so no pipe can fill up and deadlock.

import * as std from 'std';
import * as os from 'os';
import { HostError, type ExecResult, type System } from '../system.ts';

let serial = 0;
const CHUNK = 64 * 1024;

/** The open file, or null when it does not exist; any other failure throws. */
function openForReading(path: string): std.FILE | null {
  const errorObj = { errno: 0 };
  const f = std.open(path, 'r', errorObj);
  if (f === null && errorObj.errno !== std.Error.ENOENT) {
    throw new HostError(`cannot read ${path}: ${std.strerror(errorObj.errno)}`);
  }
  return f;
}

function readAll(path: string): string | null {
  // std.loadFile sizes the file with fseek, which reads /proc files as empty.
  const f = openForReading(path);
  if (f === null) return null;
  const text = f.readAsString();
  f.close();
  return text;
}

function readChunks(path: string, onChunk: (bytes: Uint8Array) => void): boolean {
  const f = openForReading(path);
  if (f === null) return false;
  // One buffer for every chunk (consumers copy what they keep); FILE.read is
  // fread, where readAsString would go through fgetc byte by byte.
  const buffer = new ArrayBuffer(CHUNK);
  try {
    for (let n = f.read(buffer, 0, CHUNK); n > 0; n = f.read(buffer, 0, CHUNK)) onChunk(new Uint8Array(buffer, 0, n));
  } finally {
    f.close();
  }
  return true;
}

/** Creates a new file (never follows or reuses an existing one) holding `data`. */
function createFile(path: string, data: string): void {
  const fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600);
  if (fd < 0) throw new HostError(`cannot create ${path}: ${std.strerror(-fd)}`);
  const f = std.fdopen(fd, 'w');
  if (f === null) {
    os.close(fd);
    throw new HostError(`cannot write ${path}`);
  }
  f.puts(data);
  const rc = f.close();
  if (rc < 0) {
    os.remove(path);
    throw new HostError(`cannot write ${path}: ${std.strerror(-rc)}`);
  }
}

function ownPid(): number {
  const stat = readAll('/proc/self/stat');
  return stat === null ? 0 : parseInt(stat, 10);
}

function tempPath(kind: string): string {
  const dir = std.getenv('TMPDIR') || '/tmp';
  return `${dir}/vpn-passthrough.${ownPid()}.${++serial}.${kind}`;
}

function openOrThrow(path: string, flags: number): number {
  const fd = os.open(path, flags, 0o600);
  if (fd < 0) throw new HostError(`cannot open ${path}: ${std.strerror(-fd)}`);
  return fd;
}

function decodeStatus(raw: number): number {
  const signal = raw & 0x7f;
  return signal === 0 ? (raw >> 8) & 0xff : 128 + signal;
}

function exec(argv: string[], input?: string): ExecResult {
  const inPath = tempPath('in');
  const errPath = tempPath('err');
  createFile(inPath, input ?? '');
  const stdin = openOrThrow(inPath, os.O_RDONLY);
  const stderr = openOrThrow(errPath, os.O_WRONLY | os.O_CREAT | os.O_EXCL);
  const pipe = os.pipe();
  if (pipe === null) throw new HostError('cannot create a pipe');
  const [readEnd, writeEnd] = pipe;
  let pid = -1;
  try {
    pid = os.exec(argv, { block: false, usePath: true, stdin, stdout: writeEnd, stderr });
  } catch (e) {
    os.close(readEnd);
    os.remove(errPath);
    throw e;
  } finally {
    os.close(writeEnd);
    os.close(stdin);
    os.close(stderr);
    os.remove(inPath);
  }
  const out = std.fdopen(readEnd, 'r');
  const stdout = out === null ? '' : out.readAsString();
  if (out !== null) out.close();
  const [, raw] = os.waitpid(pid, 0);
  const errText = readAll(errPath) ?? '';
  os.remove(errPath);
  return { status: decodeStatus(raw), stdout, stderr: errText };
}

export const qjsSystem: System = {
  exec,
  readFile: readAll,
  readChunks,
  writeFile(path, data) {
    const tmp = `${path}.vpn-passthrough-new`;
    os.remove(tmp);
    createFile(tmp, data);
    const rc = os.rename(tmp, path);
    if (rc < 0) {
      os.remove(tmp);
      throw new HostError(`cannot replace ${path}: ${std.strerror(-rc)}`);
    }
  },
  remove(path) {
    os.remove(path);
  },
  symlink: (target, path) => {
    const rc = os.symlink(target, path);
    if (rc === 0) return true;
    if (-rc === std.Error.EEXIST) return false;
    throw new HostError(`cannot create ${path}: ${std.strerror(-rc)}`);
  },
  readLink: (path) => {
    const [target, err] = os.readlink(path);
    return err === 0 ? target : null;
  },
  exists: (path) => os.stat(path)[1] === 0,
  pid: ownPid,
  sleep: (ms) => os.sleep(ms),
  env: (name) => std.getenv(name),
};
