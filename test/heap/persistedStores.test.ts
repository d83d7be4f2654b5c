import { expect, it, vi } from 'vitest';
import type { StateStorage } from 'zustand/middleware';
import { createMessageStore } from '../../src/store';

// A persisted store must not be kept alive by the page: its pagehide / visibilitychange flush is
// held weakly (src/store/flushOnPageHide.ts), and so is its cross-tab storage handler
// (src/store/onOtherTabWrite.ts). 200 persisted stores, each with a streamed message,
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
        // Half of them also listen to other tabs' writes (the storage event, src/store/onOtherTabWrite.ts).
        const store = createMessageStore({ persist: { storage, name: `dropped-${i}`, crossTab: i % 2 === 0 } });
        store.getState().appendMessage('c', { id: 'a', role: 'assistant', status: 'streaming', text: 'x'.repeat(1000) });
        refs.push(new WeakRef(store));
      }
    })();
    const live = createMessageStore({ persist: { storage, name: 'live', crossTab: true } });
    live.getState().appendMessage('c', { id: 'a', role: 'assistant', status: 'streaming' });
    live.getState().updateMessage('a', { text: 'kept' }); // throttled

    for (let i = 0; i < 10 && refs.some((ref) => ref.deref()); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      globalThis.gc!();
    }
    const alive = refs.filter((ref) => ref.deref()).length;
    console.info(`[heap] persisted stores still alive after gc(): ${alive} of 200; page listeners: ${listeners.length}`);
    expect(alive).toBe(0);
    expect(listeners.length).toBeLessThanOrEqual(3); // pagehide, visibilitychange, storage

    for (const [type, listener] of listeners) if (type === 'pagehide') listener();
    expect(JSON.parse(items.get('live')!).state.messages.a.text).toBe('kept');
    // The live store still hears other tabs (its handler was not collected with the dropped ones).
    const other = { conversations: { c: { id: 'c', messageIds: ['a', 'b'], createdAt: 1, updatedAt: Date.now() + 1000 } }, messages: { ...JSON.parse(items.get('live')!).state.messages, b: { id: 'b', role: 'user', text: 'from another tab', reasoning: '', toolCalls: [], usage: null, status: 'complete', finishReason: null, createdAt: 1, updatedAt: 1 } } };
    for (const [type, listener] of listeners) {
      if (type === 'storage') (listener as (event: unknown) => void)({ key: 'live', newValue: JSON.stringify({ state: other, version: 0, rev: 1000 }), storageArea: null });
    }
    expect(live.getState().messages.b?.text).toBe('from another tab');
  } finally {
    vi.unstubAllGlobals();
  }
});
