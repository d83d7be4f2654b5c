import { afterEach, describe, expect, it, vi } from 'vitest';
import { createToolLoopScript, readToolHistory, TOOL_LOOP_FAKE_STEPS } from '../../src/server/index';
import { createMessageStore, getConversationMessages, toModelMessages, type ModelMessageFormat } from '../../src/store/index';
import { createTurnController } from '../../src/turns/createTurnController';
import type { RunCancel, TurnOptions } from '../../src/turns/types';
import * as kit from '../../src/testing/index';
import { startToolServer } from '../turns/toolServer';

// The demo's two-step tool run (TOOL_LOOP_FAKE_STEPS) against a real local server: the fake model
// reads the history the client sends (written by `toModelMessages` in each provider's shape) and
// answers step 2 with step 1's results; and a Stop at each point of the run.

const WAIT = { timeout: 5_000, interval: 5 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const runCancel: RunCancel<string> = (_client, cancel) => cancel;
const answer = createToolLoopScript(TOOL_LOOP_FAKE_STEPS);
let app: Awaited<ReturnType<typeof startToolServer>> | null = null;

afterEach(async () => {
  await app?.close();
  app = null;
});

/** The demo's tools: the weather takes `weatherMs` (abortable), the deletion needs approval. */
function demoTools(weatherMs = 0) {
  const weather = { calls: 0, aborted: 0 };
  const deleteFile = vi.fn((args: { path: string }) => ({ deleted: true, path: args.path }));
  const tools: TurnOptions<string>['tools'] = {
    get_weather: (args: { city: string }, { signal }) =>
      new Promise((resolve, reject) => {
        weather.calls++;
        const timer = setTimeout(() => resolve({ city: args.city, celsius: 21, sky: 'sunny' }), weatherMs);
        signal.addEventListener('abort', () => {
          weather.aborted++;
          clearTimeout(timer);
          reject(signal.reason);
        });
      }),
    delete_file: { execute: deleteFile, needsApproval: true },
  };
  return { tools, weather, deleteFile };
}

async function setup(format: ModelMessageFormat, options: { weatherMs?: number; step2IntervalMs?: number } = {}) {
  // Step 2 can stream slowly (a Stop while it streams); step 1 as fast as possible.
  app = await startToolServer((body) => ({ ...answer(body), intervalMs: readToolHistory(body).step === 2 ? (options.step2IntervalMs ?? 0) : 0 }));
  const store = createMessageStore();
  const demo = demoTools(options.weatherMs);
  const controller = createTurnController<string, string>(
    {
      api: `${app.url}/stream`,
      cancelApi: `${app.url}/cancel`,
      store,
      throttle: false,
      tools: demo.tools,
      // The whole history, the new user turn included at step 1, as the demo sends it.
      body: (input, { messages, step }) => {
        const history = toModelMessages(messages, { format });
        const user = format === 'anthropic' ? { role: 'user', content: [{ type: 'text', text: input }] } : { role: 'user', content: input };
        const all = step === 1 ? [...history, user] : history;
        return format === 'openai-responses' ? { input: all } : { messages: all };
      },
    },
    runCancel,
  );
  const assistants = () => getConversationMessages(store.getState(), 'default').filter((m) => m.role === 'assistant');
  const call = (name: string) => assistants()[0]?.toolCalls.find((c) => c.name === name);
  return { controller, assistants, call, requests: app.requests as unknown[], ...demo };
}

const awaitingApproval = async (call: (name: string) => { execution?: unknown } | undefined) =>
  vi.waitFor(() => expect(call('delete_file')?.execution).toEqual({ state: 'awaiting-approval' }), WAIT);

describe('the demo tool run over the scripted fake model', () => {
  for (const format of ['openai-chat', 'openai-responses', 'anthropic'] as const) {
    it(`${format}: approve → step 2 answers with both results; deny → it says so, with the reason`, async () => {
      const { controller, assistants, call, requests, deleteFile } = await setup(format);
      let done = controller.start('Weather, and tidy up', 'c');
      await awaitingApproval(call);
      controller.get()!.run!.approveToolCall!(call('delete_file')!.id as string);
      expect(await done).toMatchObject({ status: 'complete', text: 'It is 21 °C and sunny in Genève. I deleted reports/old-draft.txt.' });
      expect(deleteFile).toHaveBeenCalledWith({ path: 'reports/old-draft.txt' }, expect.anything());
      expect(requests).toHaveLength(2);
      expect(readToolHistory(requests[1]).results.map((r) => r.name)).toEqual(['get_weather', 'delete_file']);

      // A second run in the same conversation starts at step 1 again (the earlier run is history).
      done = controller.start('Again', 'c');
      await vi.waitFor(() => expect(assistants()[2]?.toolCalls[1]?.execution).toEqual({ state: 'awaiting-approval' }), WAIT);
      controller.get()!.run!.denyToolCall!(assistants()[2]!.toolCalls[1]!.id, 'I still need it');
      expect((await done).text).toBe('It is 21 °C and sunny in Genève. You denied deleting reports/old-draft.txt, so I left it where it is (your reason: I still need it).');
      expect(requests).toHaveLength(4);
      expect(deleteFile).toHaveBeenCalledTimes(1);
    });
  }
});

describe('with the testing kit', () => {
  it('react-model-stream/testing: createMockModelServer({ script: ({ body }) => answer(body) }) plays the same run (deny without a reason)', async () => {
    const play = kit.createToolLoopScript(kit.TOOL_LOOP_FAKE_STEPS);
    const mock = kit.createMockModelServer({ script: ({ body }) => play(body) });
    const store = createMessageStore();
    const { tools, deleteFile } = demoTools();
    const controller = createTurnController<string, string>(
      {
        api: mock.api,
        cancelApi: mock.cancelApi,
        fetch: mock.fetch,
        store,
        tools,
        body: (input, { messages, step }) => ({ messages: [...toModelMessages(messages), ...(step === 1 ? [{ role: 'user', content: input }] : [])] }),
      },
      runCancel,
    );
    const done = controller.start('Weather, and tidy up', 'c');
    const deletion = () => getConversationMessages(store.getState(), 'default')[1]?.toolCalls.find((c) => c.name === 'delete_file');
    await vi.waitFor(() => expect(deletion()?.execution).toEqual({ state: 'awaiting-approval' }), WAIT);
    controller.get()!.run!.denyToolCall!(deletion()!.id);
    expect((await done).text).toBe('It is 21 °C and sunny in Genève. You denied deleting reports/old-draft.txt, so I left it where it is.');
    expect(mock.requests).toHaveLength(2);
    expect(deleteFile).not.toHaveBeenCalled();
  });
});

describe('a Stop at each point of the demo run ends it (real server)', () => {
  const noNextStep = async (requests: unknown[], count: number) => {
    await sleep(80);
    expect(requests).toHaveLength(count);
  };

  it('while the client tool runs: its signal aborts, both calls cancelled, no step 2', async () => {
    const { controller, call, requests, weather, deleteFile } = await setup('anthropic', { weatherMs: 5_000 });
    const done = controller.start('Weather, and tidy up', 'c');
    await vi.waitFor(() => expect(call('get_weather')?.execution).toEqual({ state: 'running' }), WAIT);
    expect(await controller.stop()).toEqual({ serverConfirmed: false });
    expect(await done).toMatchObject({ status: 'incomplete', incomplete: { reason: 'cancelled', serverConfirmed: false } });
    expect(weather.aborted).toBe(1);
    expect(call('get_weather')!.execution).toEqual({ state: 'cancelled', reason: 'stopped' });
    expect(call('delete_file')!.execution).toEqual({ state: 'cancelled', reason: 'stopped' });
    expect(deleteFile).not.toHaveBeenCalled();
    await noNextStep(requests, 1);
  });

  it('while the call awaits approval (the weather done): the call cancelled, the result kept, no step 2', async () => {
    const { controller, call, requests } = await setup('openai-chat');
    const done = controller.start('Weather, and tidy up', 'c');
    await awaitingApproval(call);
    await vi.waitFor(() => expect(call('get_weather')?.execution).toMatchObject({ state: 'done' }), WAIT);
    await controller.stop();
    expect(await done).toMatchObject({ status: 'incomplete', incomplete: { reason: 'cancelled', serverConfirmed: false } });
    expect(call('delete_file')!.execution).toEqual({ state: 'cancelled', reason: 'stopped' });
    expect(call('get_weather')!.execution).toEqual({ state: 'done', result: { city: 'Genève', celsius: 21, sky: 'sunny' } });
    await noNextStep(requests, 1);
  });

  it('between steps (deny, then Stop in the same task): no step 2, the results stay', async () => {
    const { controller, call, requests } = await setup('openai-responses');
    const done = controller.start('Weather, and tidy up', 'c');
    await awaitingApproval(call);
    await vi.waitFor(() => expect(call('get_weather')?.execution).toMatchObject({ state: 'done' }), WAIT);
    controller.get()!.run!.denyToolCall!(call('delete_file')!.id, 'no');
    void controller.stop();
    expect(await done).toMatchObject({ status: 'incomplete', incomplete: { reason: 'cancelled', serverConfirmed: false } });
    expect(call('delete_file')!.execution).toEqual({ state: 'denied', reason: 'no' });
    await noNextStep(requests, 1);
  });

  it('while step 2 streams: the stop contract on step 2 (server confirmed), step 1 and its results kept, no step 3', async () => {
    const { controller, call, assistants, requests } = await setup('anthropic', { step2IntervalMs: 100 });
    const done = controller.start('Weather, and tidy up', 'c');
    await awaitingApproval(call);
    controller.get()!.run!.approveToolCall!(call('delete_file')!.id);
    await vi.waitFor(() => expect(assistants()[1]?.text.length ?? 0).toBeGreaterThan(5), WAIT);
    expect(await controller.stop()).toEqual({ serverConfirmed: true });
    const final = await done;
    expect(final).toMatchObject({ status: 'incomplete', incomplete: { reason: 'cancelled', serverConfirmed: true } });
    expect(final.id).toBe(assistants()[1]!.id);
    expect(final.text.length).toBeLessThan('It is 21 °C and sunny in Genève. I deleted reports/old-draft.txt.'.length);
    expect(assistants()[0]).toMatchObject({ status: 'complete' });
    expect(call('delete_file')!.execution).toEqual({ state: 'done', result: { deleted: true, path: 'reports/old-draft.txt' } });
    await noNextStep(requests, 2);
  });
});
