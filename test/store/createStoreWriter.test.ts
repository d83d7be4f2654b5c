import { afterEach, expect, it, vi } from 'vitest';
import type { PersistStorage, StorageValue } from 'zustand/middleware';
import { createStoreWriter } from '../../src/store/createStoreWriter';
import type { MessageStoreData } from '../../src/store/types';
import type { WriteState } from '../../src/store/WriteState';

// The persisted store's writer on its own: what it reads and sets in the shared WriteState (the
// actions' `urgent`, the cross-tab sync's `mergedOnly`, the revision `baseId` / `base`).

afterEach(() => {
  vi.useRealTimers();
});

const data = (text: string): MessageStoreData => ({
  conversations: {},
  messages: { a: { id: 'a', role: 'user', text, reasoning: '', toolCalls: [], usage: null, status: 'complete', finishReason: null, createdAt: 1, updatedAt: 1 } },
});
const value = (state: MessageStoreData): StorageValue<MessageStoreData> => ({ state, version: 0 });

function setup(crossTab: boolean, stored: StorageValue<MessageStoreData> | null = null) {
  const written: StorageValue<MessageStoreData>[] = [];
  const storage: PersistStorage<MessageStoreData> = {
    getItem: () => stored,
    setItem: (_name, item) => void written.push(item),
    removeItem: () => {},
  };
  const write: WriteState = { urgent: false, baseId: null, base: null, mergedOnly: null };
  const writer = createStoreWriter(storage, write, 500, () => {}, crossTab);
  return { written, write, writer };
}

it('writes at once when an action set `urgent`, and resets it; otherwise waits for the throttle', () => {
  vi.useFakeTimers();
  const { written, write, writer } = setup(false);
  writer.setItem('k', value(data('streamed')));
  expect(written).toHaveLength(0);
  write.urgent = true;
  writer.setItem('k', value(data('final')));
  expect(write.urgent).toBe(false);
  expect(written.map((item) => item.state.messages.a?.text)).toEqual(['final']);
  vi.advanceTimersByTime(1000);
  expect(written).toHaveLength(1); // the pending value was written with the urgent one
});

it('does not write the merged data another tab already stored (`mergedOnly`), only that exact data', () => {
  const { written, write, writer } = setup(false);
  const merged = data('theirs');
  write.mergedOnly = merged;
  write.urgent = true;
  writer.setItem('k', value(merged));
  expect(written).toHaveLength(0);
  write.urgent = true;
  writer.setItem('k', value(data('ours, meanwhile')));
  expect(written).toHaveLength(1);
});

it('with crossTab, tags each write with its id and parent and moves the base; a read moves it too', () => {
  const stored = { ...value(data('stored')), id: 'other:7' } as StorageValue<MessageStoreData>;
  const { written, write, writer } = setup(true, stored);
  writer.getItem('k');
  expect(write.baseId).toBe('other:7');
  expect(write.base?.messages.a?.text).toBe('stored');
  writer.hydrated(() => undefined);

  write.urgent = true;
  const first = value(data('one'));
  writer.setItem('k', first);
  const [one] = written as (StorageValue<MessageStoreData> & { id: string; parent: string | null })[];
  expect(one!.parent).toBe('other:7');
  expect(one!.id).toMatch(/:1$/);
  expect(write.baseId).toBe(one!.id);
  expect(write.base).toBe(first.state);

  write.urgent = true;
  writer.setItem('k', value(data('two')));
  const two = written[1] as StorageValue<MessageStoreData> & { id: string; parent: string | null };
  expect(two.parent).toBe(one!.id);
  expect(two.id).toMatch(/:2$/);
});

it('without crossTab, writes are not tagged and the base stays unset', () => {
  const { written, write, writer } = setup(false, value(data('stored')));
  writer.getItem('k');
  writer.hydrated(() => undefined);
  write.urgent = true;
  writer.setItem('k', value(data('one')));
  expect(written[0]).not.toHaveProperty('id');
  expect(write.baseId).toBeNull();
  expect(write.base).toBeNull();
});
