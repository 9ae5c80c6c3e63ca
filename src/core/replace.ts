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

const OBJECT = /^\t(set|map|chain|counter|quota|limit|ct helper|ct expectation|ct timeout|flowtable) ([A-Za-z0-9_]+) \{$/;
// What a declaration carries besides its name; elements, comments and rules stay out.
const DECLARES = /^\t\t(type|typeof|flags|timeout|size|policy|auto-merge|gc-interval|protocol|l3proto|dport|hook|devices)\b/;

/** add-then-delete of every object the table body declares, but those `keep` names. */
export function clearObjects(table: string, body: string[], keep: (kind: string, name: string) => boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < body.length; i++) {
    // Most lines are rules, two tabs in.
    const m = body[i].charCodeAt(1) === 9 ? null : OBJECT.exec(body[i]);
    if (!m) continue;
    const decl: string[] = [];
    for (i++; i < body.length && body[i] !== '\t}'; i++) {
      if (m[1] !== 'chain' && DECLARES.test(body[i])) decl.push(`${body[i].slice(2)};`);
    }
    if (keep(m[1], m[2])) continue;
    const what = `${m[1]} ${table} ${m[2]}`;
    out.push(`add ${what}${decl.length ? ` { ${decl.join(' ')} }` : ''}; delete ${what}`);
  }
  return out;
}
