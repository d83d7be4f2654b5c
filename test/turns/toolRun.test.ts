import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMessageStore, getConversationMessages, toModelMessages } from '../../src/store/index';
import { createTurnController } from '../../src/turns/createTurnController';
import type { RunCancel, TurnOptions } from '../../src/turns/types';
import { startToolServer, toolResults, type ToolRequest } from './toolServer';

// Tool runs (docs/tools.md) in plain Node against a real local server: handleModelStream over the
// fake model, which answers a tool call at step 1 and text once the history holds its result.

const WAIT = { timeout: 5_000, interval: 5 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let app: Awaited<ReturnType<typeof startToolServer>> | null = null;

afterEach(async () => {
  await app?.close();
  app = null;
});

const WEATHER = { id: 'call_w', name: 'weather', args: { city: 'Genève' } };
const TIME = { id: 'call_t', name: 'time', args: { zone: 'CET' } };

/** The model: `input` names the calls of step 1; later it answers text with the results its history holds (`loop` always calls). */
function model(body: ToolRequest) {
  const results = toolResults(body);
  if (body.input === 'slow') return { text: 'word '.repeat(400), toolCalls: [WEATHER], intervalMs: 5 };
  if (body.input === 'loop' || body.step === 1) {
    const calls = { weather: [WEATHER], parallel: [WEATHER, TIME], ask: [{ id: 'call_a', name: 'ask_user', args: { q: 'ok?' } }], loop: [{ ...WEATHER, id: `call_${body.step}` }] };
    return { toolCalls: calls[body.input as keyof typeof calls] ?? [WEATHER] };
  }
  return { text: `Done: ${JSON.stringify(results)}` };
}

const runCancel: RunCancel<string> = (_client, cancel) => cancel;

async function setup(options: Partial<TurnOptions<string>>) {
  app = await startToolServer(model);
  const store = createMessageStore();
  const onFinish = vi.fn();
  const controller = createTurnController<string, string>(
    {
      api: `${app.url}/stream`,
      cancelApi: `${app.url}/cancel`,
      store,
      throttle: false,
      onFinish,
      body: (input, { messages, step }) => ({ input, step, messages: toModelMessages(messages, { format: 'openai-chat' }) }),
      ...options,
    },
    runCancel,
  );
  const assistants = () => getConversationMessages(store.getState(), 'default').filter((m) => m.role === 'assistant');
  const call = (id: string) => assistants().flatMap((m) => m.toolCalls).find((c) => c.id === id);
  return { store, controller, onFinish, assistants, call, requests: app.requests };
}

describe('tool runs', () => {
  it('a two-step loop: the tool runs with the parsed args, its result is stored and sent in step 2’s history; one onFinish, one promise', async () => {
    const weather = vi.fn(async (args: { city: string }) => ({ city: args.city, celsius: 21 }));
    const { controller, onFinish, assistants, requests, store } = await setup({ tools: { weather } });
    const final = await controller.start('weather', 'c');
    expect(weather).toHaveBeenCalledTimes(1);
    expect(weather.mock.calls[0]![0]).toEqual({ city: 'Genève' });
    expect(requests).toHaveLength(2);
    expect(requests[1]!.step).toBe(2);
    expect(toolResults(requests[1]!)).toEqual({ call_w: JSON.stringify({ city: 'Genève', celsius: 21 }) });
    const [step1, step2] = assistants();
    expect(step1).toMatchObject({ status: 'complete', toolCalls: [{ id: 'call_w', execution: { state: 'done', result: { city: 'Genève', celsius: 21 } } }] });
    expect(step2).toMatchObject({ status: 'complete', text: `Done: {"call_w":"{\\"city\\":\\"Genève\\",\\"celsius\\":21}"}` });
    expect(step1!.streamId).not.toBe(step2!.streamId);
    expect(final).toEqual(step2);
    // One user message: a step is not a new user turn.
    expect(getConversationMessages(store.getState(), 'default').map((m) => m.role)).toEqual(['user', 'assistant', 'assistant']);
    expect(onFinish).toHaveBeenCalledTimes(1);
    expect(onFinish).toHaveBeenCalledWith({ message: final, reason: 'complete' });
    expect(controller.get()!.run!.status).toBeNull();
  });

  it('parallel tools: every call of the step runs at once; the next step waits for all', async () => {
    let running = 0;
    let most = 0;
    const slow = (result: string) => async () => {
      most = Math.max(most, ++running);
      await sleep(30);
      running--;
      return result;
    };
    const { controller, requests } = await setup({ tools: { weather: slow('sunny'), time: slow('noon') } });
    const final = await controller.start('parallel', 'c');
    expect(most).toBe(2);
    expect(requests).toHaveLength(2);
    expect(toolResults(requests[1]!)).toEqual({ call_w: 'sunny', call_t: 'noon' });
    expect(final.text).toContain('Done');
  });

  it('a tool the app did not give waits for addToolResult (status tools), then the run goes on', async () => {
    const { controller, call, requests } = await setup({ tools: { weather: () => 'x' } });
    const done = controller.start('ask', 'c');
    // `tools` from the instant the stream completes (read once its listeners ran, as React renders): a Stop button never sees a gap.
    const turn = controller.get()!;
    const seen: unknown[] = [];
    turn.session.subscribe(() => void (turn.session.getSnapshot().status === 'complete' && queueMicrotask(() => seen.push(turn.run!.status))));
    await vi.waitFor(() => expect(controller.get()!.run!.status).toBe('tools'), WAIT);
    expect(seen[0]).toBe('tools');
    await sleep(20);
    expect(call('call_a')!.execution).toBeUndefined();
    expect(requests).toHaveLength(1);
    controller.get()!.run!.addToolResult!('call_a', 'yes');
    const final = await done;
    expect(toolResults(requests[1]!)).toEqual({ call_a: 'yes' });
    expect(final).toMatchObject({ status: 'complete', text: 'Done: {"call_a":"yes"}' });
  });

  it('an error result the app gives (addToolError): stored as error, sent as an error result, and the run goes on', async () => {
    const { controller, call, requests } = await setup({
      tools: { weather: () => 'x' },
      // Both histories: the Chat one the fake model reads, and the Anthropic one, to see its `is_error`.
      body: (input, { messages, step }) => ({
        input,
        step,
        messages: toModelMessages(messages, { format: 'openai-chat' }),
        anthropic: toModelMessages(messages, { format: 'anthropic' }),
      }),
    });
    const done = controller.start('ask', 'c');
    await vi.waitFor(() => expect(controller.get()!.run!.status).toBe('tools'), WAIT);
    controller.get()!.run!.addToolError!('call_a', 'No camera');
    expect(call('call_a')!.execution).toEqual({ state: 'error', error: 'No camera' });
    // A result once given is kept: a later one does nothing.
    controller.get()!.run!.addToolResult!('call_a', 'late');
    expect(call('call_a')!.execution).toEqual({ state: 'error', error: 'No camera' });
    const final = await done;
    expect(toolResults(requests[1]!)).toEqual({ call_a: 'Error: No camera' });
    const anthropic = (requests[1] as unknown as { anthropic: { role: string; content: unknown }[] }).anthropic;
    expect(anthropic.at(-1)).toEqual({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'call_a', content: 'Error: No camera', is_error: true }],
    });
    expect(final).toMatchObject({ status: 'complete', text: 'Done: {"call_a":"Error: No camera"}' });
  });

  it('approval: a call waits in awaiting-approval; approve runs it, deny stores denied (the model reads it)', async () => {
    const weather = vi.fn(() => 'sunny');
    const { controller, call, requests } = await setup({ tools: { weather: { execute: weather, needsApproval: (args: { city: string }) => args.city === 'Genève' } } });
    let done = controller.start('weather', 'c');
    await vi.waitFor(() => expect(call('call_w')!.execution).toEqual({ state: 'awaiting-approval' }), WAIT);
    expect(controller.get()!.run!.status).toBe('tools');
    expect(weather).not.toHaveBeenCalled();
    controller.get()!.run!.approveToolCall!('call_w');
    expect((await done).status).toBe('complete');
    expect(weather).toHaveBeenCalledTimes(1);
    expect(toolResults(requests[1]!)).toEqual({ call_w: 'sunny' });

    done = controller.start('weather', 'c');
    await vi.waitFor(() => expect(requests).toHaveLength(3), WAIT);
    await vi.waitFor(() => expect(controller.get()!.run!.status).toBe('tools'), WAIT);
    controller.get()!.run!.denyToolCall!('call_w', 'not now');
    expect((await done).status).toBe('complete');
    expect(weather).toHaveBeenCalledTimes(1);
    expect(String(toolResults(requests[3]!).call_w)).toMatch(/denied.*not now/);
  });

  it('maxSteps bounds the run: the last step’s calls stay unanswered and its tool never runs', async () => {
    const weather = vi.fn(() => 'sunny');
    const { controller, requests, assistants } = await setup({ tools: { weather }, maxSteps: 2 });
    const final = await controller.start('loop', 'c');
    expect(requests.map((r) => r.step)).toEqual([1, 2]);
    expect(weather).toHaveBeenCalledTimes(1);
    expect(final).toMatchObject({ status: 'complete', toolCalls: [{ id: 'call_2' }] });
    expect(final.toolCalls[0]!.execution).toBeUndefined();
    expect(assistants()).toHaveLength(2);
    expect(controller.get()!.run!.status).toBeNull();
  });

  it('a throwing tool is an error result (no unhandled rejection), and the run goes on', async () => {
    const { controller, call, requests } = await setup({
      tools: {
        weather: async () => {
          throw new Error('boom');
        },
      },
    });
    const final = await controller.start('weather', 'c');
    expect(call('call_w')!.execution).toEqual({ state: 'error', error: 'boom' });
    expect(String(toolResults(requests[1]!).call_w)).toContain('boom');
    expect(final.status).toBe('complete');
  });

  it('tools without a store: start throws a TypeError', async () => {
    const controller = createTurnController<string, string>({ api: 'http://127.0.0.1:1/x', tools: { t: () => 1 } }, runCancel);
    expect(() => controller.start('x', 'c')).toThrow(TypeError);
  });
});

