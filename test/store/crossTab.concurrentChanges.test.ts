import { afterEach, expect, it, vi } from 'vitest';
import { createTabs, texts } from '../helpers/tabs';

// Cross-tab merges that must not lose a concurrent change: a third tab's message, a subscriber's
// write while a merged state is applied, a conversation removed while another tab streams into it,
// a live message seen by a newly opened tab (docs/store.md).

afterEach(() => {
  vi.unstubAllGlobals();
  vi.resetModules();
  vi.useRealTimers();
});

it("three tabs: a write that is higher only because its tab heard another one does not delete a third tab's message", async () => {
  vi.useFakeTimers();
  const t = createTabs();
  const a = await t.open('A', { throttleMs: 500 });
  const b = await t.open('B', { throttleMs: 500 });
  const c = await t.open('C', { throttleMs: 500 });
  b.getState().appendMessage('b', { role: 'user', text: 'b1' });
  c.getState().appendMessage('c', { role: 'user', text: 'c1' }); // crossed with B's write; then C is closed
  t.step('A', 1); // A hears B's write only
  a.getState().appendMessage('a', { role: 'user', text: 'a1' }); // A never saw C's
  t.step('B'); // B hears C's write, then A's
  expect(texts(b)).toContain('c1');
  b.getState().appendMessage('b', { role: 'assistant', text: 'answer' });
  for (let i = 0; i < 10; i++) {
    t.step('A');
    t.step('B');
    vi.advanceTimersByTime(600);
  }
  const reload = await t.open('D');
  expect(texts(reload)).toEqual(['a1', 'answer', 'b1', 'c1']);
});

it('a change a store subscriber makes while a merged state is applied is written', async () => {
  const t = createTabs();
  const a = await t.open('A');
  const b = await t.open('B');
  // App code in B: names every new conversation it sees.
  b.subscribe((s) => {
    for (const conversation of Object.values(s.conversations)) if (conversation.title === undefined) s.updateConversation(conversation.id, { title: 'Untitled' });
  });
  a.getState().appendMessage('c', { role: 'user', text: 'hi' });
  t.step('B');
  expect(b.getState().conversations.c!.title).toBe('Untitled');
  b.flushPersisted();
  expect((t.stored().state.conversations.c as { title?: string }).title).toBe('Untitled');
});

it('a conversation removed in one tab while the other streams into it (text not yet written) is kept with that message, never an orphan', async () => {
  vi.useFakeTimers();
  let clock = 1000;
  const t = createTabs();
  const a = await t.open('A', { throttleMs: 500 }, { now: () => clock });
  const b = await t.open('B', { throttleMs: 500 }, { now: () => clock });
  const { id } = b.getState().appendMessage('c', { role: 'assistant', text: '', status: 'streaming' });
  t.step('A');
  clock += 5;
  b.getState().updateMessage(id, { text: 'Hel' }); // throttled, pending
  a.getState().removeConversation('c');
  t.step('B');
  vi.advanceTimersByTime(600);
  t.step('A');
  t.step('B');
  for (const store of [a, b]) {
    const state = store.getState();
    const listed = new Set(Object.values(state.conversations).flatMap((conversation) => conversation.messageIds));
    expect(Object.keys(state.messages).filter((messageId) => !listed.has(messageId))).toEqual([]);
  }
  expect(b.getState().messages[id]?.text).toBe('Hel');
});

it("a tab opened while another streams does not flip that tab's live message to incomplete", async () => {
  vi.useFakeTimers();
  let clock = 1000;
  const t = createTabs();
  const a = await t.open('A', { throttleMs: 500 }, { now: () => clock });
  const { id } = a.getState().appendMessage('c', { role: 'assistant', text: '', status: 'streaming' });
  clock += 10;
  a.getState().updateMessage(id, { text: 'Thinking…' });
  vi.advanceTimersByTime(600); // written
  const b = await t.open('B', { throttleMs: 500 }, { now: () => clock }); // repaired at load in B
  expect(b.getState().messages[id]!.status).toBe('incomplete');
  clock += 10;
  b.getState().appendMessage('other', { role: 'user', text: 'hi' }); // any write of B
  t.step('A');
  expect(a.getState().messages[id]!.status).toBe('streaming');
  // And B takes the live one back at A's next write.
  clock += 10;
  a.getState().updateMessage(id, { text: 'Thinking… done' });
  vi.advanceTimersByTime(600);
  t.step('B');
  expect(b.getState().messages[id]).toMatchObject({ status: 'streaming', text: 'Thinking… done' });
});
