// System on QuickJS (std/os of quickjs-libc). Programs run through os.exec
// with an argv array: input comes from a temporary file, stdout from a pipe,
// stderr from a temporary file, so no pipe can fill up and deadlock.

import * as std from 'std';
import * as os from 'os';
import { utf8Bytes } from '../../core/bytes.ts';
import { HostError, type ExecResult, type ExecStatus, type FileStat, type System } from '../system.ts';

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

/** Bytes as a byte string, a slice at a time (fromCharCode takes its arguments on the stack). */
function byteString(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += 8192) {
    parts.push(String.fromCharCode.apply(null, bytes.subarray(i, i + 8192) as unknown as number[]));
  }
  return parts.join('');
}

/** Standard input as a byte string, at most max bytes. */
export function readStdin(max: number): string {
  const parts: string[] = [];
  const buffer = new ArrayBuffer(CHUNK);
  for (let total = 0, n = 0; total < max && (n = std.in.read(buffer, 0, Math.min(CHUNK, max - total))) > 0; total += n) {
    parts.push(byteString(new Uint8Array(buffer, 0, n)));
  }
  return parts.join('');
}

function readBytes(path: string): string | null {
  const parts: string[] = [];
  return readChunks(path, (bytes) => parts.push(byteString(bytes))) ? parts.join('') : null;
}

/** Passes what f holds to onChunk a piece at a time, then closes f. */
function drain(f: std.FILE, onChunk: (bytes: Uint8Array) => void): void {
  // One buffer for every chunk (consumers copy what they keep); FILE.read is
  // fread, where readAsString would go through fgetc byte by byte.
  const buffer = new ArrayBuffer(CHUNK);
  try {
    for (let n = f.read(buffer, 0, CHUNK); n > 0; n = f.read(buffer, 0, CHUNK)) onChunk(new Uint8Array(buffer, 0, n));
  } finally {
    f.close();
  }
}

function readChunks(path: string, onChunk: (bytes: Uint8Array) => void): boolean {
  const f = openForReading(path);
  if (f === null) return false;
  drain(f, onChunk);
  return true;
}

/**
 * Writes a byte string with write(2), each call checked, so a full disk is
 * an error here and not a short file later; returns the first errno, or 0.
 */
function writeAll(fd: number, bytes: string): number {
  const buffer = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) buffer[i] = bytes.charCodeAt(i);
  for (let done = 0; done < buffer.length; ) {
    const n = os.write(fd, buffer.buffer, done, buffer.length - done);
    if (n <= 0) return n < 0 ? -n : std.Error.EIO;
    done += n;
  }
  return 0;
}

/** writeAll, then close; the first errno, or 0. */
function writeAndClose(fd: number, bytes: string): number {
  const error = writeAll(fd, bytes);
  const rc = os.close(fd);
  return error === 0 && rc < 0 ? -rc : error;
}

/** Creates a new file (never follows or reuses an existing one) holding a byte string. */
function createFile(path: string, bytes: string, mode: number): void {
  const fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode);
  if (fd < 0) throw new HostError(`cannot create ${path}: ${std.strerror(-fd)}`);
  const error = writeAndClose(fd, bytes);
  if (error !== 0) {
    os.remove(path);
    throw new HostError(`cannot write ${path}: ${std.strerror(error)}`);
  }
}

/** O_APPEND: each write(2) lands whole at the end, whoever else appends. */
function appendFile(path: string, bytes: string, mode: number): void {
  const fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, mode);
  if (fd < 0) throw new HostError(`cannot open ${path}: ${std.strerror(-fd)}`);
  const error = writeAndClose(fd, bytes);
  if (error !== 0) throw new HostError(`cannot write ${path}: ${std.strerror(error)}`);
}

function stat(path: string): FileStat | null {
  const [st, err] = os.stat(path);
  if (err !== 0) return null;
  const format = st.mode & os.S_IFMT;
  const type = format === os.S_IFREG ? 'file' : format === os.S_IFDIR ? 'directory' : 'other';
  return { type, mode: st.mode & 0o7777, size: st.size, mtime: st.mtime };
}

/** Unpredictable, so no other local user can create it first and make every run fail. */
function randomName(): string {
  return Math.floor(Math.random() * 0x100000000).toString(36) + Math.floor(Math.random() * 0x100000000).toString(36);
}

function ownPid(): number {
  const stat = readAll('/proc/self/stat');
  return stat === null ? 0 : parseInt(stat, 10);
}

