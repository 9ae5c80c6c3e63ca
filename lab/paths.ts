// Locations of what `make` builds. One level below the root both as source
// (lab/) and bundled for `make lab` (build/), so the same URL works for both.

import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const QJS = `${ROOT}build/qjs`;
export const BUNDLE = `${ROOT}dist/vpn-passthrough.js`;
/** The bundle's files in dist/ (the entry and the chunks it imports): what a copy of it takes. */
export function bundleFiles(): string[] {
  return readdirSync(`${ROOT}dist`).filter((f) => /^vpn-passthrough(-[\w-]+)?\.js$/.test(f)).sort();
}
export const PEERS = `${ROOT}lab/peers`;
/** Debian's python, which has scapy; not a pyenv shim that lacks it. */
export const PYTHON = '/usr/bin/python3';
