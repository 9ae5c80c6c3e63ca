// Reads a .tar.gz the way opkg unpacks an .ipk, without a tar program: the
// members (ustar headers) in order, with their content.

import { gunzipSync } from 'node:zlib';

export interface TarMember {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  type: string;
  data: Buffer;
}

export function untar(gz: Buffer): TarMember[] {
  const tar = gunzipSync(gz);
  const out: TarMember[] = [];
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const field = (from: number, length: number) => header.subarray(from, from + length).toString('latin1').replace(/\0.*$/s, '').trim();
    const size = parseInt(field(124, 12), 8) || 0;
    const prefix = field(345, 155);
    const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
    out.push({
      name,
      mode: parseInt(field(100, 8), 8),
      uid: parseInt(field(108, 8), 8) || 0,
      gid: parseInt(field(116, 8), 8) || 0,
      mtime: parseInt(field(136, 12), 8) || 0,
      type: field(156, 1) || '0',
      data: tar.subarray(at + 512, at + 512 + size),
    });
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

