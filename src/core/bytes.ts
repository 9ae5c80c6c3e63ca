// Byte strings: text held one character per byte (0-255), as the config file
// is read and written, so bytes that are not UTF-8 (a Latin-1 comment) pass
// through unchanged instead of being decoded away. libuci treats the file
// as bytes too.

/** A string's UTF-8 encoding as a byte string; a lone surrogate (no character at all) becomes U+FFFD. */
export function utf8Bytes(text: string): string {
  // encodeURIComponent yields %XX per UTF-8 byte; unescape maps each to one character.
  return unescape(encodeURIComponent(text.replace(/[\ud800-\udfff]/g, (c, i: number) => (pairedSurrogate(text, i) ? c : '\ufffd'))));
}

function pairedSurrogate(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  const high = (n: number) => n >= 0xd800 && n <= 0xdbff;
  const low = (n: number) => n >= 0xdc00 && n <= 0xdfff;
  return high(c) ? low(text.charCodeAt(i + 1)) : high(text.charCodeAt(i - 1));
}

/** A byte string decoded as UTF-8, or null when it is not valid UTF-8. */
export function fromUtf8(bytes: string): string | null {
  try {
    return decodeURIComponent(escape(bytes));
  } catch {
    return null;
  }
}

/** A byte string for a message: UTF-8 decoded where it is valid, other bytes and controls as \xNN. */
export function readable(bytes: string): string {
  const text = fromUtf8(bytes) ?? bytes.replace(/[\x80-\xff]/g, (c) => `\\x${c.charCodeAt(0).toString(16)}`);
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
