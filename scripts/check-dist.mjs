// Checks the built package the way a consumer meets it: every export in package.json points at
// files that exist, and every entry imports without React (server-side consumers) where it must.
import { existsSync, readFileSync } from 'node:fs';
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

// core/, store/ and server/ must never pull React in.
for (const entry of ['dist/core/index.js', 'dist/store/index.js', 'dist/server/index.js', 'dist/server/redis/index.js']) {
  const file = join(root, entry);
  if (existsSync(file) && /from ['"]react(-dom)?['"]/.test(readFileSync(file, 'utf8'))) problems.push(`${entry} imports React`);
}

if (problems.length) {
  console.error(`dist check failed:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log(`dist check: ${Object.keys(pkg.exports).length} exports resolved`);
