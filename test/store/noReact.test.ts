import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

// zustand's own trick (tests/vanilla/basic.test.ts): make importing React fail, then load the layer.
vi.mock('react', () => {
  throw new Error('store must not import react');
});

const storeDir = join(import.meta.dirname, '../../src/store');

describe('store/ layering', () => {
  it('the React mock is active (so the next test could fail)', async () => {
    const failure = await import('react').then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    const cause = (failure as Error).cause as Error | undefined;
    expect(`${(failure as Error).message} ${cause?.message ?? ''}`).toContain('store must not import react');
  });

  it('loads and works without React', async () => {
    const { createMessageStore, getConversationMessages } = await import('../../src/store');
    const store = createMessageStore({
      persist: { storage: { getItem: () => null, setItem: () => {}, removeItem: () => {} } },
    });
    store.getState().appendMessage('c', { role: 'user', text: 'no react here' });
    expect(getConversationMessages(store.getState(), 'c')).toHaveLength(1);
  });

  it("imports only zustand (vanilla, middleware), its own files, types from core/ and core/internal's import-free helpers", () => {
    const files = readdirSync(storeDir).filter((file) => file.endsWith('.ts'));
    expect(files).toContain('index.ts');
    for (const file of files) {
      const source = readFileSync(join(storeDir, file), 'utf8');
      for (const match of source.matchAll(/^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
        const [statement, , typeOnly, specifier] = match;
        if (specifier === undefined) continue;
        const where = `${file}: ${statement.trim()}`;
        if (specifier.startsWith('./')) continue;
        if (specifier.startsWith('../core/internal/') && !typeOnly) {
          // The shared helpers (`report`, `toError`, `createDeferred`) may be loaded: each imports
          // nothing, so it cannot pull the session (or anything else of core/) into the store's bundle.
          const helper = readFileSync(join(storeDir, `${specifier}.ts`), 'utf8');
          expect(helper, `${where} (a core/internal helper the store loads imports nothing)`).not.toMatch(/^\s*(import|export)\s[^;]*?from\s/m);
          continue;
        }
        if (specifier.startsWith('../core/')) {
          expect(typeOnly, `${where} (core/ is imported for types only)`).toBeDefined();
          continue;
        }
        expect(['zustand/vanilla', 'zustand/middleware'], where).toContain(specifier);
      }
      expect(source, file).not.toMatch(/(from|import)\s*\(?\s*['"](react|react-dom|react\/[^'"]*|\.\.\/react(\/[^'"]*)?)['"]/);
    }
  });
});
