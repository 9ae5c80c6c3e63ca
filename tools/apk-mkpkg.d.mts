// Types for tools/apk-mkpkg.mjs (used by the tests).
import type { KeyObject } from 'node:crypto';

export function mkpkg(o: {
  info: Record<string, string>;
  scripts?: Record<string, string | Buffer>;
  files?: string;
  sourceDateEpoch?: string;
  compressed?: boolean;
  signKeys?: KeyObject[];
}): { file: Buffer; adb: Buffer; uncompressed: Buffer };
