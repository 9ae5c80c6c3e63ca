// The UCI file format (libuci's syntax): parsed with line numbers so errors
// can point at file:line, and edited line by line so comments survive `set`.

export interface UciOption {
  name: string;
  values: string[];
  isList: boolean;
  line: number;
  /** Every line that contributed a value, for edits. */
  lines: number[];
}

export interface UciSection {
  type: string;
  name?: string;
  /** Position among sections of the same type, as in uci's `@type[n]`. */
  index: number;
  /** The header line (the first one, when the section is declared again). */
  line: number;
  /** Last line that belongs to the section (options, or the latest header). */
  lastLine: number;
  options: UciOption[];
}

export interface UciDocument {
  file: string;
  lines: string[];
  sections: UciSection[];
}

export class UciSyntaxError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
  }
}

const NAME = /^[A-Za-z0-9_]+$/;

/**
 * A word of a line that is not UCI, quoted in an error only when it could
 * be a name: the path may point at any file (errors travel over ubus too),
 * and a line of /etc/shadow is no one's business.
 */
function shown(word: string): string {
  return /^[A-Za-z0-9_.-]{1,32}$/.test(word) ? `"${word}"` : `(${word.length} characters, not shown)`;
}
const TYPE = /^[A-Za-z0-9_-]+$/;

// A run of characters that are neither blanks, quotes nor backslashes ('#'
// only starts a comment where a word would start).
const PLAIN = /[^ \t\r'";\\]+/y;
const QUOTED_END = /["\\]/g;

/**
 * Splits one line into words, honouring quotes, escapes and comments. Words
 * are built from slices, never a character at a time: linear in the line,
 * however long one value is.
 */
function tokenize(text: string, file: string, line: number): string[] {
  const words: string[] = [];
  let word: string[] | null = null;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\r') {
      if (word !== null) words.push(word.join(''));
      word = null;
      i++;
      continue;
    }
    if (c === '#' && word === null) break;
    word = word ?? [];
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new UciSyntaxError(file, line, 'unterminated single quote');
      word.push(text.slice(i + 1, end));
      i = end + 1;
    } else if (c === '"') {
      // Inside double quotes a backslash takes the next character as it is.
      for (i++; ; ) {
        QUOTED_END.lastIndex = i;
        const m = QUOTED_END.exec(text);
        if (m === null || (m[0] === '\\' && m.index + 1 >= text.length)) {
          throw new UciSyntaxError(file, line, 'unterminated double quote');
        }
        word.push(text.slice(i, m.index));
        if (m[0] === '"') {
          i = m.index + 1;
          break;
        }
        word.push(text[m.index + 1]);
        i = m.index + 2;
      }
    } else if (c === '\\') {
      // Outside quotes too. At the end of a line libuci joins the next one to it.
      if (i + 1 === text.length || (i + 2 === text.length && text[i + 1] === '\r')) throw new UciSyntaxError(file, line, "a line ending in '\\' continues on the next one in libuci: write the statement on one line");
      word.push(text[i + 1]);
      i += 2;
    } else if (c === ';') {
      throw new UciSyntaxError(file, line, "an unquoted ';' separates statements in libuci: put each on a line of its own, or quote the value");
    } else {
      PLAIN.lastIndex = i;
      PLAIN.test(text);
      word.push(text.slice(i, PLAIN.lastIndex));
      i = PLAIN.lastIndex;
    }
  }
  if (word !== null) words.push(word.join(''));
  return words;
}

/**
 * Parses a UCI file as libuci does (openwrt/uci file.c, uci_parse_config):
 * a named section declared again continues the first one (its options are
 * set on it, later values replacing earlier ones, lists appending), and with
 * another type it is an error, as in libuci's default strict mode.
 */
