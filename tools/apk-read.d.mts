// Types for tools/apk-read.mjs (used by the tests).
import type { KeyObject } from 'node:crypto';

export interface Dependency { name: string; version?: string; match?: number }
export interface PackageInfo {
  name: string;
  version: string;
  hashes: Buffer;
  description?: string;
  arch?: string;
  license?: string;
  origin?: string;
  maintainer?: string;
  url?: string;
  'installed-size'?: number;
  'file-size'?: number;
  depends?: Dependency[];
  provides?: Dependency[];
  [field: string]: unknown;
}
export interface ApkFile {
  path: string;
  mode: number;
  user: string;
  group: string;
  size: number;
  mtime: number;
  type: 'file' | 'symlink' | 'hardlink' | 'device';
  target?: Buffer;
  data?: Buffer;
}
export interface ApkPackage {
  compression: string;
  schema: number;
  adb: Buffer;
  identity: Buffer;
  info: PackageInfo;
  depends: string[];
  provides: string[];
  scripts: Record<string, string>;
  directories: { path: string; mode: number; user: string; group: string }[];
  files: ApkFile[];
  signatures: number;
  signedBy: KeyObject[];
}
export interface ApkIndex {
  compression: string;
  schema: number;
  adb: Buffer;
  description?: string;
  pkgnameSpec?: string;
  packages: PackageInfo[];
  signatures: number;
  signedBy: KeyObject[];
}
export function packageIdentity(adb: Buffer): Buffer;
export function readApk(file: Buffer, o?: { trustedKeys?: KeyObject[] }): ApkPackage;
export function readIndex(file: Buffer, o?: { trustedKeys?: KeyObject[] }): ApkIndex;
