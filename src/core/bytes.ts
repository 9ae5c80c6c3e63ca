// Byte strings: text held one character per byte (0-255), as the config file
// is read and written, so bytes that are not UTF-8 (a Latin-1 comment) pass
// through unchanged instead of being decoded away. libuci treats the file
// as bytes too.

/** A string's UTF-8 encoding as a byte string. */
export function utf8Bytes(text: string): string {
  // encodeURIComponent yields %XX per UTF-8 byte; unescape maps each to one character.
  return unescape(encodeURIComponent(text));
}

/** A byte string for a message: UTF-8 decoded where it is valid, other bytes and controls as \xNN. */
export function readable(bytes: string): string {
  let text: string;
  try {
    text = decodeURIComponent(escape(bytes));
  } catch {
    text = bytes.replace(/[\x80-\xff]/g, (c) => `\\x${c.charCodeAt(0).toString(16)}`);
  }
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
