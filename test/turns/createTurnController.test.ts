import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMessageStore, getConversationMessages } from '../../src/store/index';
import { createTurnController, sameInput } from '../../src/turns/createTurnController';
import { answer, createFakeFetch, part, recordingRunCancel } from './helpers';

// The turn controller behind `useModelStream`, in plain Node (no React, no server): start, stop,
// subscribe and get; the lanes (one turn at a time per store conversation, or per controller
// without a store); the StrictMode same-task dedupe; the store wiring. The same behaviour through
// React: test/react/lanes.test.tsx, lifecycle.test.tsx (StrictMode), stopContract.test.tsx.

const WAIT = { timeout: 5_000, interval: 5 };
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

afterEach(() => vi.restoreAllMocks());

function setup(options: { store?: ReturnType<typeof createMessageStore>; conversationId?: string } = {}) {
  const { fetch, calls } = createFakeFetch();
  const { runCancel, clients } = recordingRunCancel<string>();
  const controller = createTurnController<string, string>({ api: '/chat', cancelApi: '/cancel', fetch, throttle: false, ...options }, runCancel);
  return { controller, calls, clients, fetch };
}

describe('createTurnController', () => {
  it('get is null before the first start; start puts the turn on the lane at once (before its first byte) and tells subscribers', async () => {
    const { controller, calls } = setup();
    expect(controller.get()).toBeNull();
    const listener = vi.fn();
    const unsubscribe = controller.subscribe(listener);
    const done = controller.start('Hi', 'client-a');
    expect(listener).toHaveBeenCalledTimes(1);
    const turn = controller.get()!;
    expect(turn.session.getSnapshot().status).toBe('connecting');
    expect(controller.own()).toBe(turn);

    await vi.waitFor(() => expect(calls).toHaveLength(1), WAIT);
    expect(JSON.parse(calls[0]!.init.body as string)).toEqual({ input: 'Hi', messages: [] });
    answer(calls[0]!, 'Hello');
    const final = await done;
    expect(final).toMatchObject({ id: turn.messageId, role: 'assistant', status: 'complete', text: 'Hello' });
    // A finished turn stays the lane's until the next start.
    expect(controller.get()).toBe(turn);

    unsubscribe();
    void controller.start('again', 'client-a');
    expect(listener).toHaveBeenCalledTimes(1);
    await controller.stop();
  });

  it('stop: the stop contract on the lane’s turn, its server cancel on the turn’s client, or the one stop() names', async () => {
    const { controller, calls, clients } = setup();
    await expect(controller.stop()).resolves.toEqual({ serverConfirmed: false });
    const done = controller.start('Hi', 'hook-client');
    await vi.waitFor(() => expect(calls).toHaveLength(1), WAIT);
    calls[0]!.write(part({ type: 'start' }) + part({ type: 'text-delta', id: '0', delta: 'Hel' }));
    await vi.waitFor(() => expect(controller.get()!.session.getSnapshot().message.text).toBe('Hel'), WAIT);
    await expect(controller.stop({ queryClient: 'button-client' })).resolves.toEqual({ serverConfirmed: true });
    expect(clients).toEqual(['button-client']);
    expect(await done).toMatchObject({ status: 'incomplete', text: 'Hel', incomplete: { reason: 'cancelled' } });

    void controller.start('next', 'hook-client');
    await controller.stop();
    expect(clients).toEqual(['button-client', 'hook-client']);
  });

  it('StrictMode dedupe: the same input twice in one task is one start (the same promise, one request); in a later task, a new start', async () => {
    const { controller, calls } = setup();
    const first = controller.start('Hi', 'c');
    const turn = controller.get();
    expect(controller.start('Hi', 'c')).toBe(first);
    expect(controller.get()).toBe(turn);
    // Plain data that serializes the same is the same input (an object literal built twice).
    expect(sameInput({ q: 'Hi', n: [1] }, { q: 'Hi', n: [1] })).toBe(true);
    expect(sameInput({ q: 'Hi' }, { q: 'Ho' })).toBe(false);
    expect(sameInput(null, null)).toBe(true);
    expect(sameInput(null, {})).toBe(false);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(sameInput(cyclic, { self: {} })).toBe(false);

    await tick();
    const second = controller.start('Hi', 'c');
    expect(second).not.toBe(first);
    expect(controller.get()).not.toBe(turn);
    await vi.waitFor(() => expect(calls).toHaveLength(2), WAIT);
    // The first was stopped by the second start.
    expect(await first).toMatchObject({ status: 'incomplete', incomplete: { reason: 'cancelled' } });
    await controller.stop();
  });

  it('a different input in the same task is a new start, which stops the running one', async () => {
    const { controller } = setup();
    const first = controller.start('Hi', 'c');
    const second = controller.start('Ho', 'c');
    expect(second).not.toBe(first);
    expect(await first).toMatchObject({ status: 'incomplete', incomplete: { reason: 'cancelled' } });
    await controller.stop();
    await second;
  });

  it('store lanes: controllers on one store and conversation share the turn; a start stops the one on its conversation, never another’s', async () => {
    const store = createMessageStore();
    const a1 = setup({ store, conversationId: 'a' });
    const a2 = setup({ store, conversationId: 'a' });
    const b = setup({ store, conversationId: 'b' });

    const inB = b.controller.start('in B', 'c');
    const firstInA = a1.controller.start('in A', 'c');
    expect(a2.controller.get()).toBe(a1.controller.get());
    expect(a1.controller.own()).toBeUndefined();
    expect(b.controller.get()).not.toBe(a1.controller.get());

    // A second controller on conversation a starts there: it stops a's turn, not b's.
    await tick();
    const secondInA = a2.controller.start('again in A', 'c');
    expect(a1.controller.get()).toBe(a2.controller.get());
    expect(await firstInA).toMatchObject({ status: 'incomplete', incomplete: { reason: 'cancelled' } });
    expect(b.controller.get()!.session.getSnapshot().status).not.toBe('incomplete');

    // Switching conversation is setting options: the controller shows that lane at once.
    a1.controller.options = { ...a1.controller.options, conversationId: 'b' };
    expect(a1.controller.get()).toBe(b.controller.get());

    await vi.waitFor(() => expect(b.calls).toHaveLength(1), WAIT);
    answer(b.calls[0]!, 'B answer');
    expect(await inB).toMatchObject({ status: 'complete', text: 'B answer' });
    await a2.controller.stop();
    await secondInA;
  });

  it('store wiring: the user turn and the answer go to the store, kept in step; the body gets the history without the new turn', async () => {
    const store = createMessageStore();
    const { controller, calls } = setup({ store, conversationId: 'c' });
    const onFinish = vi.fn();
    controller.options = { ...controller.options, onFinish };
    const done = controller.start('Hi', 'client');
    const turn = controller.get()!;
    expect(getConversationMessages(store.getState(), 'c').map((m) => [m.role, m.text, m.status])).toEqual([
      ['user', 'Hi', 'complete'],
      ['assistant', '', 'streaming'],
    ]);
    expect(store.getState().messages[turn.messageId]).toMatchObject({ streamId: turn.session.streamId });
    await vi.waitFor(() => expect(calls).toHaveLength(1), WAIT);
    expect(JSON.parse(calls[0]!.init.body as string)).toEqual({ input: 'Hi', conversationId: 'c', messages: [] });
    answer(calls[0]!, 'Hello');
    const final = await done;
    expect(final).toBe(store.getState().messages[turn.messageId]);
    expect(final).toMatchObject({ status: 'complete', text: 'Hello' });
    expect(onFinish).toHaveBeenCalledWith({ message: final, reason: 'complete' });

    void controller.start('Next', 'client');
    await vi.waitFor(() => expect(calls).toHaveLength(2), WAIT);
    expect(JSON.parse(calls[1]!.init.body as string).messages).toEqual([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello' },
    ]);
    await controller.stop();
  });

  it('a request that cannot be built ends the turn as an error: start() resolves, onError then onFinish, no request', async () => {
    const { controller, calls } = setup();
    const events: string[] = [];
    controller.options = {
      ...controller.options,
      body: () => {
        throw new Error('bad body');
      },
      onError: (error) => events.push(`error: ${error.message}`),
      onFinish: ({ reason }) => events.push(`finish: ${reason}`),
    };
    const final = await controller.start('Hi', 'c');
    expect(final).toMatchObject({ status: 'incomplete', incomplete: { reason: 'error' } });
    expect(events).toEqual(['error: bad body', 'finish: error']);
    expect(calls).toHaveLength(0);
  });
});
