import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** A unit over the limit: a whole file, or one function (its span includes the functions inside it). */
export interface Oversized {
  file: string;
  name: string;
  lines: number;
}

/** The marker a function may carry (in the comment just above it) to stay longer than the limit, with its reason. */
export const EXEMPT_MARKER = 'unit-size: exempt';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function functionName(node: ts.Node): string {
  if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.name) return node.name.getText();
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) return parent.name.getText();
  return '(anonymous)';
}

function isExempt(node: ts.Node, text: string): boolean {
  // The comment sits above the statement that holds the function (`const f = () => …` or
  // `function f`), or above the method itself: a marker covers one unit, never a whole class.
  let holder: ts.Node = node;
  while (holder.parent && !ts.isSourceFile(holder.parent) && !ts.isBlock(holder.parent) && !ts.isClassLike(holder.parent)) holder = holder.parent;
  const ranges = ts.getLeadingCommentRanges(text, holder.getFullStart()) ?? [];
  return ranges.some((range) => text.slice(range.pos, range.end).includes(EXEMPT_MARKER));
}

/** Every file over `maxFileLines` and every function over `maxFunctionLines` under `root` (files in `exemptFiles` skip the file limit). */
export function findOversized(root: string, maxFileLines: number, maxFunctionLines: number, exemptFiles: readonly string[] = []): Oversized[] {
  const found: Oversized[] = [];
  for (const path of sourceFiles(root)) {
    const file = relative(process.cwd(), path);
    const text = readFileSync(path, 'utf8');
    const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
    const fileLines = source.getLineAndCharacterOfPosition(text.length).line + 1;
    if (fileLines > maxFileLines && !exemptFiles.includes(file)) found.push({ file, name: '(file)', lines: fileLines });
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionDeclaration(node) || ts.isArrowFunction(node) || ts.isFunctionExpression(node) || ts.isMethodDeclaration(node)) {
        const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
        const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
        const lines = last - first + 1;
        if (lines > maxFunctionLines && !isExempt(node, text)) found.push({ file, name: functionName(node), lines });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}
