import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StateStorage } from 'zustand/middleware';
import { createMessageStore, getConversationMessages, type Message } from '../../src/store';

/** An in-memory `StateStorage` that records every write. */
function memoryStorage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial));
  const writes: string[] = [];
  const storage: StateStorage = {
    getItem: (name) => items.get(name) ?? null,
    setItem: (name, value) => {
      writes.push(value);
      items.set(name, value);
    },
    removeItem: (name) => {
      items.delete(name);
    },
  };
  return { storage, items, writes };
}

function stored(items: Map<string, string>, name = 'react-model-stream') {
  const raw = items.get(name);
  return raw === undefined ? undefined : (JSON.parse(raw) as { state: { conversations: unknown; messages: Record<string, Message> }; version: number });
}

function assistant(overrides: Partial<Message> & Pick<Message, 'id'>): Message {
  return {
    role: 'assistant',
    text: '',
    reasoning: '',
    toolCalls: [],
    usage: null,
    status: 'complete',
    finishReason: null,
    createdAt: 1,
    updatedAt: 2,
    ...overrides,
  };
}

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('persistence', () => {
  it('round-trips conversations and messages through a storage (data only, no actions)', () => {
    const { storage, items } = memoryStorage();
    const first = createMessageStore({ persist: { storage }, now: () => 10 });
    first.getState().createConversation({ id: 'c', title: 'Trip' });
    first.getState().appendMessage('c', { id: 'u', role: 'user', text: 'Plan a day in Lyon' });
    first.getState().appendMessage('c', {
      id: 'a',
      role: 'assistant',
      text: 'Morning: Fourvière',
      status: 'complete',
      finishReason: 'stop',
      usage: { inputTokens: 9, outputTokens: 4 },
      responseId: 'resp_1',
    });
    first.flushPersisted();
    const raw = stored(items);
    expect(raw?.version).toBe(0);
    expect(Object.keys(raw?.state ?? {})).toEqual(['conversations', 'messages']);

    const second = createMessageStore({ persist: { storage } });
    expect(second.persist?.hasHydrated()).toBe(true);
    expect(second.getState().conversations).toEqual(first.getState().conversations);
    expect(second.getState().messages).toEqual(first.getState().messages);
    expect(getConversationMessages(second.getState(), 'c').map((m) => m.text)).toEqual(['Plan a day in Lyon', 'Morning: Fourvière']);
    // the actions survive hydration
    second.getState().appendMessage('c', { id: 'u2', role: 'user', text: 'And the evening?' });
    expect(second.getState().conversations.c?.messageIds).toEqual(['u', 'a', 'u2']);
  });

  it('repairs, after a reload, a message left streaming or stopping into incomplete / disconnected', () => {
    const streaming = assistant({
      id: 'a',
      status: 'streaming',
      text: 'The weather in Lyon is',
      usage: { inputTokens: 20, outputTokens: 6 },
      streamId: 'stream-1',
      toolCalls: [
        { id: 'call_1', name: 'get_weather', index: 0, argsText: '{"city":"Lyon"}', args: { city: 'Lyon' }, state: 'complete' },
        { id: 'call_2', name: 'get_time', index: 1, argsText: '{"tz":"Eu', args: { tz: 'Eu' }, state: 'streaming' },
      ],
    });
    const stopping = assistant({ id: 'b', status: 'stopping', text: 'Half' });
    const done = assistant({ id: 'd', status: 'complete', text: 'Done', finishReason: 'stop' });
    const { storage } = memoryStorage({
      'react-model-stream': JSON.stringify({
        state: {
          conversations: {
            c: { id: 'c', messageIds: ['a', 'd'], createdAt: 1, updatedAt: 1 },
            e: { id: 'e', messageIds: ['b'], createdAt: 1, updatedAt: 1 },
          },
          messages: { a: streaming, b: stopping, d: done },
        },
        version: 0,
      }),
    });

    const store = createMessageStore({ persist: { storage } });
    const { messages } = store.getState();
    expect(messages.a).toEqual({
      ...streaming,
      status: 'incomplete',
      incomplete: { reason: 'disconnected' },
      toolCalls: [streaming.toolCalls[0], { ...streaming.toolCalls[1], state: 'incomplete' }],
    });
    expect(messages.a?.usage).toEqual({ inputTokens: 20, outputTokens: 6 });
    expect(messages.b).toMatchObject({ status: 'incomplete', incomplete: { reason: 'disconnected' }, text: 'Half' });
    expect(messages.d).toEqual(done);
  });

  it('writes streamed deltas at most once per throttleMs and the terminal state at once', async () => {
    vi.useFakeTimers();
    const { storage, items, writes } = memoryStorage();
    const store = createMessageStore({ persist: { storage, throttleMs: 500 } });
    const { appendMessage, updateMessage } = store.getState();
    appendMessage('c', { id: 'a', role: 'assistant', status: 'streaming' });
    expect(writes).toHaveLength(1); // structure changes are written at once

    for (let i = 0; i < 50; i++) updateMessage('a', (m) => ({ text: `${m.text}x` }));
    expect(writes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(499);
    expect(writes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(writes).toHaveLength(2);
    expect(stored(items)?.state.messages.a?.text).toBe('x'.repeat(50));

    updateMessage('a', (m) => ({ text: `${m.text}y` }));
    updateMessage('a', (m) => ({ text: `${m.text}z`, status: 'complete', finishReason: 'stop' }));
    // the terminal status is written in the same task, with the last delta before it
    expect(writes).toHaveLength(3);
    expect(stored(items)?.state.messages.a).toMatchObject({ text: `${'x'.repeat(50)}yz`, status: 'complete', finishReason: 'stop' });
    // and no stale trailing write follows
    await vi.advanceTimersByTimeAsync(2_000);
    expect(writes).toHaveLength(3);
  });

  it('writes the stopped state at once too (status stopping, then incomplete)', () => {
    vi.useFakeTimers();
    const { storage, items, writes } = memoryStorage();
    const store = createMessageStore({ persist: { storage } });
    store.getState().appendMessage('c', { id: 'a', role: 'assistant', status: 'streaming' });
    store.getState().updateMessage('a', { text: 'partial' });
    store.getState().updateMessage('a', { status: 'stopping' });
    expect(stored(items)?.state.messages.a).toMatchObject({ status: 'stopping', text: 'partial' });
    store.getState().updateMessage('a', { status: 'incomplete', incomplete: { reason: 'cancelled', serverConfirmed: true } });
    expect(stored(items)?.state.messages.a).toMatchObject({ status: 'incomplete', incomplete: { reason: 'cancelled', serverConfirmed: true } });
    expect(writes).toHaveLength(3);
  });

  it('throttleMs 0 writes every update', () => {
    const { storage, writes } = memoryStorage();
    const store = createMessageStore({ persist: { storage, throttleMs: 0 } });
    store.getState().appendMessage('c', { id: 'a', role: 'assistant', status: 'streaming' });
    store.getState().updateMessage('a', { text: '1' });
    store.getState().updateMessage('a', { text: '12' });
    expect(writes).toHaveLength(3);
  });

  it('flushPersisted writes pending deltas now; a reload then keeps all the text', () => {
    vi.useFakeTimers();
    const { storage, items } = memoryStorage();
    const store = createMessageStore({ persist: { storage } });
    store.getState().appendMessage('c', { id: 'a', role: 'assistant', status: 'streaming' });
    store.getState().updateMessage('a', { text: 'everything shown' });
    expect(stored(items)?.state.messages.a?.text).toBe('');
    store.flushPersisted();
    expect(stored(items)?.state.messages.a?.text).toBe('everything shown');
    const reloaded = createMessageStore({ persist: { storage } });
    expect(reloaded.getState().messages.a).toMatchObject({ text: 'everything shown', status: 'incomplete', incomplete: { reason: 'disconnected' } });
  });

  it('flushes pending writes when the page is hidden (pagehide, visibilitychange)', () => {
    vi.useFakeTimers();
    const listeners = new Map<string, () => void>();
    vi.stubGlobal('addEventListener', (type: string, listener: () => void) => listeners.set(type, listener));
    const document = { visibilityState: 'visible' };
    vi.stubGlobal('document', document);
    const { storage, items } = memoryStorage();
    const store = createMessageStore({ persist: { storage } });
    store.getState().appendMessage('c', { id: 'a', role: 'assistant', status: 'streaming' });

    store.getState().updateMessage('a', { text: 'one' });
    listeners.get('visibilitychange')?.();
    expect(stored(items)?.state.messages.a?.text).toBe(''); // still visible: nothing forced
    document.visibilityState = 'hidden';
    listeners.get('visibilitychange')?.();
    expect(stored(items)?.state.messages.a?.text).toBe('one');

    store.getState().updateMessage('a', { text: 'one two' });
    listeners.get('pagehide')?.();
    expect(stored(items)?.state.messages.a?.text).toBe('one two');
  });

  it('uses localStorage by default, under the name react-model-stream', () => {
    const { storage, items } = memoryStorage();
    vi.stubGlobal('localStorage', storage);
    const store = createMessageStore({ persist: true });
    store.getState().appendMessage('c', { id: 'u', role: 'user', text: 'saved' });
    expect(stored(items)?.state.messages.u?.text).toBe('saved');
    const reloaded = createMessageStore({ persist: {} });
    expect(reloaded.getState().messages.u?.text).toBe('saved');
  });

  it('honours a custom name and version, and migrates an older version (then repairs it)', () => {
    const { storage, items } = memoryStorage({
      chat: JSON.stringify({
        state: { chats: { c: ['a'] }, msgs: { a: { id: 'a', text: 'old', status: 'streaming' } } },
        version: 1,
      }),
    });
    const migrate = vi.fn((persisted: unknown) => {
      const old = persisted as { msgs: Record<string, { id: string; text: string; status: Message['status'] }> };
      return {
        conversations: { c: { id: 'c', messageIds: ['a'], createdAt: 0, updatedAt: 0 } },
        messages: Object.fromEntries(Object.entries(old.msgs).map(([id, m]) => [id, assistant({ ...m, id })])),
      };
    });
    const store = createMessageStore({ persist: { storage, name: 'chat', version: 2, migrate } });
    expect(migrate).toHaveBeenCalledWith(expect.anything(), 1);
    expect(store.getState().messages.a).toMatchObject({ text: 'old', status: 'incomplete', incomplete: { reason: 'disconnected' } });
    // zustand writes the migrated state back under the new version (a streamed-size change: throttled)
    store.flushPersisted();
    expect(stored(items, 'chat')?.version).toBe(2);
    expect(stored(items, 'chat')?.state.messages.a?.status).toBe('incomplete');
  });

  it('runs without persistence and without a crash where there is no localStorage (SSR)', () => {
    vi.stubGlobal('localStorage', undefined);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const store = createMessageStore({ persist: true });
    expect(store.persist).toBeUndefined();
    store.getState().appendMessage('c', { role: 'user', text: 'in memory' });
    store.flushPersisted();
    expect(getConversationMessages(store.getState(), 'c')).toHaveLength(1);
    expect(warn).not.toHaveBeenCalled();
  });

  it('runs without persistence when the browser blocks localStorage (its getter throws)', () => {
    Object.defineProperty(globalThis, 'localStorage', {
      configurable: true,
      get() {
        throw new Error('SecurityError: access denied');
      },
    });
    try {
      const store = createMessageStore({ persist: true });
      expect(store.persist).toBeUndefined();
      store.getState().appendMessage('c', { role: 'user', text: 'still works' });
      expect(Object.keys(store.getState().messages)).toHaveLength(1);
    } finally {
      delete (globalThis as { localStorage?: unknown }).localStorage;
    }
  });

  it('keeps working when the storage refuses writes (quota), reporting through onError', () => {
    const onError = vi.fn();
    const storage: StateStorage = {
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => {},
    };
    const store = createMessageStore({ persist: { storage, onError } });
    expect(() => store.getState().appendMessage('c', { id: 'a', role: 'user', text: 'x' })).not.toThrow();
    expect(store.getState().messages.a?.text).toBe('x');
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'QuotaExceededError' }));
  });

  it('a corrupted tool call (null) in a message left streaming loses nothing else: the history hydrates, repaired', () => {
    const onError = vi.fn();
    const stored0 = {
      state: {
        conversations: { c: { id: 'c', messageIds: ['u', 'a'], createdAt: 0, updatedAt: 0 } },
        messages: {
          u: { ...assistant({ id: 'u' }), role: 'user', text: 'question', status: 'complete' },
          a: { ...assistant({ id: 'a' }), text: 'half an answer', status: 'streaming', toolCalls: [null, { id: 't', name: 'x', index: 0, argsText: '{', args: {}, state: 'streaming' }] },
        },
      },
      version: 0,
    };
    const { storage, items } = memoryStorage({ 'react-model-stream': JSON.stringify(stored0) });
    const store = createMessageStore({ persist: { storage, onError } });
    expect(onError).not.toHaveBeenCalled();
    expect(getConversationMessages(store.getState(), 'c').map((m) => m.text)).toEqual(['question', 'half an answer']);
    expect(store.getState().messages.a).toMatchObject({ status: 'incomplete', incomplete: { reason: 'disconnected' }, toolCalls: [{ id: 't', state: 'incomplete' }] });
    store.getState().appendMessage('c', { role: 'user', text: 'next' });
    expect(Object.keys(stored(items)!.state.messages)).toHaveLength(3);
  });

  it('ignores a corrupted or foreign stored value', () => {
    const onError = vi.fn();
    const corrupted = memoryStorage({ 'react-model-stream': '{not json' });
    const broken = createMessageStore({ persist: { storage: corrupted.storage, onError } });
    expect(broken.getState().messages).toEqual({});
    expect(onError).toHaveBeenCalledWith(expect.any(SyntaxError));
    // and the store still persists afterwards
    broken.getState().appendMessage('c', { id: 'n', role: 'user', text: 'fresh' });
    expect(stored(corrupted.items)?.state.messages.n?.text).toBe('fresh');
    const foreign = createMessageStore({
      persist: { storage: memoryStorage({ 'react-model-stream': JSON.stringify({ state: { hello: 'world' }, version: 0 }) }).storage },
    });
    expect(foreign.getState().messages).toEqual({});
    expect(foreign.getState().conversations).toEqual({});
    const partlyBad = createMessageStore({
      persist: {
        storage: memoryStorage({
          'react-model-stream': JSON.stringify({
            state: { conversations: { c: { id: 'c', messageIds: ['a', 7], createdAt: 0, updatedAt: 0 }, x: 5 }, messages: { a: assistant({ id: 'a' }), b: 'junk' } },
            version: 0,
          }),
        }).storage,
      },
    });
    expect(Object.keys(partlyBad.getState().messages)).toEqual(['a']);
    expect(Object.keys(partlyBad.getState().conversations)).toEqual(['c']);
    expect(partlyBad.getState().conversations.c?.messageIds).toEqual(['a']);
  });

  it('with an async storage, keeps what the app wrote before the stored state arrived', async () => {
    const { storage: inner, items } = memoryStorage({
      'react-model-stream': JSON.stringify({
        state: {
          conversations: { c: { id: 'c', messageIds: ['old'], createdAt: 0, updatedAt: 0 } },
          messages: { old: assistant({ id: 'old', text: 'from last time', status: 'streaming' }) },
        },
        version: 0,
      }),
    });
    const storage: StateStorage = {
      getItem: async (name) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return inner.getItem(name);
      },
      setItem: async (name, value) => inner.setItem(name, value),
      removeItem: async (name) => inner.removeItem(name),
    };
    const store = createMessageStore({ persist: { storage } });
    expect(store.persist?.hasHydrated()).toBe(false);
    store.getState().appendMessage('c', { id: 'new', role: 'user', text: 'typed before hydration' });
    await new Promise<void>((resolve) => store.persist?.onFinishHydration(() => resolve()));
    expect(store.getState().conversations.c?.messageIds).toEqual(['old', 'new']);
    expect(store.getState().messages.old).toMatchObject({ status: 'incomplete', incomplete: { reason: 'disconnected' } });
    expect(store.getState().messages.new?.text).toBe('typed before hydration');
    // the merged state, not the pre-hydration one, ends up in the storage
    await vi.waitFor(() => expect(stored(items)?.state.conversations).toMatchObject({ c: { messageIds: ['old', 'new'] } }));
  });
});
