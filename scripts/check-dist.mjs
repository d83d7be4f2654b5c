// Checks the built package the way a consumer meets it: every export in package.json points at
// files that exist, 'use client' sits exactly on the files holding React code, every entry but the
// root imports without React (server-side consumers), and the declarations resolve under node16 and node10.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Usage: node scripts/check-dist.mjs [packageDir]   (a directory with package.json and dist/; the repo by default)
const root = process.argv[2] ? resolve(process.argv[2]) : join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const problems = [];

for (const [subpath, target] of Object.entries(pkg.exports)) {
  const files = typeof target === 'string' ? [target] : Object.values(target);
  if (typeof target === 'object' && Object.keys(target)[0] !== 'types') problems.push(`${subpath}: "types" must come first`);
  for (const file of files) if (!existsSync(join(root, file))) problems.push(`${subpath}: ${file} is missing`);
}

// 'use client' (Rolldown keeps it only on an entry, so the React modules are one entry of their own,
// dist/react/index.js): on every file that holds React components or hooks, i.e. imports React, and
// on no other. A marked file turns everything it exports into client references in a React Server
// Components bundler, so a pure helper (toModelMessages, the core) must never be in one: the root
// entry dist/index.js is a plain module that re-exports the React entry next to those helpers.
const walk = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
const rel = (file) => file.slice(root.length + 1);
const jsFiles = walk(join(root, 'dist')).filter((f) => f.endsWith('.js'));
const importsReact = (code) => /(?:from|import)\s*\(?\s*['"]react(-dom)?(\/[^'"]*)?['"]/.test(code);
const hasDirective = (code) => /^(?:\s|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)*['"]use client['"]/.test(code);
let marked = 0;
for (const file of jsFiles) {
  const code = readFileSync(file, 'utf8');
  if (importsReact(code) && !hasDirective(code)) problems.push(`${rel(file)} imports React but lacks 'use client'`);
  if (!importsReact(code) && hasDirective(code)) problems.push(`${rel(file)} has 'use client' but holds no React code: its exports would be client references on a server`);
  if (hasDirective(code)) marked += 1;
}
if (marked === 0) problems.push("no dist file carries 'use client': the React entry lost it");
// Named re-exports only across the boundary: Next.js has mishandled `export *` of a 'use client' module.
for (const file of jsFiles) {
  for (const m of readFileSync(file, 'utf8').matchAll(/^\s*export\s*\*\s*(?:as\s+\S+\s+)?from\s*['"](\.[^'"]+)['"]/gm)) {
    const target = join(dirname(file), m[1]);
    if (existsSync(target) && hasDirective(readFileSync(target, 'utf8'))) problems.push(`${rel(file)}: \`export *\` from the 'use client' module ${rel(target)}; re-export it by name`);
  }
}

// The entries a server imports (every export but the root) must not reach React or a marked file
// through their imports, static or dynamic (the lazily loaded reconnector); the root may, only
// through an import of a marked file.
const staticImports = (file) =>
  [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|^\s*import\s*['"](\.[^'"]+)['"]|\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/gm)].map((m) =>
    join(dirname(file), m[1] ?? m[2] ?? m[3]),
  );
// A dynamic import() in dist/ must name a file that is there (a lazy chunk the build emitted).
for (const file of jsFiles) {
  for (const m of readFileSync(file, 'utf8').matchAll(/\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
    if (!existsSync(join(dirname(file), m[1]))) problems.push(`${rel(file)}: import('${m[1]}'), a chunk that is not in dist/`);
  }
}
for (const [subpath, target] of Object.entries(pkg.exports)) {
  const entry = typeof target === 'string' ? target : target.import;
  if (!entry?.endsWith('.js') || !existsSync(join(root, entry))) continue;
  const seen = new Set();
  const queue = [join(root, entry)];
  while (queue.length) {
    const file = queue.pop();
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    if (hasDirective(code)) {
      if (seen.size === 1) problems.push(`${subpath}: its entry ${rel(file)} has 'use client', so every helper it exports is a client reference on a server`);
      else if (subpath !== '.') problems.push(`${subpath} reaches ${rel(file)}, a 'use client' module`);
      continue;
    }
    if (importsReact(code)) problems.push(`${subpath} reaches ${rel(file)}, which imports React without 'use client'`);
    queue.push(...staticImports(file));
  }
}

// Declarations: every relative specifier explicit (node16/nodenext), see scripts/dts-specifiers.mjs.
for (const file of walk(join(root, 'dist')).filter((f) => f.endsWith('.d.ts'))) {
  const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  for (const m of code.matchAll(/(?:from\s*|import\s*\(\s*|^\s*import\s*)['"](\.\.?\/[^'"]*)['"]/gm)) {
    if (!m[1].endsWith('.js')) problems.push(`${rel(file)}: relative specifier '${m[1]}' has no extension`);
  }
}

// node10 cannot read "exports": its subpaths resolve through "typesVersions" ("*" → dist/*/index.d.ts),
// so every subpath's types must sit at that place.
for (const [subpath, target] of Object.entries(pkg.exports)) {
  if (subpath === '.' || typeof target !== 'object' || !target.types) continue;
  const expected = `./dist/${subpath.slice(2)}/index.d.ts`;
  if (target.types !== expected) problems.push(`${subpath}: types at ${target.types}, but typesVersions (node10) maps it to ${expected}`);
}

// The testing kit (react-model-stream/testing) imports msw, an optional peer: no other entry may
// reach it or msw, even through a shared chunk.
const importsOf = (file) =>
  [...readFileSync(file, 'utf8').matchAll(/(?:^|[\s;])(?:import|export)\s*(?:[^'"]*?\sfrom\s*)?['"]([^'"]+)['"]/g)].map((m) => m[1]);
for (const [subpath, target] of Object.entries(pkg.exports)) {
  if (subpath === './testing' || typeof target !== 'object' || !target.import) continue;
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file) || !existsSync(file)) return;
    seen.add(file);
    for (const specifier of importsOf(file)) {
      if (/^msw($|\/)/.test(specifier)) problems.push(`${subpath}: ${rel(file)} imports ${specifier}`);
      if (specifier.startsWith('.')) visit(join(dirname(file), specifier));
    }
  };
  visit(join(root, target.import));
  for (const file of seen) if (file.startsWith(join(root, 'dist/testing/'))) problems.push(`${subpath} reaches the testing kit (${rel(file)})`);
}

if (problems.length) {
  console.error(`dist check failed:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log(`dist check: ${Object.keys(pkg.exports).length} exports resolved; 'use client' on ${marked} of ${jsFiles.length} files`);
