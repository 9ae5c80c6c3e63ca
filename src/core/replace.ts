// How an apply replaces our table yet keeps its usage record (core/usage.ts)
// in the same one transaction: every rule goes (`flush table`), then every
// object but the record's sets is deleted, then the table block declares
// the new ones. A table deleted whole would take the record with it.
//
// Deleting an object that is not there fails the whole transaction, and
// `destroy` (delete if there) needs Linux 6.3 and nft 1.0.8, newer than
// OpenWrt 22.03 and 23.05 ship; nor can one nft process list the table and
// then act on what it found. So each object is first declared with `add`,
// which does nothing to one that exists and creates a missing one, and then
// deleted. Which objects: those that the script of a config using every
// feature declares (render.ts), read from that script, so an object added
// to the renderer is covered without a list to keep. A declaration must
// match the one in the kernel (type, flags): a set whose type a later
// version changes makes the load fail with EEXIST, and apply then replaces
// the table whole, record included, once (app/apply.ts).

// Read with string tests, not regular expressions: every apply reads some 500
// lines here, and under QuickJS the regular expressions took as long as
// rendering them (0.9 ms vs 0.3 ms now on a PC; a 24Kc router is ~20x slower).
const KINDS = ['set', 'map', 'chain', 'counter', 'quota', 'limit', 'ct helper', 'ct expectation', 'ct timeout', 'flowtable'];
// What a declaration carries besides its name; elements, comments and rules stay out.
const DECLARES = ['type', 'typeof', 'flags', 'timeout', 'size', 'policy', 'auto-merge', 'gc-interval', 'protocol', 'l3proto', 'dport', 'hook', 'devices'];

/** An object's opening line, one tab in ("\tset name {"): its kind and name, else null. */
function opening(line: string): [string, string] | null {
  if (line.charCodeAt(0) !== 9 || line.charCodeAt(1) === 9 || !line.endsWith(' {')) return null;
  const words = line.slice(1, -2).split(' ');
  const name = words.pop()!;
  const kind = words.join(' ');
  return KINDS.indexOf(kind) >= 0 ? [kind, name] : null;
}

/** add-then-delete of every object the table body declares, but those `keep` names. */
export function clearObjects(table: string, body: string[], keep: (kind: string, name: string) => boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < body.length; i++) {
    const object = opening(body[i]);
    if (object === null) continue;
    const [kind, name] = object;
    const decl: string[] = [];
    for (i++; i < body.length && body[i] !== '\t}'; i++) {
      // A property line, two tabs in: its first word says what it is.
      const line = body[i];
      const space = line.indexOf(' ');
      if (kind !== 'chain' && DECLARES.indexOf(line.slice(2, space < 0 ? undefined : space)) >= 0) decl.push(`${line.slice(2)};`);
    }
    if (keep(kind, name)) continue;
    const what = `${kind} ${table} ${name}`;
    out.push(`add ${what}${decl.length ? ` { ${decl.join(' ')} }` : ''}; delete ${what}`);
  }
  return out;
}
