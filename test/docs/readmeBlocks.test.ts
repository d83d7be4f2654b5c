import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The README's code blocks that come from a file are that file. Convention: a fenced block whose
 * first line is a comment naming a path of the repository (`// examples/next/app/page.tsx`) is
 * that file's whole content after that line (trailing newlines aside).
 */
const root = new URL('../../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');

type FileBlock = { path: string; body: string; line: number };

function fileBlocks(markdown: string): FileBlock[] {
  const blocks: FileBlock[] = [];
  const fence = /^```[^\n]*\n([\s\S]*?)^```$/gm;
  for (const match of markdown.matchAll(fence)) {
    const [first = '', ...rest] = match[1]!.split('\n');
    const marker = /^\/\/ ((?:examples|demo|src)\/\S+)$/.exec(first);
    if (!marker) continue;
    blocks.push({ path: marker[1]!, body: rest.join('\n').replace(/\n$/, ''), line: markdown.slice(0, match.index).split('\n').length });
  }
  return blocks;
}

const blocks = fileBlocks(readme);

describe('README.md code blocks marked with a file name', () => {
  it('show the example apps: the Next.js page and routes, the plain Node server and the Vite proxy', () => {
    expect(blocks.map((block) => block.path)).toEqual(
      expect.arrayContaining([
        'examples/next/app/page.tsx',
        'examples/next/lib/model.ts',
        'examples/next/app/api/chat/route.ts',
        'examples/next/app/api/chat/cancel/route.ts',
        'examples/vite/server.mjs',
        'examples/vite/vite.config.js',
      ]),
    );
  });

  it.each(blocks.map((block) => [`${block.path} (README line ${block.line})`, block] as const))('%s is that file', (_name, block) => {
    const file = new URL(block.path, root);
    expect(existsSync(file), `${block.path} exists`).toBe(true);
    const content = readFileSync(file, 'utf8');
    expect(block.body.trimEnd(), `README.md line ${block.line}: the block differs from ${fileURLToPath(file)}`).toBe(content.trimEnd());
  });
});

describe('fileBlocks', () => {
  it('finds a marked block and ignores unmarked ones', () => {
    const markdown = ['text', '```ts', '// examples/a.ts', 'const a = 1;', '```', '```sh', 'npm test', '```', ''].join('\n');
    expect(fileBlocks(markdown)).toEqual([{ path: 'examples/a.ts', body: 'const a = 1;', line: 2 }]);
  });
});
