import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

// The turns layer is framework-agnostic: make React (and TanStack Query's React package, which
// imports it) fail to load, then load the layer. Its imports stay within core/ and store/.
vi.mock('react', () => {
  throw new Error('turns must not import react');
});
vi.mock('@tanstack/react-query', () => {
  throw new Error('turns must not import @tanstack/react-query');
});

const turnsDir = join(import.meta.dirname, '../../src/turns');

describe('turns/ layering', () => {
  it('loads and runs without React', async () => {
    const { createTurnController } = await import('../../src/turns/createTurnController');
    const controller = createTurnController({ api: '/chat', fetch: () => Promise.reject(new Error('offline')) }, (_, cancel) => cancel);
    const final = await controller.start('Hi', null);
    expect(final).toMatchObject({ status: 'incomplete', incomplete: { reason: 'error' } });
  });

  it('imports only core/, store/ (never zustand itself) and its own files', () => {
    for (const file of readdirSync(turnsDir).filter((f) => f.endsWith('.ts'))) {
      const source = readFileSync(join(turnsDir, file), 'utf8');
      for (const [, specifier] of source.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
        expect(specifier, `${file}: ${specifier}`).toMatch(/^(\.\/|\.\.\/core\/|\.\.\/store\/(?!index))/);
      }
    }
  });
});
