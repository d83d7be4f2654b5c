import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StateStorage } from 'zustand/middleware';
import type { MessageStore, MessageStoreOptions } from '../../src/store/index';

// Two tabs on one persisted store key. Each tab is a fresh module instance of the store listening
// on its own page (a stand-in for `window`), and the shared storage delivers every write as a
// `storage` event to the *other* tabs only, in write order, as browsers do. Real Chromium tabs:
// the e2e scenario "Two tabs".

type Listener = (event: unknown) => void;

function createTabs() {
  const items = new Map<string, string>();
  const pages = new Map<string, Map<string, Set<Listener>>>();
  const queue: { from: string; key: string; newValue: string }[] = [];
  let writes = 0;

  const pageFor = (tab: string) => {
    const listeners = new Map<string, Set<Listener>>();
    pages.set(tab, listeners);
    return (type: string, listener: Listener) => {
      if (!listeners.has(type)) listeners.set(type, new Set());
      listeners.get(type)!.add(listener);
    };
  };
  const storageFor = (tab: string): StateStorage => ({
    getItem: (name) => items.get(name) ?? null,
    setItem: (name, value) => {
      writes += 1;
      items.set(name, value);
      queue.push({ from: tab, key: name, newValue: value });
    },
    removeItem: (name) => void items.delete(name),
  });

  return {
    items,
    writes: () => writes,
    /** A store in a new tab (its own module instance, page and storage view). */
    async open(tab: string, options: { crossTab?: boolean } = {}): Promise<MessageStore> {
      vi.resetModules();
      vi.stubGlobal('addEventListener', pageFor(tab));
      try {
        const { createMessageStore } = await import('../../src/store/index');
        // A page whose merge chunk is loaded, as test/setup/provideChunks.ts makes it (the lazy path: crossTab.lazyMerge.test.ts).
        await (await import('../../src/store/loadTabMerge')).loadTabMerge();
        const persist: NonNullable<Exclude<MessageStoreOptions['persist'], boolean>> = { name: 'chat', storage: storageFor(tab), throttleMs: 0, crossTab: options.crossTab ?? true };
        return createMessageStore({ persist });
      } finally {
        vi.unstubAllGlobals();
      }
    },
    /** A raw `storage` event to every tab (a write by a tab this test does not model). */
    fire(event: { key: string | null; newValue: string | null }) {
      for (const listeners of pages.values()) for (const listener of listeners.get('storage') ?? []) listener({ ...event, storageArea: null });
    },
    /** Delivers the queued writes to the other tabs, and the writes those cause, until none is left. Returns how many were delivered. */
    deliver(limit = 50): number {
      let delivered = 0;
      while (queue.length > 0) {
        if (++delivered > limit) throw new Error('the tabs keep writing to each other');
        const { from, key, newValue } = queue.shift()!;
        for (const [tab, listeners] of pages) {
          if (tab === from) continue;
          for (const listener of listeners.get('storage') ?? []) listener({ key, newValue, storageArea: null });
        }
      }
      return delivered;
    },
  };
}

const conversationsOf = (store: MessageStore) =>
  Object.fromEntries(
    Object.values(store.getState().conversations).map((c) => [c.id, c.messageIds.map((id) => store.getState().messages[id]!.text)]),
  );
const storedConversations = (items: Map<string, string>) =>
  Object.keys((JSON.parse(items.get('chat')!) as { state: { conversations: Record<string, unknown> } }).state.conversations).sort();

afterEach(() => {
  vi.unstubAllGlobals();
  vi.resetModules();
});