export function parseUci(text: string, file: string): UciDocument {
  const lines = text.split('\n');
  const sections: UciSection[] = [];
  const named = new Map<string, UciSection>();
  const perType = new Map<string, number>();
  let current: UciSection | null = null;
  lines.forEach((raw, i) => {
    const line = i + 1;
    const words = tokenize(raw, file, line);
    if (words.length === 0) return;
    const [keyword, ...args] = words;
    // libuci checks only that what follows a statement is empty: a trailing '' is no argument.
    while (args.length > (keyword === 'package' ? 1 : 2) && args[args.length - 1] === '') args.pop();
    const fail = (reason: string): never => {
      throw new UciSyntaxError(file, line, reason);
    };
    // libuci reads a keyword only as a bare word, never quoted or escaped.
    if (/^(package|config|option|list)$/.test(keyword) && !new RegExp(`^[ \\t]*${keyword}([ \\t\\r]|$)`).test(raw)) {
      fail(`the keyword "${keyword}" is written bare, not quoted or escaped`);
    }
    switch (keyword) {
      case 'package':
        if (args.length !== 1) fail('"package" takes one name');
        return;
      case 'config': {
        if (args.length < 1 || args.length > 2) fail('"config" takes a type and an optional name');
        const [type, name] = args;
        if (!TYPE.test(type)) fail(`invalid section type ${shown(type)} (letters, digits, "_" and "-" only)`);
        if (name !== undefined) {
          if (!NAME.test(name)) fail(`invalid section name ${shown(name)} (letters, digits and "_" only)`);
          const earlier = named.get(name);
          if (earlier !== undefined) {
            if (earlier.type !== type) {
              fail(`section "${name}" is a "${earlier.type}" on line ${earlier.line}; a section of another type cannot take its name`);
            }
            // libuci sets the same section again: what follows adds to it.
            current = earlier;
            current.lastLine = line;
            return;
          }
        }
        const index = perType.get(type) ?? 0;
        perType.set(type, index + 1);
        current = { type, name, index, line, lastLine: line, options: [] };
        sections.push(current);
        if (name !== undefined) named.set(name, current);
        return;
      }
      case 'option':
      case 'list': {
        if (current === null) return fail(`"${keyword}" before any "config" line`);
        if (args.length !== 2) fail(`"${keyword}" takes a name and one value (quote values with spaces)`);
        const [name, value] = args;
        if (!NAME.test(name)) fail(`invalid option name ${shown(name)} (letters, digits and "_" only)`);
        const isList = keyword === 'list';
        const existing = current.options.find((o) => o.name === name);
        if (existing === undefined) {
          current.options.push({ name, values: [value], isList, line, lines: [line] });
        } else if (isList) {
          existing.values.push(value);
          existing.isList = true;
          existing.lines.push(line);
        } else {
          // A later "option" replaces what came before, as in libuci.
          existing.values = [value];
          existing.isList = false;
          existing.line = line;
          existing.lines.push(line);
        }
        current.lastLine = line;
        return;
      }
      default:
        fail(`unknown keyword ${shown(keyword)} (expected config, option or list)`);
    }
  });
  return { file, lines, sections };
}

/** Quotes a value the way `uci export` does. */
export function quoteUci(value: string): string {
  return `'${value.replace(/'/g, "'\\''")}'`;
}

export interface UciChange {
  section: string;
  type: string;
  option: string;
  /** The type has one section, found by type whatever its name (e.g. an anonymous "config global"). */
  single?: boolean;
  /** A string sets an option, an array a list, null removes it. */
  value: string | string[] | null;
}

/** Applies changes to the document's text, keeping every untouched line as it was. */
export function editUci(doc: UciDocument, changes: UciChange[]): string {
  let text = doc.lines.join('\n');
  for (const change of changes) {
    text = applyChange(parseUci(text, doc.file), change);
  }
  return text;
}

function renderOption(option: string, value: string | string[]): string[] {
  return Array.isArray(value)
    ? value.map((v) => `\tlist ${option} ${quoteUci(v)}`)
    : [`\toption ${option} ${quoteUci(value)}`];
}

function applyChange(doc: UciDocument, change: UciChange): string {
  const lines = doc.lines.slice();
  const section = change.single
    ? doc.sections.find((s) => s.type === change.type)
    : doc.sections.find((s) => s.name === change.section);
  const fresh = change.value === null ? [] : renderOption(change.option, change.value);
  if (section === undefined) {
    if (change.value === null) return lines.join('\n');
    while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
    if (lines.length > 0) lines.push('');
    lines.push(`config ${change.type} ${quoteUci(change.section)}`, ...fresh, '');
    return lines.join('\n');
  }
  const existing = section.options.find((o) => o.name === change.option);
  if (existing === undefined) {
    lines.splice(section.lastLine, 0, ...fresh);
    return lines.join('\n');
  }
  const first = existing.lines[0] - 1;
  const drop = new Set(existing.lines.map((l) => l - 1));
  const out: string[] = [];
  lines.forEach((line, i) => {
    if (i === first) out.push(...fresh);
    else if (!drop.has(i)) out.push(line);
  });
  return out.join('\n');
}
