import { afterEach, expect, test, vi } from 'vitest';
import type { StateStorage } from 'zustand/middleware';
import type { MessageStore } from '../../src/store/index';

// The merge of another tab's write is a chunk of its own, requested at the first `storage` event
// of a page (docs/size.md, "The cross-tab merge, loaded lazily"): a page alone on its storage never
// downloads it. Its `import()` target is mocked here only to hold its load open (or fail it, as a
// chunk that cannot be fetched); its code is the real one. Each tab is a fresh module instance (the
// page's cache starts empty), with its own page (a stubbed `addEventListener`).

const MERGE = '../../src/store/lazy/applyOtherTabWrite';
const WAIT = { timeout: 5_000, interval: 5 };

afterEach(() => {
  vi.doUnmock(MERGE);
  vi.unstubAllGlobals();
  vi.resetModules();
});

type Listener = (event: { key: string; newValue: string; storageArea: null }) => void;

/** Tabs on one storage key; each write is queued for the other tabs until `deliver(tab)`. */
function createTabs() {
  const items = new Map<string, string>();
  const pages = new Map<string, { listeners: Listener[]; inbox: { key: string; newValue: string }[] }>();
  const storageFor = (tab: string): StateStorage => ({
    getItem: (name) => items.get(name) ?? null,
    setItem: (name, value) => {
      items.set(name, value);
      for (const [other, page] of pages) if (other !== tab) page.inbox.push({ key: name, newValue: value });
    },
    removeItem: (name) => void items.delete(name),
  });
  return {
    async open(tab: string): Promise<MessageStore> {
      vi.resetModules();
      const page = { listeners: [] as Listener[], inbox: [] };
      pages.set(tab, page);
      vi.stubGlobal('addEventListener', (type: string, listener: Listener) => void (type === 'storage' && page.listeners.push(listener)));
      try {
        const { createMessageStore } = await import('../../src/store/index');
        return createMessageStore({ persist: { name: 'chat', storage: storageFor(tab), throttleMs: 0, crossTab: true } });
      } finally {
        vi.unstubAllGlobals();
      }
    },
    /** Hands `tab` the other tabs' writes, in order, as `storage` events. */
    deliver(tab: string) {
      const page = pages.get(tab)!;
      for (const event of page.inbox.splice(0)) for (const listener of page.listeners) listener({ ...event, storageArea: null });
    },
  };
}

/** The merge's chunk for the next tab opened: held until `release()`, or failing while `failing.now`; `loads` counts its requests. */
function holdMerge(fail = false) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const loads = { count: 0 };
  const failing = { now: fail };
  vi.doMock(MERGE, async () => {
    loads.count++;
    if (failing.now) throw new Error('Failed to fetch dynamically imported module');
    await gate;
    return vi.importActual(MERGE);
  });
  return { release, loads, failing };
}

const texts = (store: MessageStore) => Object.values(store.getState().messages).map((message) => message.text);
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

test('a page alone on its storage never requests the merge', async () => {
  const tabs = createTabs();
  const { loads } = holdMerge();
  const store = await tabs.open('A');
  store.getState().appendMessage('trip', { role: 'user', text: 'Plan a day in Lyon' });
  store.getState().updateMessage(store.getState().conversations.trip!.messageIds[0]!, { text: 'Plan two days in Lyon' });
  store.flushPersisted();
  await settle();
  expect(loads.count).toBe(0);
});

test('the first write of another tab requests the merge once; the writes that came meanwhile are merged in order when it arrives, later ones at once', async () => {
  const tabs = createTabs();
  const a = await tabs.open('A');
  const { release, loads } = holdMerge();
  const b = await tabs.open('B');
  const first = a.getState().appendMessage('trip', { role: 'user', text: 'Plan a day in Lyon' });
  tabs.deliver('B');
  a.getState().appendMessage('trip', { role: 'assistant', text: 'Start at Fourvière.' });
  a.getState().removeMessage(first.id);
  tabs.deliver('B');
  // Not merged yet, and the chunk was requested once.
  expect(texts(b)).toEqual([]);
  await settle();
  expect(loads.count).toBe(1);
  expect(texts(b)).toEqual([]);

  release();
  // The three writes of A, in order: the removal (made on top of the writes before it) applies too.
  await vi.waitFor(() => expect(texts(b)).toEqual(['Start at Fourvière.']), WAIT);

  // Loaded: the next write of A is merged as it arrives.
  a.getState().appendMessage('trip', { role: 'user', text: 'And dinner?' });
  tabs.deliver('B');
  expect(b.getState().conversations.trip?.messageIds.map((id) => b.getState().messages[id]!.text)).toEqual(['Start at Fourvière.', 'And dinner?']);
  expect(loads.count).toBe(1);
});

test('a merge that cannot be loaded is requested again at the next write; the writes it missed are merged then, in order', async () => {
  const tabs = createTabs();
  const a = await tabs.open('A');
  const { release, loads, failing } = holdMerge(true);
  release();
  const b = await tabs.open('B');
  a.getState().appendMessage('trip', { role: 'user', text: 'Plan a day in Lyon' });
  tabs.deliver('B');
  await settle();
  expect(loads.count).toBe(1);
  expect(texts(b)).toEqual([]);

  failing.now = false;
  a.getState().appendMessage('trip', { role: 'assistant', text: 'Start at Fourvière.' });
  tabs.deliver('B');
  await vi.waitFor(() => expect(b.getState().conversations.trip?.messageIds.map((id) => b.getState().messages[id]!.text)).toEqual(['Plan a day in Lyon', 'Start at Fourvière.']), WAIT);
  expect(loads.count).toBe(2);
});
