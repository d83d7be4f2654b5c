import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StateStorage } from 'zustand/middleware';
import { createAccumulator } from '../../src/core/accumulator';
import { createMessageStore, repairInterruptedMessages, type Message, type SessionSnapshotLike, type ToolCall, type ToolExecution } from '../../src/store';
import { mergeFromOtherTab } from '../../src/store/mergeFromOtherTab';
import { sanitizeStoredData } from '../../src/store/sanitizeStoredData';
import { createTabs } from '../helpers/tabs';

// Tool calls keep their execution (state and result) in the store: set by setToolExecution, kept by
// every later session snapshot, persisted, repaired at reload, merged across tabs.

function call(id: string, overrides: Partial<ToolCall> = {}): ToolCall {
  return { id, name: 'get_weather', index: 0, argsText: '{"city":"Lyon"}', args: { city: 'Lyon' }, state: 'complete', ...overrides };
}

function message(overrides: Partial<Message> & Pick<Message, 'id'>): Message {
  return { role: 'assistant', text: '', reasoning: '', toolCalls: [], usage: null, status: 'complete', finishReason: 'tool-calls', createdAt: 1, updatedAt: 2, ...overrides };
}

function memoryStorage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial));
  const writes: string[] = [];
  const storage: StateStorage = {
    getItem: (name) => items.get(name) ?? null,
    setItem: (name, value) => {
      writes.push(value);
      items.set(name, value);
    },
    removeItem: (name) => void items.delete(name),
  };
  return { storage, items, writes };
}

/** A store holding conversation `c` with an assistant message `a` with two complete tool calls. */
function storeWithCalls(options: Parameters<typeof createMessageStore>[0] = {}) {
  let clock = 100;
  const store = createMessageStore({ now: () => clock, ...options });
  store.getState().appendMessage('c', { id: 'a', role: 'assistant', toolCalls: [call('call_1'), call('call_2', { index: 1 })] });
  return { store, tick: (to: number) => (clock = to) };
}

const DONE: ToolExecution = { state: 'done', result: { temperature: 11 } };

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  vi.resetModules();
});

describe('setToolExecution', () => {
  it('sets the execution of one tool call; only that message, its tool-call array and that call are new', () => {
    const { store, tick } = storeWithCalls();
    store.getState().appendMessage('c', { id: 'u', role: 'user', text: 'Hi' });
    const before = store.getState();
    tick(200);
    const updated = store.getState().setToolExecution('a', 'call_1', { state: 'running' });
    const after = store.getState();
    expect(updated).toBe(after.messages.a);
    expect(after.messages.a!.toolCalls[0]!.execution).toEqual({ state: 'running' });
    expect(after.messages.a!.updatedAt).toBe(200);
    expect(after.messages.a).not.toBe(before.messages.a);
    expect(after.messages.a!.toolCalls[1]).toBe(before.messages.a!.toolCalls[1]);
    expect(after.messages.u).toBe(before.messages.u);
    expect(after.conversations).toBe(before.conversations);
    expect(after.conversations.c!.messageIds).toBe(before.conversations.c!.messageIds);

    store.getState().setToolExecution('a', 'call_1', DONE);
    expect(store.getState().messages.a!.toolCalls[0]!.execution).toEqual(DONE);
  });

  it('is a no-op (same state, no notification) for an unknown message or call, and for an equal execution', () => {
    const { store } = storeWithCalls();
    store.getState().setToolExecution('a', 'call_1', DONE);
    const listener = vi.fn();
    store.subscribe(listener);
    const state = store.getState();
    expect(store.getState().setToolExecution('nope', 'call_1', DONE)).toBeUndefined();
    expect(store.getState().setToolExecution('a', 'nope', DONE)).toBe(state.messages.a);
    // An equal value, not the same object.
    expect(store.getState().setToolExecution('a', 'call_1', { state: 'done', result: { temperature: 11 } })).toBe(state.messages.a);
    expect(store.getState().setToolExecution('a', 'call_2', undefined)).toBe(state.messages.a);
    expect(store.getState()).toBe(state);
    expect(listener).not.toHaveBeenCalled();
  });

  it('removes the execution with undefined (the key is gone, not set to undefined)', () => {
    const { store } = storeWithCalls();
    store.getState().setToolExecution('a', 'call_1', { state: 'awaiting-approval' });
    store.getState().setToolExecution('a', 'call_1', undefined);
    expect(store.getState().messages.a!.toolCalls[0]).toEqual(call('call_1'));
    expect(Object.hasOwn(store.getState().messages.a!.toolCalls[0]!, 'execution')).toBe(false);
  });

  it('moves updatedAt past the stored one even in the same millisecond (another tab takes the change)', () => {
    const { store } = storeWithCalls();
    const at = store.getState().messages.a!.updatedAt;
    store.getState().setToolExecution('a', 'call_1', { state: 'running' });
    store.getState().setToolExecution('a', 'call_1', DONE);
    expect(store.getState().messages.a!.updatedAt).toBe(at + 2);
  });

  it('is written to the storage at once, not at the stream throttle’s pace', () => {
    const { storage, items } = memoryStorage();
    const { store } = storeWithCalls({ persist: { storage, throttleMs: 10_000 } });
    store.getState().setToolExecution('a', 'call_1', DONE);
    const stored = JSON.parse(items.get('react-model-stream')!) as { state: { messages: Record<string, Message> } };
    expect(stored.state.messages.a!.toolCalls[0]!.execution).toEqual(DONE);
  });
});

