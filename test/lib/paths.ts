// Locations of what `make` builds, shared by the tests.

import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const QJS = `${ROOT}build/qjs`;
export const BUNDLE = `${ROOT}dist/vpn-passthrough.js`;
export const GOLDEN = `${ROOT}test/golden`;
