import { expect, it, vi } from 'vitest';
import type { StateStorage } from 'zustand/middleware';
import { createMessageStore } from '../../src/store';

// A persisted store must not be kept alive by the page: its pagehide / visibilitychange flush is
// held weakly (src/store/flushOnPageHide.ts). 200 persisted stores, each with a streamed message,
// are created and dropped under a window-like global whose listeners are held strongly, as a real
// window holds them; after gc() every store must be gone, while a store still in use is still
// flushed on pagehide. Runs in the `heap` project (--expose-gc).

it('200 persisted stores, dropped, are collected; a live one is still flushed on pagehide', async () => {
  expect(typeof globalThis.gc).toBe('function');
  const listeners: [string, () => void][] = [];
  vi.stubGlobal('addEventListener', (type: string, listener: () => void) => listeners.push([type, listener]));
  const items = new Map<string, string>();
  const storage: StateStorage = {
    getItem: (name) => items.get(name) ?? null,
    setItem: (name, value) => void items.set(name, value),
    removeItem: (name) => void items.delete(name),
  };
  try {
    const refs: WeakRef<object>[] = [];
    (() => {
      for (let i = 0; i < 200; i++) {
        const store = createMessageStore({ persist: { storage, name: `dropped-${i}` } });
        store.getState().appendMessage('c', { id: 'a', role: 'assistant', status: 'streaming', text: 'x'.repeat(1000) });
        refs.push(new WeakRef(store));
      }
    })();
    const live = createMessageStore({ persist: { storage, name: 'live' } });
    live.getState().appendMessage('c', { id: 'a', role: 'assistant', status: 'streaming' });
    live.getState().updateMessage('a', { text: 'kept' }); // throttled

    for (let i = 0; i < 10 && refs.some((ref) => ref.deref()); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      globalThis.gc!();
    }
    const alive = refs.filter((ref) => ref.deref()).length;
    console.info(`[heap] persisted stores still alive after gc(): ${alive} of 200; page listeners: ${listeners.length}`);
    expect(alive).toBe(0);
    expect(listeners.length).toBeLessThanOrEqual(2);

    for (const [type, listener] of listeners) if (type === 'pagehide') listener();
    expect(JSON.parse(items.get('live')!).state.messages.a.text).toBe('kept');
  } finally {
    vi.unstubAllGlobals();
  }
});
