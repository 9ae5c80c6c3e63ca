// JSON exactly as RFC 8259 has it, on every QuickJS: the 2021-03-27
// JSON.parse also takes `\x41`, `\'`, `\v`, `-01` and `1.`, so a value could
// mean one thing on one router and be refused on the next. The text is
// checked by this scanner first (linear, no recursion), then parsed.

const WS = /[ \t\n\r]*/y;
const NUMBER = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
// Unescaped characters are U+0020 and above, except '"' and '\'.
const STRING = /"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/y;
const LITERAL = /true|false|null/y;

/** Nesting deeper than this is no argument of ours. */
export const MAX_DEPTH = 32;

export class JsonError extends Error {}

function at(re: RegExp, text: string, i: number): number {
  re.lastIndex = i;
  return re.test(text) ? re.lastIndex : -1;
}

/** Checks that text is one JSON value; throws JsonError naming the offset otherwise. */
export function checkJson(text: string): void {
  const closers: string[] = [];
  const fail = (i: number, what: string): never => {
    throw new JsonError(`${what} at offset ${i}`);
  };
  let i = at(WS, text, 0);
  // After a value: a ',' or the closer of the container, or the end.
  for (;;) {
    // A value.
    const c = text[i];
    if (c === '{' || c === '[') {
      if (closers.length >= MAX_DEPTH) fail(i, `nesting deeper than ${MAX_DEPTH}`);
      closers.push(c === '{' ? '}' : ']');
      i = at(WS, text, i + 1);
      if (text[i] === closers[closers.length - 1]) {
        closers.pop();
        i = at(WS, text, i + 1);
      } else {
        if (c === '{') i = member(i);
        continue;
      }
    } else {
      const end = c === '"' ? at(STRING, text, i) : c === '-' || (c >= '0' && c <= '9') ? at(NUMBER, text, i) : at(LITERAL, text, i);
      if (end < 0) fail(i, 'not a JSON value');
      i = at(WS, text, end);
    }
    // What follows a value.
    for (;;) {
      if (closers.length === 0) {
        if (i !== text.length) fail(i, 'more after the value');
        return;
      }
      if (text[i] === ',') {
        i = at(WS, text, i + 1);
        if (closers[closers.length - 1] === '}') i = member(i);
        break;
      }
      if (text[i] !== closers[closers.length - 1]) fail(i, `expected ',' or '${closers[closers.length - 1]}'`);
      closers.pop();
      i = at(WS, text, i + 1);
    }
  }

  /** A member's name and ':'; returns where its value starts. */
  function member(start: number): number {
    const end = at(STRING, text, start);
    if (end < 0) fail(start, 'expected a member name in double quotes');
    const colon = at(WS, text, end);
    if (text[colon] !== ':') fail(colon, "expected ':'");
    return at(WS, text, colon + 1);
  }
}

export function parseJson(text: string): unknown {
  checkJson(text);
  return JSON.parse(text);
}
