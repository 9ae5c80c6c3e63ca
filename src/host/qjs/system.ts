// System on QuickJS (std/os of quickjs-libc). Programs run through os.exec
// with an argv array: input comes from a temporary file, stdout from a pipe,
// stderr from a temporary file, so no pipe can fill up and deadlock.

import * as std from 'std';
import * as os from 'os';
import { HostError, type ExecResult, type System } from '../system.ts';

let serial = 0;

function readAll(path: string): string | null {
  // std.loadFile sizes the file with fseek, which reads /proc files as empty.
  const f = std.open(path, 'r');
  if (f === null) return null;
  const text = f.readAsString();
  f.close();
  return text;
}

function writeAll(path: string, data: string): void {
  const errorObj = { errno: 0 };
  const f = std.open(path, 'w', errorObj);
  if (f === null) throw new HostError(`cannot write ${path}: ${std.strerror(errorObj.errno)}`);
  f.puts(data);
  f.close();
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
  writeAll(inPath, input ?? '');
  const stdin = openOrThrow(inPath, os.O_RDONLY);
  const stderr = openOrThrow(errPath, os.O_WRONLY | os.O_CREAT | os.O_TRUNC);
  const pipe = os.pipe();
  if (pipe === null) throw new HostError('cannot create a pipe');
  const [readEnd, writeEnd] = pipe;
  let pid = -1;
  try {
    pid = os.exec(argv, { block: false, usePath: true, stdin, stdout: writeEnd, stderr });
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
  writeFile(path, data) {
    const tmp = `${path}.vpn-passthrough-new`;
    writeAll(tmp, data);
    const rc = os.rename(tmp, path);
    if (rc < 0) {
      os.remove(tmp);
      throw new HostError(`cannot replace ${path}: ${std.strerror(-rc)}`);
    }
  },
  remove(path) {
    os.remove(path);
  },
  createExclusive(path, data) {
    const fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644);
    if (-fd === std.Error.EEXIST) return false;
    if (fd < 0) throw new HostError(`cannot create ${path}: ${std.strerror(-fd)}`);
    const f = std.fdopen(fd, 'w');
    if (f === null) throw new HostError(`cannot write ${path}`);
    f.puts(data);
    f.close();
    return true;
  },
  exists: (path) => os.stat(path)[1] === 0,
  pid: ownPid,
  sleep: (ms) => os.sleep(ms),
  env: (name) => std.getenv(name),
};