describe('applySessionSnapshot keeps executions', () => {
  function snapshotWith(status: string, build: (acc: ReturnType<typeof createAccumulator>) => void): SessionSnapshotLike {
    const acc = createAccumulator({ partialArgs: true });
    build(acc);
    return { status, message: acc.message(), incomplete: null, error: null, streamId: 's1', responseId: null };
  }
  const twoCalls = (acc: ReturnType<typeof createAccumulator>) => {
    acc.apply({ type: 'tool-call-start', id: 'call_1', name: 'get_weather' });
    acc.apply({ type: 'tool-call-delta', id: 'call_1', delta: '{"city":"Lyon"}' });
    acc.apply({ type: 'tool-call-start', id: 'call_2', name: 'get_time' });
    acc.apply({ type: 'tool-call-delta', id: 'call_2', delta: '{}' });
    acc.apply({ type: 'finish', finishReason: 'tool-calls', rawFinishReason: 'tool_calls' });
  };

  it('a snapshot applied after setToolExecution keeps the result (merged by tool-call id)', () => {
    const store = createMessageStore();
    store.getState().appendMessage('c', { id: 'a', role: 'assistant', status: 'streaming' });
    const snapshot = snapshotWith('complete', twoCalls);
    store.getState().applySessionSnapshot('a', snapshot);
    store.getState().setToolExecution('a', 'call_2', DONE);
    store.getState().applySessionSnapshot('a', snapshotWith('complete', (acc) => {
      twoCalls(acc);
      acc.apply({ type: 'text-delta', delta: 'Let me check.' });
    }));
    const { toolCalls, text } = store.getState().messages.a!;
    expect(text).toBe('Let me check.');
    expect(toolCalls.map((c) => c.execution)).toEqual([undefined, DONE]);
    expect(Object.hasOwn(toolCalls[0]!, 'execution')).toBe(false);
  });

  it('the same snapshot applied again is a no-op, executions and all', () => {
    const store = createMessageStore();
    store.getState().appendMessage('c', { id: 'a', role: 'assistant', status: 'streaming' });
    const snapshot = snapshotWith('complete', twoCalls);
    store.getState().applySessionSnapshot('a', snapshot);
    store.getState().setToolExecution('a', 'call_1', { state: 'error', error: 'timeout' });
    const state = store.getState();
    const listener = vi.fn();
    store.subscribe(listener);
    expect(store.getState().applySessionSnapshot('a', snapshot)).toBe(state.messages.a);
    expect(store.getState()).toBe(state);
    expect(listener).not.toHaveBeenCalled();
  });

  it('a call the session no longer has goes with its execution; a call it lists keeps its own', () => {
    const store = createMessageStore();
    store.getState().appendMessage('c', { id: 'a', role: 'assistant', status: 'streaming', toolCalls: [call('old', { execution: DONE })] });
    store.getState().applySessionSnapshot('a', snapshotWith('complete', twoCalls));
    expect(store.getState().messages.a!.toolCalls.map((c) => [c.id, c.execution])).toEqual([
      ['call_1', undefined],
      ['call_2', undefined],
    ]);
  });
});

