// The pieces of nft's script syntax that the renderers share: lists,
// chains and the sets and maps that the packet path fills.

export const T = '\t';

export function list(items: string[]): string {
  return `{ ${items.join(', ')} }`;
}

export function chain(name: string, rules: string[], comment?: string): string[] {
  const head = comment ? [`${T}# ${comment}`] : [];
  return [...head, `${T}chain ${name} {`, ...rules.map((r) => `${T}${T}${r}`), `${T}}`, ''];
}

/**
 * A set (a map when type is `key : value`) that the packet path fills as it
 * goes; elements expire `timeout` after they were last seen.
 */
export function dynamicSet(name: string, type: string, comment: string, timeout = '10m'): string[] {
  return [
    ...(comment ? [`${T}# ${comment}`] : []),
    `${T}${type.indexOf(' : ') >= 0 ? 'map' : 'set'} ${name} {`,
    `${T}${T}type ${type}`,
    `${T}${T}flags dynamic, timeout`,
    `${T}${T}timeout ${timeout}`,
    `${T}${T}size 1024`,
    `${T}}`,
    '',
  ];
}
