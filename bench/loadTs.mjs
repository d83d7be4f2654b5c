// Imports the project's TypeScript from plain `node` (Node 20 cannot strip types, and tsx/esbuild
// are not dependencies): each .ts/.tsx file and, recursively, every relative import it makes is
// transpiled with the TypeScript API (`ts.transpileModule`, no type checking) into
// `node_modules/.cache/rms-bench/<run>/`, then dynamic-imported.
//
// Why there: bare specifiers ('react', 'eventsource-parser') stay as they are and resolve by
// walking up to the project's node_modules. Files are written as `.mjs` because Node does not look
// past a `node_modules` directory for a package.json "type", so `.js` would load as CommonJS.
// Each process gets its own directory (removed at exit), so concurrent runs never collide.
//
// Usage: const { createParser } = await importTs('src/core/partialJson.ts');

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

/** The project root (this file lives in `<root>/bench/`). */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts'];

let outRoot;
/** Source path → output path, so shared and circular imports are transpiled once. */
const emitted = new Map();

function outputRoot() {
  if (outRoot === undefined) {
    const cacheDir = join(projectRoot, 'node_modules', '.cache', 'rms-bench');
    mkdirSync(cacheDir, { recursive: true });
    outRoot = mkdtempSync(join(cacheDir, 'run-'));
    process.once('exit', () => rmSync(outRoot, { recursive: true, force: true }));
  }
  return outRoot;
}

function isFile(path) {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Resolves a relative specifier the way the project's bundler resolution does: exact file,
 * `.js`/`.mjs` written for a `.ts`/`.mts` file, added extension, or a directory's `index`.
 * Returns undefined when no TypeScript source matches (the specifier is then left alone).
 */
function resolveSource(fromFile, specifier) {
  const base = resolve(dirname(fromFile), specifier);
  const candidates = [];
  const ext = extname(base);
  if (SOURCE_EXTENSIONS.includes(ext)) candidates.push(base);
  if (ext === '.js' || ext === '.jsx') candidates.push(base.slice(0, -ext.length) + '.ts', base.slice(0, -ext.length) + '.tsx');
  if (ext === '.mjs') candidates.push(base.slice(0, -4) + '.mts');
  for (const e of SOURCE_EXTENSIONS) candidates.push(base + e);
  for (const e of SOURCE_EXTENSIONS) candidates.push(join(base, 'index' + e));
  return candidates.find(isFile);
}

function outputPathFor(sourcePath) {
  const rel = relative(projectRoot, sourcePath);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new Error(`importTs: ${sourcePath} is outside the project`);
  return join(outputRoot(), rel.slice(0, -extname(rel).length) + '.mjs');
}

function relativeSpecifier(fromOut, toOut) {
  let spec = relative(dirname(fromOut), toOut).split(sep).join('/');
  if (!spec.startsWith('.')) spec = './' + spec;
  return spec;
}

function emit(sourcePath) {
  const known = emitted.get(sourcePath);
  if (known !== undefined) return known;
  const outPath = outputPathFor(sourcePath);
  emitted.set(sourcePath, outPath); // before recursing: handles import cycles

  let source = readFileSync(sourcePath, 'utf8');
  // preProcessFile finds every module specifier (static imports, re-exports, dynamic import()
  // with a literal, import type) with its position, so rewriting needs no regex.
  const { importedFiles } = ts.preProcessFile(source, true, true);
  const rewrites = [];
  for (const ref of importedFiles) {
    if (!ref.fileName.startsWith('./') && !ref.fileName.startsWith('../')) continue; // bare: leave it
    const target = resolveSource(sourcePath, ref.fileName);
    if (target === undefined) continue; // e.g. a .json or .js file: leave it
    // `pos` is the opening quote in current TypeScript versions; check rather than trust it.
    const start = source[ref.pos] === '"' || source[ref.pos] === "'" ? ref.pos + 1 : ref.pos;
    if (source.slice(start, start + ref.fileName.length) !== ref.fileName) {
      throw new Error(`importTs: cannot locate the specifier '${ref.fileName}' in ${sourcePath}`);
    }
    rewrites.push({ pos: start, end: start + ref.fileName.length, text: relativeSpecifier(outPath, emit(target)) });
  }
  rewrites.sort((a, b) => b.pos - a.pos);
  for (const r of rewrites) source = source.slice(0, r.pos) + r.text + source.slice(r.end);

  const { outputText } = ts.transpileModule(source, {
    fileName: sourcePath,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      jsx: ts.JsxEmit.ReactJSX,
      sourceMap: false,
      inlineSourceMap: true,
      inlineSources: true,
    },
  });
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, outputText);
  return outPath;
}

/**
 * Transpiles `path` (absolute, or relative to the project root) and its relative TypeScript
 * imports, then imports it. Repeated calls in one process reuse the transpiled files.
 * @param {string} path
 * @returns {Promise<any>} the module namespace
 */
export async function importTs(path) {
  const sourcePath = resolve(projectRoot, path);
  if (!existsSync(sourcePath)) throw new Error(`importTs: no such file ${sourcePath}`);
  return import(pathToFileURL(emit(sourcePath)).href);
}
