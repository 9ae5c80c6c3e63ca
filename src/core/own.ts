// Names that come from input (UCI sections and options, JSON keys, rpcd
// methods) looked up in our tables: only own properties count, so
// 'constructor', 'toString' or '__proto__' never find Object.prototype.

export function own<T>(table: Record<string, T>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}