describe('persistence of executions', () => {
  it('round-trips executions through the storage', () => {
    const { storage, items } = memoryStorage();
    const { store } = storeWithCalls({ persist: { storage } });
    store.getState().setToolExecution('a', 'call_1', DONE);
    store.getState().setToolExecution('a', 'call_2', { state: 'denied', reason: 'Not now' });
    const reloaded = createMessageStore({ persist: { storage: memoryStorage(Object.fromEntries(items)).storage } });
    expect(reloaded.getState().messages.a!.toolCalls.map((c) => c.execution)).toEqual([DONE, { state: 'denied', reason: 'Not now' }]);
  });

  it('a reload repairs a tool left running or awaiting approval to cancelled/disconnected, in a finished message too', () => {
    const { storage, items } = memoryStorage();
    const { store } = storeWithCalls({ persist: { storage } });
    store.getState().appendMessage('c', { id: 'b', role: 'assistant', status: 'streaming', toolCalls: [call('call_3', { state: 'streaming' })] });
    store.getState().setToolExecution('a', 'call_1', { state: 'running' });
    store.getState().setToolExecution('a', 'call_2', { state: 'awaiting-approval' });
    store.getState().setToolExecution('b', 'call_3', { state: 'running' });
    store.flushPersisted();
    const reloaded = createMessageStore({ persist: { storage: memoryStorage(Object.fromEntries(items)).storage } });
    const { a, b } = reloaded.getState().messages;
    const cancelled = { state: 'cancelled', reason: 'disconnected' };
    expect(a!.status).toBe('complete');
    expect(a!.toolCalls.map((c) => c.execution)).toEqual([cancelled, cancelled]);
    expect(b).toMatchObject({ status: 'incomplete', incomplete: { reason: 'disconnected' } });
    expect(b!.toolCalls[0]).toMatchObject({ state: 'incomplete', execution: cancelled });
  });

  it('repairInterruptedMessages leaves finished executions (and their message objects) alone', () => {
    const finished = message({ id: 'a', toolCalls: [call('1', { execution: DONE }), call('2', { execution: { state: 'cancelled', reason: 'stopped' } })] });
    const state = { messages: { a: finished } };
    expect(repairInterruptedMessages(state)).toBe(state);
    const running = message({ id: 'b', toolCalls: [call('1', { execution: DONE }), call('2', { execution: { state: 'running' } })] });
    const repaired = repairInterruptedMessages({ messages: { a: finished, b: running } });
    expect(repaired.messages.a).toBe(finished);
    expect(repaired.messages.b!.toolCalls[0]).toBe(running.toolCalls[0]);
    expect(repaired.messages.b!.updatedAt).toBe(running.updatedAt);
  });

  it('sanitizeStoredData drops a malformed execution, keeping the call and the message', () => {
    const malformed: unknown[] = [
      'done',
      null,
      [],
      {},
      { state: 'finished' },
      { state: 'error' },
      { state: 'error', error: 42 },
      { state: 'denied', reason: 7 },
      { state: 'cancelled' },
      { state: 'cancelled', reason: 'crashed' },
    ];
    const valid: ToolExecution[] = [
      { state: 'awaiting-approval' },
      { state: 'running' },
      { state: 'done', result: null },
      { state: 'done', result: [1, 'two'] },
      { state: 'error', error: 'boom' },
      { state: 'denied' },
      { state: 'denied', reason: 'no' },
      { state: 'cancelled', reason: 'stopped' },
      { state: 'cancelled', reason: 'disconnected' },
    ];
    const toolCalls = [...malformed, ...valid].map((execution, i) => ({ ...call(`c${i}`), execution }));
    const data = sanitizeStoredData({ conversations: {}, messages: { a: message({ id: 'a', toolCalls: toolCalls as ToolCall[] }) } });
    const sanitized = data!.messages.a!.toolCalls;
    expect(sanitized).toHaveLength(toolCalls.length);
    sanitized.slice(0, malformed.length).forEach((c) => expect(Object.hasOwn(c, 'execution')).toBe(false));
    expect(sanitized.slice(malformed.length).map((c) => c.execution)).toEqual(valid);
    // A `done` without a result (JSON drops `result: undefined`) is still done.
    const bare = sanitizeStoredData({ conversations: {}, messages: { a: { ...message({ id: 'a' }), toolCalls: [{ ...call('x'), execution: { state: 'done' } }] } } });
    expect(bare!.messages.a!.toolCalls[0]!.execution).toEqual({ state: 'done' });
  });
});

