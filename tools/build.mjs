// Bundles src/ into dist/vpn-passthrough.js: one ES module for QuickJS
// 2021-03-27 and newer (ES2020, only the std and os host modules).

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
  logLevel: 'warning',
});

console.log(`${outfile}: ${statSync(outfile).size} bytes`);
