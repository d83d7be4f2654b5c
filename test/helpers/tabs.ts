// Tabs on one persisted store key for tests: each tab is a fresh module instance of the store with
// its own page (stubbed `addEventListener`) and an inbox of the other tabs' writes, in write
// order; the test decides when a tab processes its inbox (`step`), or lets all settle.
import { vi } from 'vitest';
import type { StateStorage } from 'zustand/middleware';
import type { MessageStore } from '../../src/store/index';

type Listener = (event: unknown) => void;
export type Ev = { from: string; key: string; newValue: string; n: number };

/** Tabs with per-tab inboxes: every write goes to each other tab's inbox, in write order; the test decides when a tab processes. */
export function createTabs() {
  const items = new Map<string, string>();
  const listeners = new Map<string, Set<Listener>>();
  const inbox = new Map<string, Ev[]>();
  let n = 0;
  const storageFor = (tab: string): StateStorage => ({
    getItem: (name) => items.get(name) ?? null,
    setItem: (name, value) => {
      items.set(name, value);
      n += 1;
      for (const [t, q] of inbox) if (t !== tab) q.push({ from: tab, key: name, newValue: value, n });
    },
    removeItem: (name) => void items.delete(name),
  });
  const tabs = {
    items,
    async open(tab: string, persistExtra: Record<string, unknown> = {}, storeExtra: Record<string, unknown> = {}): Promise<MessageStore> {
      vi.resetModules();
      const set = new Set<Listener>();
      listeners.set(tab, set);
      inbox.set(tab, []);
      vi.stubGlobal('addEventListener', (type: string, l: Listener) => { if (type === 'storage') set.add(l); });
      try {
        const { createMessageStore } = await import('../../src/store/index');
        // A page whose merge chunk is loaded, as test/setup/provideChunks.ts makes it (the lazy path: crossTab.lazyMerge.test.ts).
        await (await import('../../src/store/loadTabMerge')).loadTabMerge();
        return createMessageStore({ ...storeExtra, persist: { name: 'chat', storage: storageFor(tab), throttleMs: 0, crossTab: true, ...persistExtra } as never });
      } finally {
        vi.unstubAllGlobals();
      }
    },
    /** Tab processes its next k events (all by default). */
    step(tab: string, k = Infinity) {
      const q = inbox.get(tab)!;
      let done = 0;
      while (q.length && done < k) {
        const e = q.shift()!;
        for (const l of listeners.get(tab)!) l({ key: e.key, newValue: e.newValue, storageArea: null });
        done++;
      }
      return done;
    },
    pending: (tab: string) => inbox.get(tab)!.length,
    settle(limit = 200) {
      let total = 0;
      for (;;) {
        let any = 0;
        for (const t of inbox.keys()) any += tabs.step(t);
        total += any;
        if (!any) return total;
        if (total > limit) throw new Error('ping-pong: ' + total);
      }
    },
    stored() { return JSON.parse(items.get("chat")!) as { state: { messages: Record<string, { text: string }>; conversations: Record<string, unknown> } }; },
  };
  return tabs;
}
export const texts = (s: MessageStore) => Object.values(s.getState().messages).map((m) => m.text).sort();
