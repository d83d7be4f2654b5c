import { expect, it } from 'vitest';
import { createMessageStore } from '../../src/store';
import { mergeStored } from '../../src/store/mergeStored';
import type { Message, MessageStoreState } from '../../src/store/types';

// Hydration's merge on its own: stored data (sanitized, repaired) with what the store already holds.

const message = (id: string, text: string, status: Message['status'] = 'complete'): Message => ({
  id,
  role: 'assistant',
  text,
  reasoning: '',
  toolCalls: [],
  usage: null,
  status,
  finishReason: null,
  createdAt: 1,
  updatedAt: 1,
});

function current(): MessageStoreState {
  const store = createMessageStore({ now: () => 5 });
  store.getState().appendMessage('c', { id: 'mine', role: 'user', text: 'in memory' });
  return store.getState();
}

it('keeps the in-memory state when the stored value is not the data shape', () => {
  const state = current();
  expect(mergeStored(null, state)).toBe(state);
  expect(mergeStored({ conversations: [], messages: {} }, state)).toBe(state);
});

it('repairs stored live messages; keeps the stored order, then the in-memory additions; the in-memory message wins', () => {
  const state = current();
  const stored = {
    conversations: { c: { id: 'c', messageIds: ['old', 'mine'], createdAt: 1, updatedAt: 1 }, d: { id: 'd', messageIds: ['live'], createdAt: 1, updatedAt: 1 } },
    messages: { old: message('old', 'stored'), mine: message('mine', 'stale copy'), live: message('live', 'cut', 'streaming') },
  };
  const merged = mergeStored(stored, state);
  expect(merged.conversations.c?.messageIds).toEqual(['old', 'mine']);
  expect(merged.messages.mine?.text).toBe('in memory');
  expect(merged.messages.live).toMatchObject({ status: 'incomplete', incomplete: { reason: 'disconnected' } });
  expect(merged.conversations.d?.messageIds).toEqual(['live']);
  expect(merged.appendMessage).toBe(state.appendMessage); // the actions stay
});