function tempPath(kind: string): string {
  const dir = std.getenv('TMPDIR') || '/tmp';
  return `${dir}/vpn-passthrough.${ownPid()}.${randomName()}.${kind}`;
}

/**
 * A new temporary file holding bytes, open for reading from its start and
 * writing, and already unlinked: it lives as long as the descriptor, so a
 * run killed from then on, even with SIGKILL, leaves nothing behind. A name
 * someone else took is tried again with another.
 */
function openTemp(kind: string, bytes: string): number {
  for (let attempt = 0; ; attempt++) {
    const path = tempPath(kind);
    const fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600);
    if (fd < 0) {
      if (-fd !== std.Error.EEXIST || attempt >= 3) throw new HostError(`cannot create ${path}: ${std.strerror(-fd)}`);
      continue;
    }
    os.remove(path);
    const error = writeAll(fd, bytes);
    if (error !== 0) {
      os.close(fd);
      throw new HostError(`cannot write ${path}: ${std.strerror(error)}`);
    }
    os.seek(fd, 0, std.SEEK_SET);
    return fd;
  }
}

function decodeStatus(raw: number): number {
  const signal = raw & 0x7f;
  return signal === 0 ? (raw >> 8) & 0xff : 128 + signal;
}

/** A program started by spawn: its stdout to read, then finish. */
interface Child {
  pid: number;
  stdout: std.FILE;
  /** The child's stderr: an unlinked temporary file, read once it has exited. */
  errFd: number;
}

/** Starts argv, stdin from a temporary file holding input, stdout into a pipe, stderr into a temporary file. */
function spawn(argv: string[], input: string): Child {
  const stdin = openTemp('in', utf8Bytes(input));
  let errFd = -1;
  let pipe: [number, number] | null = null;
  let pid = -1;
  try {
    errFd = openTemp('err', '');
    pipe = os.pipe();
    if (pipe === null) throw new HostError('cannot create a pipe');
    pid = os.exec(argv, { block: false, usePath: true, stdin, stdout: pipe[1], stderr: errFd });
  } catch (e) {
    if (errFd >= 0) os.close(errFd);
    if (pipe !== null) os.close(pipe[0]);
    throw e;
  } finally {
    if (pipe !== null) os.close(pipe[1]);
    os.close(stdin);
  }
  const stdout = std.fdopen(pipe[0], 'r');
  if (stdout === null) {
    os.close(pipe[0]);
    os.waitpid(pid, 0);
    os.close(errFd);
    throw new HostError(`cannot read the output of ${argv[0]}`);
  }
  return { pid, stdout, errFd };
}

/** Waits for the child (its stdout closed by then) and collects its exit status and stderr. */
function finish(child: Child): ExecStatus {
  const [, raw] = os.waitpid(child.pid, 0);
  // The child wrote through a copy of this descriptor: the offset is at the end.
  os.seek(child.errFd, 0, std.SEEK_SET);
  const errors = std.fdopen(child.errFd, 'r');
  if (errors === null) os.close(child.errFd);
  const stderr = errors?.readAsString() ?? '';
  errors?.close();
  return { status: decodeStatus(raw), stderr };
}

function exec(argv: string[], input?: string): ExecResult {
  const child = spawn(argv, input ?? '');
  let stdout: string;
  try {
    stdout = child.stdout.readAsString();
  } catch (e) {
    // Out of memory: the closed pipe ends the child (SIGPIPE), which is then waited for.
    child.stdout.close();
    finish(child);
    throw e;
  }
  child.stdout.close();
  return { ...finish(child), stdout };
}

function execChunks(argv: string[], onChunk: (bytes: Uint8Array) => void): ExecStatus {
  const child = spawn(argv, '');
  try {
    drain(child.stdout, onChunk);
  } catch (e) {
    // drain closed the pipe, so a child still writing gets SIGPIPE and the
    // wait ends: no zombie, no temporary file left.
    finish(child);
    throw e;
  }
  return finish(child);
}

export const qjsSystem: System = {
  exec,
  execChunks,
  readFile: readAll,
  readBytes,
  readChunks,
  stat,
  realPath: (path) => {
    const [real, err] = os.realpath(path);
    return err === 0 ? real : null;
  },
  createFile,
  appendFile,
  rename(from, to) {
    const rc = os.rename(from, to);
    if (rc < 0) throw new HostError(`cannot rename ${from} to ${to}: ${std.strerror(-rc)}`);
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
