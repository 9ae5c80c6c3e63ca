// Which config a loaded table came from: a hash of the config's bytes,
// rendered into the table (a named counter's comment) and read back. After
// a load that failed or was cut short, it tells whether the kernel took the
// new table after all; an interrupted `set` is completed or undone by it.

/** 64 bits of two multiplicative hashes over the bytes (not for secrecy: to tell configs apart). */
export function configStamp(bytes: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ bytes.length;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
  return hex(a) + hex(b);
}
