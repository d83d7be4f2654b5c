import { afterEach, expect, it, vi } from 'vitest';
import type { StateStorage } from 'zustand/middleware';

// Persisted stores flush their throttled writes when the page is hidden or left, through ONE pair
// of page listeners shared by every store (held weakly: see test/heap/persistedStores.test.ts for
// the store being collectable). `addEventListener` is stubbed on the global, as a window has it.
// The listeners are added once per module instance, with the first store: each test loads the
// store afresh (`vi.resetModules()`), so they are added on that test's page.

async function loadStore() {
  vi.resetModules();
  return (await import('../../src/store')).createMessageStore;
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

function memoryStorage() {
  const items = new Map<string, string>();
  const storage: StateStorage = {
    getItem: (name) => items.get(name) ?? null,
    setItem: (name, value) => void items.set(name, value),
    removeItem: (name) => void items.delete(name),
  };
  return { storage, items };
}

const textOf = (items: Map<string, string>, name: string) => JSON.parse(items.get(name) ?? 'null')?.state.messages.a?.text;

it('20 persisted stores add one pagehide and one visibilitychange listener in all, and a pagehide flushes every one', async () => {
  vi.useFakeTimers();
  const added: [string, () => void][] = [];
  vi.stubGlobal('addEventListener', (type: string, listener: () => void) => added.push([type, listener]));
  const document = { visibilityState: 'visible' };
  vi.stubGlobal('document', document);
  const createMessageStore = await loadStore();
  const { storage, items } = memoryStorage();
  const stores = Array.from({ length: 20 }, (_, i) => createMessageStore({ persist: { storage, name: `s${i}` } }));
  for (const store of stores) {
    store.getState().appendMessage('c', { id: 'a', role: 'assistant', status: 'streaming' });
    store.getState().updateMessage('a', { text: 'shown' }); // throttled: not written yet
  }
  expect(added.map(([type]) => type)).toEqual(['pagehide', 'visibilitychange']);
  expect(stores.map((_, i) => textOf(items, `s${i}`))).toEqual(Array(20).fill(''));

  added.find(([type]) => type === 'visibilitychange')![1](); // still visible: nothing forced
  expect(textOf(items, 's0')).toBe('');
  added.find(([type]) => type === 'pagehide')![1]();
  expect(stores.map((_, i) => textOf(items, `s${i}`))).toEqual(Array(20).fill('shown'));

  for (const store of stores) store.getState().updateMessage('a', { text: 'shown, more' });
  document.visibilityState = 'hidden';
  added.find(([type]) => type === 'visibilitychange')![1]();
  expect(stores.map((_, i) => textOf(items, `s${i}`))).toEqual(Array(20).fill('shown, more'));
});

it("one store whose onError throws does not keep the others from being flushed; the error is reported", async () => {
  vi.useFakeTimers();
  const added: [string, () => void][] = [];
  vi.stubGlobal('addEventListener', (type: string, listener: () => void) => added.push([type, listener]));
  const reported: unknown[] = [];
  vi.stubGlobal('reportError', (error: unknown) => reported.push(error));
  const createMessageStore = await loadStore();
  const good = memoryStorage();
  let full = false;
  const failing: StateStorage = {
    getItem: () => null,
    setItem: () => {
      if (full) throw new Error('quota');
    },
    removeItem: () => {},
  };
  const bad = createMessageStore({
    persist: {
      storage: failing,
      name: 'bad',
      onError: () => {
        throw new Error('onError threw');
      },
    },
  });
  const ok = createMessageStore({ persist: { storage: good.storage, name: 'ok' } });
  for (const store of [bad, ok]) {
    store.getState().appendMessage('c', { id: 'a', role: 'assistant', status: 'complete' }); // written at once
  }
  full = true; // from now on the bad store's storage throws, and its onError too
  bad.getState().updateMessage('a', { text: 'x' });
  ok.getState().updateMessage('a', { text: 'kept' });
  added.find(([type]) => type === 'pagehide')![1]();
  expect(textOf(good.items, 'ok')).toBe('kept');
  expect(reported.map((error) => (error as Error).message)).toEqual(['onError threw']);
});
