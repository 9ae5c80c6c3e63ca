// The parts of quickjs-libc's `std` and `os` modules (2021-03-27) that the
// QuickJS adapter uses. Nothing newer: that release is our floor.

declare module 'std' {
  export interface FILE {
    puts(s: string): void;
    readAsString(max?: number): string;
    /** Bytes read into buffer at position (fread); 0 at the end. */
    read(buffer: ArrayBuffer, position: number, length: number): number;
    close(): number;
    flush(): void;
  }
  export function open(path: string, mode: string, errorObj?: { errno: number }): FILE | null;
  export function fdopen(fd: number, mode: string, errorObj?: { errno: number }): FILE | null;
  export function getenv(name: string): string | undefined;
  export function exit(code: number): never;
  export function strerror(errno: number): string;
  const stdin: FILE;
  export { stdin as in };
  export const out: FILE;
  export const err: FILE;
  export const Error: { EEXIST: number; ENOENT: number; EIO: number };
  export const SEEK_SET: number;
}

declare module 'os' {
  export function exec(
    args: string[],
    options?: { block?: boolean; usePath?: boolean; stdin?: number; stdout?: number; stderr?: number; env?: Record<string, string> },
  ): number;
  export function waitpid(pid: number, options: number): [number, number];
  export function pipe(): [number, number] | null;
  export function open(path: string, flags: number, mode?: number): number;
  export function close(fd: number): number;
  /** The new offset, or -errno. */
  export function seek(fd: number, offset: number, whence: number): number;
  export function rename(from: string, to: string): number;
  export function remove(path: string): number;
  export function stat(path: string): [{ mode: number; size: number; mtime: number }, number];
  export function realpath(path: string): [string, number];
  /** Bytes written from buffer at position, or -errno. */
  export function write(fd: number, buffer: ArrayBuffer, position: number, length: number): number;
  export const S_IFMT: number;
  export const S_IFREG: number;
  export const S_IFDIR: number;
  export function symlink(target: string, path: string): number;
  export function readlink(path: string): [string, number];
  export function sleep(ms: number): void;
  export const O_RDONLY: number;
  export const O_WRONLY: number;
  export const O_RDWR: number;
  export const O_CREAT: number;
  export const O_EXCL: number;
  export const O_APPEND: number;
}
