// The primitives every runtime adapter supplies. Everything that touches the
// system goes through this interface, so core logic and tests stay runtime-free.

export interface ExecStatus {
  /** Exit code; 127 when the program could not be started, 128+N after signal N. */
  status: number;
  stderr: string;
}

export interface ExecResult extends ExecStatus {
  stdout: string;
}

export interface System {
  /** Runs a program with an argv array (never through a shell). */
  exec(argv: string[], input?: string): ExecResult;
  /**
   * The same without input, its stdout passed to onChunk piece by piece as
   * it comes, never held whole: for listings as long as the conntrack table.
   */
  execChunks(argv: string[], onChunk: (bytes: Uint8Array) => void): ExecStatus;
  /** The whole file as UTF-8 text, or null when it cannot be read. */
  readFile(path: string): string | null;
  /**
   * The file's bytes, one character per byte (a "byte string"), so bytes
   * that are not UTF-8 survive a read and a write unchanged; null when it
   * does not exist. Only for regular files (see stat): a FIFO would block.
   */
  readBytes(path: string): string | null;
  /** What is at path, symlinks followed; null when nothing is. */
  stat(path: string): FileStat | null;
  /** The path with every symlink resolved; null when it does not exist. */
  realPath(path: string): string | null;
  /** Creates a new file (never an existing one) holding a byte string; every write is checked. */
  createFile(path: string, bytes: string, mode: number): void;
  /** Adds a byte string at the end of the file (created with mode when missing), in one write: concurrent appends never mix. */
  appendFile(path: string, bytes: string, mode: number): void;
  rename(from: string, to: string): void;
  /** Calls onChunk with successive pieces of the file, never holding all of it; false when it does not exist. */
  readChunks(path: string, onChunk: (bytes: Uint8Array) => void): boolean;
  remove(path: string): void;
  /** Creates a symlink to `target` (atomic, content included); false when `path` exists. */
  symlink(target: string, path: string): boolean;
  /** A symlink's target, or null. */
  readLink(path: string): string | null;
  exists(path: string): boolean;
  pid(): number;
  sleep(ms: number): void;
  env(name: string): string | undefined;
}

export interface FileStat {
  type: 'file' | 'directory' | 'other';
  /** Permission bits. */
  mode: number;
  size: number;
  /** Last modification, in milliseconds since 1970. */
  mtime: number;
}

export class HostError extends Error {}

/** Describes a failed command the way a user can act on: argv, exit code, stderr. */
export function describeFailure(argv: string[], result: ExecStatus): string {
  const what = result.status === 127 ? 'could not be run (not installed?)' : `exited with ${result.status}`;
  const stderr = result.stderr.trim();
  return `${argv.join(' ')} ${what}${stderr ? `:\n${stderr}` : ''}`;
}
