// Bundles src/ into dist/vpn-passthrough.js: one ES module for QuickJS
// 2021-03-27 and newer (ES2020, only the std and os host modules).
// Minified: QuickJS compiles the whole file at every start, and its time
// follows the size (on a slow router CPU that is most of a command's cost).
// Names are kept so that an uncaught error's stack still reads.

import { build } from 'esbuild';
import { readFileSync, statSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const outfile = 'dist/vpn-passthrough.js';

await build({
  entryPoints: ['src/main.ts'],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2020',
  external: ['std', 'os'],
  banner: { js: `// vpn-passthrough ${version}, bundled from the TypeScript sources in src/.` },
  legalComments: 'none',
  minify: true,
  keepNames: true,
  logLevel: 'warning',
});

console.log(`${outfile}: ${statSync(outfile).size} bytes`);
