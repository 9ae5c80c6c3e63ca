// Bundles src/ into dist/vpn-passthrough.js and the chunks it imports,
// dist/vpn-passthrough-*.js: ES modules for QuickJS 2021-03-27 and newer
// (ES2020, only the std and os host modules). QuickJS compiles every byte
// it loads at every start, and its time follows the size (on a slow router
// CPU that is most of a command's cost): so the code is minified and split,
// each command's modules behind an import() (src/main.ts), and shared code
// in chunks of its own. Names are kept so that an error's stack still reads.

import { build } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const outdir = 'dist';
const isOutput = (name) => /^vpn-passthrough(-[\w-]+)?\.js$/.test(name);
mkdirSync(outdir, { recursive: true });
// Chunks are named by their content: a stale one would be packaged too.
for (const name of readdirSync(outdir, { withFileTypes: true })) {
  if (name.isFile() && isOutput(name.name)) rmSync(`${outdir}/${name.name}`);
}

const result = await build({
  entryPoints: { 'vpn-passthrough': 'src/main.ts' },
  outdir,
  chunkNames: 'vpn-passthrough-[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2020',
  external: ['std', 'os'],
  banner: { js: `// vpn-passthrough ${version}, bundled from the TypeScript sources in src/.` },
  legalComments: 'none',
  minify: true,
  keepNames: true,
  logLevel: 'warning',
  metafile: true,
});
// What each chunk holds and imports: tools/bundle-loads.mjs reads it.
mkdirSync('build', { recursive: true });
writeFileSync('build/bundle-meta.json', JSON.stringify(result.metafile));

const files = readdirSync(outdir).filter(isOutput);
const total = files.reduce((sum, name) => sum + statSync(`${outdir}/${name}`).size, 0);
console.log(`${outdir}/vpn-passthrough*.js: ${files.length} files, ${total} bytes`);
