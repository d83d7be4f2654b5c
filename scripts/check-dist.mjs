// Checks the built package the way a consumer meets it: every export in package.json points at
// files that exist, and every entry imports without React (server-side consumers) where it must.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const problems = [];

for (const [subpath, target] of Object.entries(pkg.exports)) {
  const files = typeof target === 'string' ? [target] : Object.values(target);
  if (typeof target === 'object' && Object.keys(target)[0] !== 'types') problems.push(`${subpath}: "types" must come first`);
  for (const file of files) if (!existsSync(join(root, file))) problems.push(`${subpath}: ${file} is missing`);
}

// 'use client' must survive bundling on the React entry (Rolldown drops it from non-entry modules).
const reactEntry = join(root, 'dist/index.js');
if (existsSync(reactEntry) && /from ['"]react['"]/.test(readFileSync(reactEntry, 'utf8'))) {
  if (!/^['"]use client['"];?/.test(readFileSync(reactEntry, 'utf8'))) problems.push("dist/index.js imports React but lacks 'use client'");
}

// core/, store/ and server/ (and every shared chunk) must never pull React in: only the React entry may.
const walk = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
for (const file of walk(join(root, 'dist')).filter((f) => f.endsWith('.js') && f !== reactEntry)) {
  if (/from ['"]react(-dom)?(\/[^'"]*)?['"]/.test(readFileSync(file, 'utf8'))) problems.push(`${file.slice(root.length + 1)} imports React`);
}

if (problems.length) {
  console.error(`dist check failed:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log(`dist check: ${Object.keys(pkg.exports).length} exports resolved`);
