// Build step after `tsc -p tsconfig.build.json`: gives every relative module specifier in the
// emitted declarations (dist/**/*.d.ts) the explicit extension that `moduleResolution: "node16"` /
// `"nodenext"` require (`./types` → `./types.js`, `./core/index` → `./core/index.js`). Without it a
// node16 consumer gets TS2834, or with `skipLibCheck: true` silently `any` for whatever lies behind it.
//
// Why a post-step rather than `.js` (or `.ts` + `rewriteRelativeImportExtensions`) in the sources:
// the sources stay extensionless and readable for a bundler-resolved codebase, no mass edit of
// every import, and it holds for any file or entry added later (it walks dist/, no list). The
// specifiers are found with TypeScript's own parser (imports, re-exports, `import("…")` types,
// `declare module "…"`), and each is resolved against the emitted files: a specifier that matches
// no declaration file fails the build instead of being guessed.
//
// Usage: node scripts/dts-specifiers.mjs [dir]   (dir defaults to dist/)
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** `./x` → `./x.js` or `./x/index.js`, from the declaration files next to `file`; null when none. */
export function withExtension(specifier, file) {
  if (/\.(c|m)?js$/.test(specifier)) return specifier;
  const base = resolve(dirname(file), specifier);
  if (existsSync(`${base}.d.ts`)) return `${specifier}.js`;
  if (existsSync(join(base, 'index.d.ts'))) return `${specifier.replace(/\/$/, '')}/index.js`;
  return null;
}

/** The relative specifiers of one declaration file, with their positions (inside the quotes). */
function relativeSpecifiers(text, file) {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found = [];
  const add = (node) => {
    if (node && ts.isStringLiteralLike(node) && /^\.\.?(\/|$)/.test(node.text)) found.push({ text: node.text, start: node.getStart(source) + 1, end: node.getEnd() - 1 });
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    else if (ts.isModuleDeclaration(node)) add(node.name);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node.moduleReference.expression);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

export function rewriteDeclarations(dir) {
  const walk = (d) => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
  const problems = [];
  let files = 0;
  let rewritten = 0;
  for (const file of walk(dir).filter((f) => f.endsWith('.d.ts'))) {
    const text = readFileSync(file, 'utf8');
    let out = text;
    // From the end, so earlier positions stay valid.
    for (const { text: specifier, start, end } of relativeSpecifiers(text, file).reverse()) {
      const next = withExtension(specifier, file);
      if (next === null) problems.push(`${relative(root, file)}: '${specifier}' matches no declaration file`);
      else if (next !== specifier) {
        out = out.slice(0, start) + next + out.slice(end);
        rewritten += 1;
      }
    }
    if (out !== text) writeFileSync(file, out);
    files += 1;
  }
  return { files, rewritten, problems };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = resolve(root, process.argv[2] ?? 'dist');
  const { files, rewritten, problems } = rewriteDeclarations(dir);
  if (problems.length) {
    console.error(`declaration specifiers:\n- ${problems.join('\n- ')}`);
    process.exit(1);
  }
  console.log(`declaration specifiers: ${rewritten} made explicit in ${files} files`);
}