describe('cross-tab merge of executions', () => {
  const data = (m: Message) => ({ conversations: { c: { id: 'c', messageIds: [m.id], createdAt: 1, updatedAt: 1 } }, messages: { [m.id]: m } });

  it('the newer version of a message wins, with its execution', () => {
    const { store } = storeWithCalls();
    const before = store.getState().messages.a!;
    store.getState().setToolExecution('a', 'call_1', DONE);
    const after = store.getState().messages.a!;
    // This tab has the result; the other wrote the version from before it.
    const ours = mergeFromOtherTab(data(after), data(before), null);
    expect(ours.changed).toBe(false);
    expect(ours.behind).toBe(true);
    const theirs = mergeFromOtherTab(data(before), data(after), null);
    expect(theirs.data.messages.a!.toolCalls[0]!.execution).toEqual(DONE);
  });

  it('in the same millisecond, a copy repaired at load (cancelled/disconnected) loses to the tab still running the tool', () => {
    const running = message({ id: 'a', toolCalls: [call('1', { execution: { state: 'running' } })] });
    const repaired = repairInterruptedMessages({ messages: { a: running } }).messages.a!;
    expect(repaired.updatedAt).toBe(running.updatedAt);
    expect(mergeFromOtherTab(data(running), data(repaired), null).data.messages.a).toBe(running);
    expect(mergeFromOtherTab(data(repaired), data(running), null).data.messages.a).toBe(running);
    const waiting = message({ id: 'a', toolCalls: [call('1', { execution: { state: 'awaiting-approval' } })] });
    const waitingRepaired = repairInterruptedMessages({ messages: { a: waiting } }).messages.a!;
    expect(mergeFromOtherTab(data(waitingRepaired), data(waiting), null).data.messages.a).toBe(waiting);
  });

  it('two tabs: a tool run in one shows in the other; a tab opened while it runs does not cancel it', async () => {
    const tabs = createTabs();
    const clock = { now: 100 };
    const a = await tabs.open('A', {}, { now: () => clock.now });
    a.getState().appendMessage('c', { id: 'm', role: 'assistant', toolCalls: [call('call_1')] });
    a.getState().setToolExecution('m', 'call_1', { state: 'running' });
    // B opens meanwhile: it repairs the stored copy at load (it cannot tell that A still runs it) …
    const b = await tabs.open('B', {}, { now: () => clock.now });
    expect(b.getState().messages.m!.toolCalls[0]!.execution).toEqual({ state: 'cancelled', reason: 'disconnected' });
    // … and writes a change of its own, the repaired copy with it, in the same millisecond.
    b.getState().appendMessage('c', { id: 'u', role: 'user', text: 'Hi' });
    tabs.settle();
    expect(a.getState().messages.m!.toolCalls[0]!.execution).toEqual({ state: 'running' });
    expect(b.getState().messages.m!.toolCalls[0]!.execution).toEqual({ state: 'running' });
    a.getState().setToolExecution('m', 'call_1', DONE);
    tabs.settle();
    expect(b.getState().messages.m!.toolCalls[0]!.execution).toEqual(DONE);
    expect(Object.keys(b.getState().messages).sort()).toEqual(['m', 'u']);
  });
});