describe('persisted store, two tabs on one key', () => {
  it('two tabs that each start a conversation keep both, in both tabs and in the storage (no overwrite)', async () => {
    const tabs = createTabs();
    const a = await tabs.open('A');
    const b = await tabs.open('B');
    a.getState().appendMessage('trip', { role: 'user', text: 'Plan a day in Lyon' });
    // B writes before it heard of A's write: the storage now holds B's state only.
    b.getState().appendMessage('recipe', { role: 'user', text: 'A quick dal' });
    expect(storedConversations(tabs.items)).toEqual(['recipe']);

    const delivered = tabs.deliver();
    expect(delivered).toBeLessThanOrEqual(4);
    expect(conversationsOf(a)).toEqual({ trip: ['Plan a day in Lyon'], recipe: ['A quick dal'] });
    expect(conversationsOf(b)).toEqual(conversationsOf(a));
    expect(storedConversations(tabs.items)).toEqual(['recipe', 'trip']);
    // A reload (a third tab) has both.
    const c = await tabs.open('C');
    expect(conversationsOf(c)).toEqual(conversationsOf(a));
  });

  it('(the check can fail) without crossTab the second tab overwrites the first one’s conversation', async () => {
    const tabs = createTabs();
    const a = await tabs.open('A', { crossTab: false });
    const b = await tabs.open('B', { crossTab: false });
    a.getState().appendMessage('trip', { role: 'user', text: 'Plan a day in Lyon' });
    b.getState().appendMessage('recipe', { role: 'user', text: 'A quick dal' });
    tabs.deliver();
    expect(storedConversations(tabs.items)).toEqual(['recipe']);
    expect(conversationsOf(await tabs.open('C', { crossTab: false }))).toEqual({ recipe: ['A quick dal'] });
  });

  it('a message streaming in one tab shows in the other as it is written, and ends the same', async () => {
    const tabs = createTabs();
    const a = await tabs.open('A');
    const b = await tabs.open('B');
    const { id } = a.getState().appendMessage('c', { role: 'assistant', text: '', status: 'streaming' });
    tabs.deliver();
    for (const text of ['Mor', 'Morning: Four', 'Morning: Fourvière']) {
      a.getState().updateMessage(id, { text });
      tabs.deliver();
      expect(b.getState().messages[id]?.text).toBe(text);
      expect(b.getState().messages[id]?.status).toBe('streaming');
    }
    a.getState().updateMessage(id, { status: 'incomplete', incomplete: { reason: 'cancelled', serverConfirmed: true } });
    tabs.deliver();
    expect(b.getState().messages[id]).toEqual(a.getState().messages[id]);
  });

  it('both tabs add to one conversation: every turn kept, the same order in both', async () => {
    let clock = 1000;
    vi.spyOn(Date, 'now').mockImplementation(() => (clock += 1));
    const tabs = createTabs();
    const a = await tabs.open('A');
    const b = await tabs.open('B');
    a.getState().appendMessage('c', { role: 'user', text: 'one' });
    tabs.deliver();
    a.getState().appendMessage('c', { role: 'user', text: 'two (A)' });
    b.getState().appendMessage('c', { role: 'user', text: 'three (B)' });
    tabs.deliver();
    expect(conversationsOf(a)).toEqual({ c: ['one', 'two (A)', 'three (B)'] });
    expect(conversationsOf(b)).toEqual(conversationsOf(a));
  });

  it('a conversation removed in one tab goes in the other too, and stays gone', async () => {
    const tabs = createTabs();
    const a = await tabs.open('A');
    const b = await tabs.open('B');
    a.getState().appendMessage('keep', { role: 'user', text: 'kept' });
    a.getState().appendMessage('drop', { role: 'user', text: 'dropped' });
    tabs.deliver();
    expect(Object.keys(conversationsOf(b)).sort()).toEqual(['drop', 'keep']);

    a.getState().removeConversation('drop');
    tabs.deliver();
    expect(conversationsOf(b)).toEqual({ keep: ['kept'] });
    // B's next write must not bring it back.
    b.getState().appendMessage('keep', { role: 'assistant', text: 'still here' });
    tabs.deliver();
    expect(conversationsOf(a)).toEqual({ keep: ['kept', 'still here'] });
    expect(storedConversations(tabs.items)).toEqual(['keep']);
  });

  it('ignores writes of another version of the app, other keys, cleared storage and garbage', async () => {
    const tabs = createTabs();
    const a = await tabs.open('A');
    a.getState().appendMessage('c', { role: 'user', text: 'hello' });
    tabs.deliver();
    const before = a.getState();
    const foreign = { conversations: { x: { id: 'x', messageIds: [], createdAt: 1, updatedAt: 1 } }, messages: {} };
    tabs.fire({ key: 'chat', newValue: JSON.stringify({ state: foreign, version: 7, rev: 99 }) });
    tabs.fire({ key: 'other-key', newValue: JSON.stringify({ state: foreign, version: 0, rev: 99 }) });
    tabs.fire({ key: 'chat', newValue: '{not json' });
    tabs.fire({ key: 'chat', newValue: JSON.stringify({ version: 0 }) });
    tabs.fire({ key: 'chat', newValue: null }); // removed
    tabs.fire({ key: null, newValue: null }); // localStorage.clear()
    expect(a.getState()).toBe(before);
    expect(tabs.deliver()).toBe(0);
  });
});