describe('Stop ends the whole run', () => {
  const noFurtherRequest = async (requests: ToolRequest[], count = 1) => {
    await sleep(60);
    expect(requests).toHaveLength(count);
  };

  it('while a step streams: the stop contract (server confirmed), no tool, no next step', async () => {
    const weather = vi.fn(() => 'sunny');
    const { controller, requests, onFinish, store } = await setup({ tools: { weather } });
    const done = controller.start('slow', 'c');
    await vi.waitFor(() => expect(controller.get()!.session.getSnapshot().message.text.length).toBeGreaterThan(10), WAIT);
    expect(await controller.stop()).toEqual({ serverConfirmed: true });
    const final = await done;
    expect(final).toMatchObject({ status: 'incomplete', incomplete: { reason: 'cancelled', serverConfirmed: true } });
    await noFurtherRequest(requests);
    expect(weather).not.toHaveBeenCalled();
    expect(onFinish).toHaveBeenCalledWith({ message: final, reason: 'cancelled' });
    expect(store.getState().messages[final.id]).toEqual(final);
  });

  it('while a tool runs (it honours its signal): the call is cancelled, the message cancelled, serverConfirmed false', async () => {
    let signal: AbortSignal | undefined;
    const weather = (_args: unknown, context: { signal: AbortSignal }) =>
      new Promise((_resolve, reject) => {
        signal = context.signal;
        context.signal.addEventListener('abort', () => reject(context.signal.reason));
      });
    const { controller, call, requests, onFinish } = await setup({ tools: { weather } });
    const done = controller.start('weather', 'c');
    await vi.waitFor(() => expect(call('call_w')!.execution).toEqual({ state: 'running' }), WAIT);
    expect(controller.get()!.run!.status).toBe('tools');
    expect(await controller.stop()).toEqual({ serverConfirmed: false });
    expect(signal!.aborted).toBe(true);
    expect(controller.get()!.run!.status).toBe('incomplete');
    const final = await done;
    expect(final).toMatchObject({ status: 'incomplete', incomplete: { reason: 'cancelled', serverConfirmed: false } });
    expect(call('call_w')!.execution).toEqual({ state: 'cancelled', reason: 'stopped' });
    expect(onFinish).toHaveBeenCalledTimes(1);
    await noFurtherRequest(requests);
    // Idempotent.
    expect(await controller.stop()).toEqual({ serverConfirmed: false });
  });

  it('while a tool runs that ignores its signal: it finishes, but its result is not stored and no step follows', async () => {
    let finished = false;
    const weather = async () => {
      await sleep(40);
      finished = true;
      return 'sunny';
    };
    const { controller, call, requests } = await setup({ tools: { weather } });
    const done = controller.start('weather', 'c');
    await vi.waitFor(() => expect(call('call_w')!.execution).toEqual({ state: 'running' }), WAIT);
    await controller.stop();
    expect((await done).status).toBe('incomplete');
    await vi.waitFor(() => expect(finished).toBe(true), WAIT);
    await noFurtherRequest(requests);
    expect(call('call_w')!.execution).toEqual({ state: 'cancelled', reason: 'stopped' });
  });

  it('while a call awaits approval: cancelled (stopped); approving later does nothing', async () => {
    const weather = vi.fn(() => 'sunny');
    const { controller, call, requests } = await setup({ tools: { weather: { execute: weather, needsApproval: true } } });
    const done = controller.start('weather', 'c');
    await vi.waitFor(() => expect(call('call_w')!.execution).toEqual({ state: 'awaiting-approval' }), WAIT);
    const run = controller.get()!.run!;
    await controller.stop();
    expect(await done).toMatchObject({ status: 'incomplete', incomplete: { reason: 'cancelled', serverConfirmed: false } });
    run.approveToolCall!('call_w');
    run.addToolResult!('call_w', 'late');
    await noFurtherRequest(requests);
    expect(weather).not.toHaveBeenCalled();
    expect(call('call_w')!.execution).toEqual({ state: 'cancelled', reason: 'stopped' });
  });

  it('between steps (every result in, the next step not started): no next step; the results stay', async () => {
    const { controller, call, requests } = await setup({ tools: { weather: () => 'x' } });
    const done = controller.start('ask', 'c');
    await vi.waitFor(() => expect(controller.get()!.run!.status).toBe('tools'), WAIT);
    const run = controller.get()!.run!;
    run.addToolResult!('call_a', 'yes');
    void controller.stop();
    expect(await done).toMatchObject({ status: 'incomplete', incomplete: { reason: 'cancelled', serverConfirmed: false } });
    expect(call('call_a')!.execution).toEqual({ state: 'done', result: 'yes' });
    await noFurtherRequest(requests);
  });

  it('while the app owes a result (a tool not in tools): the call is cancelled; a late addToolResult does nothing', async () => {
    const { controller, call, requests } = await setup({ tools: { weather: () => 'x' } });
    const done = controller.start('ask', 'c');
    await vi.waitFor(() => expect(controller.get()!.run!.status).toBe('tools'), WAIT);
    const run = controller.get()!.run!;
    expect(await controller.stop()).toEqual({ serverConfirmed: false });
    run.addToolResult!('call_a', 'late');
    expect(await done).toMatchObject({ status: 'incomplete', incomplete: { reason: 'cancelled', serverConfirmed: false } });
    expect(call('call_a')!.execution).toEqual({ state: 'cancelled', reason: 'stopped' });
    await noFurtherRequest(requests);
  });

  it('a Stop in the same task as the start (before the run’s module may have loaded) ends the run in its first step', async () => {
    const weather = vi.fn(() => 'x');
    const { controller, requests } = await setup({ tools: { weather } });
    const done = controller.start('weather', 'c');
    void controller.stop();
    expect(await done).toMatchObject({ status: 'incomplete', incomplete: { reason: 'cancelled' } });
    await sleep(60);
    expect(requests.length).toBeLessThanOrEqual(1);
    expect(weather).not.toHaveBeenCalled();
  });

  it('a new start on the lane stops the running run first', async () => {
    const { controller, call, requests } = await setup({ tools: { weather: { execute: () => 'x', needsApproval: true } } });
    const first = controller.start('weather', 'c');
    await vi.waitFor(() => expect(call('call_w')!.execution).toEqual({ state: 'awaiting-approval' }), WAIT);
    const second = controller.start('ask', 'c');
    expect(await first).toMatchObject({ status: 'incomplete', incomplete: { reason: 'cancelled' } });
    await vi.waitFor(() => expect(controller.get()!.run!.status).toBe('tools'), WAIT);
    expect(requests).toHaveLength(2);
    await controller.stop();
    await second;
  });
});
