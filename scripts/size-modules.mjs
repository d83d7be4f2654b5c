// Size of single exports, each bundled alone with its own dependencies (peers external), minified and
// gzipped: `node scripts/size-modules.mjs "src/core/partialJson.ts:createPartialJsonParser" …`.
import { build } from 'vite';
import { gzipSync } from 'node:zlib';
import { writeFileSync, mkdirSync } from 'node:fs';
const root = process.cwd();
const PEERS = [/^react($|\/)/, /^react-dom($|\/)/, /^zustand($|\/)/, /^@tanstack\/react-query($|\/)/];
const items = process.argv.slice(2);
mkdirSync('node_modules/.cache/sz', { recursive: true });
for (const item of items) {
  const [file, names] = item.split(':');
  const entry = `${root}/node_modules/.cache/sz/e.js`;
  writeFileSync(entry, `export { ${names} } from '${root}/${file}';`);
  const out = await build({ root, configFile: false, logLevel: 'silent', publicDir: false, build: { write: false, minify: true, lib: { entry, formats: ['es'], fileName: 'x' }, rolldownOptions: { external: PEERS } } });
  const js = (Array.isArray(out) ? out : [out]).flatMap((o) => o.output).filter((o) => o.type === 'chunk').map((o) => o.code).join('\n');
  console.log(item.padEnd(70), (gzipSync(js, { level: 9 }).length / 1024).toFixed(2), 'KB gz', (js.length / 1024).toFixed(1), 'KB min');
}
