import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// docs/testing.md shows the example files verbatim: each `<!-- example: path -->` marker is followed
// by a fenced block that must be that file, byte for byte (but for the final newline).

const root = fileURLToPath(new URL('../../', import.meta.url));
const doc = readFileSync(`${root}docs/testing.md`, 'utf8');
const examples = [...doc.matchAll(/<!-- example: (\S+) -->\n```\w*\n([\s\S]*?)\n```\n/g)].map((m) => ({ path: m[1]!, block: m[2]! }));

describe('docs/testing.md', () => {
  it('shows both example files', () => {
    expect(examples.map((e) => e.path)).toEqual(['test/testing/example/Chat.tsx', 'test/testing/example/Chat.test.tsx']);
  });

  for (const { path, block } of examples) {
    it(`shows ${path} verbatim`, () => {
      expect(block).toBe(readFileSync(`${root}${path}`, 'utf8').replace(/\n$/, ''));
    });
  }
});
