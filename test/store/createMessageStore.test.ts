import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createMessageStore,
  getConversationMessages,
  MessageStoreError,
  type Message,
  type MessageStoreState,
} from '../../src/store';

function clock(start = 1_000) {
  let t = start;
  return () => ++t;
}

function ids(prefix = 'id') {
  let n = 0;
  return () => `${prefix}-${++n}`;
}

describe('createMessageStore: conversations and messages', () => {
  it('starts empty', () => {
    const store = createMessageStore();
    expect(store.getState().conversations).toEqual({});
    expect(store.getState().messages).toEqual({});
    expect(store.persist).toBeUndefined();
  });

  it('creates a conversation with a generated id, a title and timestamps from now()', () => {
    const store = createMessageStore({ now: () => 42, generateId: ids('c') });
    const conversation = store.getState().createConversation({ title: 'Trip' });
    expect(conversation).toEqual({ id: 'c-1', title: 'Trip', messageIds: [], createdAt: 42, updatedAt: 42 });
    expect(store.getState().conversations['c-1']).toBe(conversation);
  });

  it('generates UUIDs by default', () => {
    const store = createMessageStore();
    const conversation = store.getState().createConversation();
    const message = store.getState().appendMessage(conversation.id, { role: 'user', text: 'hi' });
    expect(conversation.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(message.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(message.id).not.toBe(conversation.id);
  });

  it('returns the existing conversation when the id is taken, without a state change', () => {
    const store = createMessageStore();
    const first = store.getState().createConversation({ id: 'c', title: 'one' });
    const before = store.getState();
    const again = store.getState().createConversation({ id: 'c', title: 'two' });
    expect(again).toBe(first);
    expect(store.getState()).toBe(before);
  });

  it('appends user and assistant messages with defaults and keeps their order', () => {
    const store = createMessageStore({ now: clock(), generateId: ids('m') });
    const { createConversation, appendMessage } = store.getState();
    createConversation({ id: 'c' });
    const user = appendMessage('c', { role: 'user', text: 'Plan a day in Lyon' });
    const assistant = appendMessage('c', { role: 'assistant', status: 'streaming', streamId: 's-1' });
    expect(user).toEqual({
      id: 'm-1',
      role: 'user',
      text: 'Plan a day in Lyon',
      reasoning: '',
      toolCalls: [],
      usage: null,
      status: 'complete',
      finishReason: null,
      createdAt: 1_002,
      updatedAt: 1_002,
    });
    expect(assistant).toMatchObject({ id: 'm-2', role: 'assistant', text: '', status: 'streaming', streamId: 's-1' });
    expect(assistant).not.toHaveProperty('responseId');
    expect(assistant).not.toHaveProperty('incomplete');
    const state = store.getState();
    expect(state.conversations.c?.messageIds).toEqual(['m-1', 'm-2']);
    expect(state.conversations.c?.updatedAt).toBe(1_003);
    expect(getConversationMessages(state, 'c')).toEqual([user, assistant]);
  });

  it('creates the conversation on the fly when a message is appended to an unknown id', () => {
    const store = createMessageStore({ now: () => 7 });
    const message = store.getState().appendMessage('new-chat', { role: 'user', text: 'hello', id: 'u1' });
    expect(store.getState().conversations['new-chat']).toEqual({ id: 'new-chat', messageIds: ['u1'], createdAt: 7, updatedAt: 7 });
    expect(getConversationMessages(store.getState(), 'new-chat')).toEqual([message]);
  });

  it('refuses a duplicate message id with a typed error and leaves the state alone', () => {
    const store = createMessageStore();
    store.getState().appendMessage('c', { id: 'm', role: 'user', text: 'a' });
    const before = store.getState();
    let caught: unknown;
    try {
      store.getState().appendMessage('other', { id: 'm', role: 'assistant' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MessageStoreError);
    expect((caught as MessageStoreError).type).toBe('duplicate-message-id');
    expect((caught as Error).message).toContain('"m"');
    expect(store.getState()).toBe(before);
  });

  it('updates a message with a patch or a function, stamping updatedAt', () => {
    const store = createMessageStore({ now: clock(0) });
    const { appendMessage, updateMessage } = store.getState();
    appendMessage('c', { id: 'a', role: 'assistant', status: 'streaming' });
    const afterPatch = updateMessage('a', { text: 'Hel' });
    expect(afterPatch).toMatchObject({ text: 'Hel', updatedAt: 2, createdAt: 1 });
    const afterFn = updateMessage('a', (m) => ({ text: `${m.text}lo` }));
    expect(afterFn?.text).toBe('Hello');
    expect(store.getState().messages.a).toBe(afterFn);
    expect(store.getState().messages.a?.updatedAt).toBe(3);
  });

  it('never changes id or createdAt through a patch', () => {
    const store = createMessageStore({ now: () => 5 });
    store.getState().appendMessage('c', { id: 'a', role: 'user' });
    store.getState().updateMessage('a', { id: 'b', createdAt: 99, text: 'x' } as never);
    expect(store.getState().messages.a).toMatchObject({ id: 'a', createdAt: 5, text: 'x' });
    expect(store.getState().messages.b).toBeUndefined();
  });

  it('is a no-op (same state object, no notification) when the patch changes nothing', () => {
    const store = createMessageStore({ now: clock() });
    store.getState().appendMessage('c', {
      id: 'a',
      role: 'assistant',
      text: 'Hi',
      usage: { inputTokens: 3, outputTokens: 1 },
      status: 'incomplete',
      incomplete: { reason: 'cancelled', serverConfirmed: true },
    });
    const before = store.getState();
    const message = before.messages.a;
    let notified = 0;
    store.subscribe(() => notified++);
    const result = store.getState().updateMessage('a', {
      text: 'Hi',
      status: 'incomplete',
      // equal by value: small objects are compared field by field
      usage: { inputTokens: 3, outputTokens: 1 },
      incomplete: { reason: 'cancelled', serverConfirmed: true },
      responseId: undefined,
    });
    expect(result).toBe(message);
    expect(store.getState()).toBe(before);
    expect(notified).toBe(0);
  });

  it('keeps the old usage object when only other fields change', () => {
    const store = createMessageStore();
    store.getState().appendMessage('c', { id: 'a', role: 'assistant', usage: { inputTokens: 3, outputTokens: 1 } });
    const usage = store.getState().messages.a?.usage;
    store.getState().updateMessage('a', { text: 'more', usage: { inputTokens: 3, outputTokens: 1 } });
    expect(store.getState().messages.a?.text).toBe('more');
    expect(store.getState().messages.a?.usage).toBe(usage);
  });

  it('removes optional fields set to undefined, and drops `incomplete` when the status leaves incomplete', () => {
    const store = createMessageStore();
    store.getState().appendMessage('c', {
      id: 'a',
      role: 'assistant',
      status: 'incomplete',
      incomplete: { reason: 'disconnected' },
      responseId: 'resp_1',
    });
    store.getState().updateMessage('a', { responseId: undefined });
    expect(store.getState().messages.a).not.toHaveProperty('responseId');
    store.getState().updateMessage('a', { status: 'streaming' });
    expect(store.getState().messages.a).not.toHaveProperty('incomplete');
    expect(store.getState().messages.a?.status).toBe('streaming');
  });

  it('ignores `incomplete` on a message appended with another status', () => {
    const store = createMessageStore();
    const message = store.getState().appendMessage('c', { role: 'assistant', status: 'complete', incomplete: { reason: 'error' } });
    expect(message).not.toHaveProperty('incomplete');
  });

  it('returns undefined and changes nothing for an unknown message id', () => {
    const store = createMessageStore();
    const before = store.getState();
    expect(store.getState().updateMessage('nope', { text: 'x' })).toBeUndefined();
    expect(store.getState()).toBe(before);
  });

  it('renames a conversation, keeping its messageIds array', () => {
    const store = createMessageStore({ now: clock() });
    store.getState().appendMessage('c', { role: 'user', text: 'a' });
    const ids = store.getState().conversations.c?.messageIds;
    const list = getConversationMessages(store.getState(), 'c');
    store.getState().updateConversation('c', { title: 'Named' });
    expect(store.getState().conversations.c?.title).toBe('Named');
    expect(store.getState().conversations.c?.messageIds).toBe(ids);
    expect(getConversationMessages(store.getState(), 'c')).toBe(list);
    const before = store.getState();
    store.getState().updateConversation('c', { title: 'Named' });
    store.getState().updateConversation('unknown', { title: 'x' });
    expect(store.getState()).toBe(before);
    store.getState().updateConversation('c', { title: undefined });
    expect(store.getState().conversations.c).not.toHaveProperty('title');
  });

  it('removes a message from the store and from its conversation', () => {
    const store = createMessageStore();
    const { appendMessage, removeMessage } = store.getState();
    appendMessage('c', { id: 'a', role: 'user' });
    appendMessage('c', { id: 'b', role: 'assistant' });
    appendMessage('d', { id: 'x', role: 'user' });
    const otherConversation = store.getState().conversations.d;
    removeMessage('a');
    expect(store.getState().messages).not.toHaveProperty('a');
    expect(store.getState().conversations.c?.messageIds).toEqual(['b']);
    expect(store.getState().conversations.d).toBe(otherConversation);
    const before = store.getState();
    removeMessage('a');
    expect(store.getState()).toBe(before);
  });

  it('removes a conversation with all its messages', () => {
    const store = createMessageStore();
    const { appendMessage, removeConversation } = store.getState();
    appendMessage('c', { id: 'a', role: 'user' });
    appendMessage('c', { id: 'b', role: 'assistant' });
    appendMessage('d', { id: 'x', role: 'user' });
    const kept = store.getState().messages.x;
    removeConversation('c');
    expect(Object.keys(store.getState().conversations)).toEqual(['d']);
    expect(Object.keys(store.getState().messages)).toEqual(['x']);
    expect(store.getState().messages.x).toBe(kept);
    expect(getConversationMessages(store.getState(), 'c')).toEqual([]);
  });

  it('clears everything but keeps the actions', () => {
    const store = createMessageStore();
    store.getState().appendMessage('c', { role: 'user', text: 'a' });
    store.getState().clear();
    expect(store.getState().conversations).toEqual({});
    expect(store.getState().messages).toEqual({});
    expect(typeof store.getState().appendMessage).toBe('function');
    store.getState().appendMessage('c', { role: 'user', text: 'again' });
    expect(getConversationMessages(store.getState(), 'c')).toHaveLength(1);
  });

  it('treats ids such as __proto__ and constructor as plain keys', () => {
    const store = createMessageStore();
    const { appendMessage, updateMessage, removeMessage } = store.getState();
    expect(getConversationMessages(store.getState(), 'constructor')).toEqual([]);
    expect(updateMessage('toString', { text: 'x' })).toBeUndefined();
    appendMessage('__proto__', { id: '__proto__', role: 'user', text: 'odd' });
    updateMessage('__proto__', { text: 'still odd' });
    expect(Object.getPrototypeOf(store.getState().messages)).toBe(Object.prototype);
    expect(getConversationMessages(store.getState(), '__proto__').map((m) => m.text)).toEqual(['still odd']);
    removeMessage('__proto__');
    expect(Object.hasOwn(store.getState().messages, '__proto__')).toBe(false);
  });
});

describe('createMessageStore: identity (only the message that changed is replaced)', () => {
  it('updating message A keeps message B, the conversation and its messageIds identical', () => {
    const store = createMessageStore();
    const { appendMessage, updateMessage } = store.getState();
    appendMessage('c', { id: 'a', role: 'assistant', status: 'streaming' });
    appendMessage('c', { id: 'b', role: 'user', text: 'question' });
    const before = store.getState();
    updateMessage('a', { text: 'delta' });
    const after = store.getState();
    expect(after.messages).not.toBe(before.messages);
    expect(after.messages.a).not.toBe(before.messages.a);
    expect(after.messages.b).toBe(before.messages.b);
    expect(after.conversations).toBe(before.conversations);
    expect(after.conversations.c).toBe(before.conversations.c);
    expect(after.conversations.c?.messageIds).toBe(before.conversations.c?.messageIds);
  });

  it('a selector on another message never sees a change', () => {
    const store = createMessageStore();
    const { appendMessage, updateMessage } = store.getState();
    appendMessage('c', { id: 'a', role: 'assistant', status: 'streaming' });
    appendMessage('c', { id: 'b', role: 'assistant', status: 'complete', text: 'done' });
    const selectB = (state: MessageStoreState) => state.messages.b;
    const seen: (Message | undefined)[] = [];
    let last = selectB(store.getState());
    store.subscribe((state) => {
      const next = selectB(state);
      if (next !== last) seen.push(next);
      last = next;
    });
    for (let i = 0; i < 20; i++) updateMessage('a', (m) => ({ text: `${m.text}x` }));
    expect(store.getState().messages.a?.text).toBe('x'.repeat(20));
    expect(seen).toEqual([]);
  });

  it('getConversationMessages returns the same array while nothing in the conversation changed', () => {
    const store = createMessageStore();
    const { appendMessage, updateMessage } = store.getState();
    appendMessage('c', { id: 'a', role: 'assistant', status: 'streaming' });
    appendMessage('d', { id: 'x', role: 'assistant', status: 'streaming' });
    const c1 = getConversationMessages(store.getState(), 'c');
    expect(getConversationMessages(store.getState(), 'c')).toBe(c1);
    // a message of another conversation streams
    updateMessage('x', { text: 'other' });
    expect(getConversationMessages(store.getState(), 'c')).toBe(c1);
    // a message of this conversation streams: a new array holding the new message
    updateMessage('a', { text: 'mine' });
    const c2 = getConversationMessages(store.getState(), 'c');
    expect(c2).not.toBe(c1);
    expect(c2[0]?.text).toBe('mine');
    // a message is appended: a new array
    appendMessage('c', { id: 'b', role: 'user' });
    const c3 = getConversationMessages(store.getState(), 'c');
    expect(c3.map((m) => m.id)).toEqual(['a', 'b']);
    expect(getConversationMessages(store.getState(), 'c')).toBe(c3);
    // an unknown conversation: one shared empty array
    expect(getConversationMessages(store.getState(), 'nope')).toBe(getConversationMessages(store.getState(), 'nope2'));
  });

  it('several conversations stream at once (interleaved updates) without touching each other', () => {
    const store = createMessageStore({ now: clock() });
    const { appendMessage, updateMessage } = store.getState();
    const conversations = ['c1', 'c2', 'c3'];
    for (const c of conversations) {
      appendMessage(c, { id: `${c}-user`, role: 'user', text: `question ${c}` });
      appendMessage(c, { id: `${c}-answer`, role: 'assistant', status: 'streaming', streamId: `stream-${c}` });
    }
    const lists = Object.fromEntries(conversations.map((c) => [c, getConversationMessages(store.getState(), c)]));
    const conversationsRecord = store.getState().conversations;
    for (let round = 0; round < 5; round++) {
      for (const c of conversations) {
        const before = store.getState();
        updateMessage(`${c}-answer`, (m) => ({ text: `${m.text}${c}:${round} ` }));
        const after = store.getState();
        for (const other of conversations.filter((o) => o !== c)) {
          expect(after.messages[`${other}-answer`]).toBe(before.messages[`${other}-answer`]);
          expect(getConversationMessages(after, other)).toBe(lists[other]);
        }
        lists[c] = getConversationMessages(after, c);
      }
    }
    // c2 stops while the others finish
    updateMessage('c2-answer', { status: 'incomplete', incomplete: { reason: 'cancelled', serverConfirmed: true } });
    updateMessage('c1-answer', { status: 'complete', finishReason: 'stop' });
    updateMessage('c3-answer', { status: 'complete', finishReason: 'stop' });
    const state = store.getState();
    expect(state.conversations).toBe(conversationsRecord);
    expect(state.messages['c1-answer']?.text).toBe('c1:0 c1:1 c1:2 c1:3 c1:4 ');
    expect(state.messages['c2-answer']).toMatchObject({ status: 'incomplete', incomplete: { reason: 'cancelled', serverConfirmed: true } });
    expect(state.messages['c3-answer']?.status).toBe('complete');
    expect(state.messages['c3-answer']?.streamId).toBe('stream-c3');
  });

  it('property: any interleaving of updates replaces exactly the updated message', () => {
    const command = fc.record({
      conversation: fc.integer({ min: 0, max: 2 }),
      message: fc.integer({ min: 0, max: 1 }),
      change: fc.oneof(
        fc.record({ text: fc.string({ maxLength: 3 }) }),
        fc.record({ status: fc.constantFrom('streaming' as const, 'stopping' as const, 'complete' as const) }),
        fc.record({ usage: fc.constantFrom(null, { inputTokens: 1, outputTokens: 2 }) }),
      ),
    });
    fc.assert(
      fc.property(fc.array(command, { maxLength: 40 }), (commands) => {
        const store = createMessageStore({ now: () => 0 });
        for (let c = 0; c < 3; c++) {
          for (let m = 0; m < 2; m++) store.getState().appendMessage(`c${c}`, { id: `c${c}m${m}`, role: 'assistant', status: 'streaming' });
        }
        for (const { conversation, message, change } of commands) {
          const id = `c${conversation}m${message}`;
          const before = store.getState();
          const lists = [0, 1, 2].map((c) => getConversationMessages(before, `c${c}`));
          const current = before.messages[id]!;
          const changes = Object.entries(change).some(([key, value]) => JSON.stringify(current[key as keyof Message]) !== JSON.stringify(value));
          store.getState().updateMessage(id, change);
          const after = store.getState();
          if (!changes) {
            expect(after).toBe(before);
            continue;
          }
          expect(after.messages[id]).toMatchObject(change);
          expect(after.conversations).toBe(before.conversations);
          for (const otherId of Object.keys(before.messages)) {
            if (otherId !== id) expect(after.messages[otherId]).toBe(before.messages[otherId]);
          }
          for (let c = 0; c < 3; c++) {
            const list = getConversationMessages(after, `c${c}`);
            if (c === conversation) expect(list).not.toBe(lists[c]);
            else expect(list).toBe(lists[c]);
          }
        }
      }),
    );
  });
});
