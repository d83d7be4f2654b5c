/**
 * A reload during a tool run (docs/tools.md, "A reload during a run"), in Node against the
 * library's own server over real HTTP. The run (its tools, approvals and next steps) lives in the
 * page that started it; the step's stream can be resumed by the next page (docs/resume.md), the run
 * cannot. What the next page shows must say so: no call left running or awaiting approval, no call
 * left unanswered by a message that claims to be complete, no status stuck, no step nobody asked
 * for. Each "page" is a fresh module graph over one shared `localStorage` and Web Locks stand-in,
 * as in resumeAcrossPages.test.ts.
 */
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MessageStore } from '../../src/store/types';
import type { TurnController } from '../../src/turns/createTurnController';
import type { Tools } from '../../src/turns/types';
import { fifoLocks, leave, memoryStorage, recordingRunCancel, waitFor } from './helpers';

const WORDS = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen '.repeat(3).trim();
const WEATHER = { id: 'call_w', name: 'weather', args: { city: 'Genève' } };

type Page = { store: MessageStore; controller: TurnController<string, string>; onFinish: ReturnType<typeof vi.fn>; stopWatching: () => void };
type App = { url: string; streams: () => number; resumes: () => number; close(): Promise<void> };

let app: App | null = null;
let pages: Page[] = [];

beforeEach(() => {
  vi.stubGlobal('localStorage', memoryStorage());
  vi.stubGlobal('navigator', { locks: fifoLocks() });
});

afterEach(async () => {
  for (const page of pages) page.stopWatching();
  pages = [];
  await app?.close();
  app = null;
  vi.unstubAllGlobals();
});

/** The model: step 1 is text then a call of `weather`; a later step (its history holds a result) answers text. */
async function startApp(): Promise<App> {
  const { createStreamRegistry, createFakeModel, handleModelStream, handleResume, handleCancel, toNodeHandler } = await import('../../src/server/index');
  const registry = createStreamRegistry();
  const model = createFakeModel({ protocol: 'anthropic', intervalMs: 8 });
  let streams = 0;
  let resumes = 0;
  const stream = toNodeHandler(async (request) => {
    streams++;
    const body = (await request.clone().json()) as { step: number };
    const script = body.step === 1 ? { text: WORDS, toolCalls: [WEATHER] } : { text: 'Sunny.' };
    return handleModelStream(request, { registry, resume: {}, upstream: (signal) => model.stream(signal, { script }) });
  });
  const resumeHandler = toNodeHandler((request) => {
    resumes++;
    return handleResume(request, { registry });
  });
  const cancel = toNodeHandler((request) => handleCancel(request, { registry }));
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/resume') return resumeHandler(req, res);
    if (path === '/cancel') return cancel(req, res);
    return stream(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    streams: () => streams,
    resumes: () => resumes,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await registry.close();
    },
  };
}

/** A page: a fresh module graph, a persisted store over the shared storage, a controller with `tools` that watches (as the hook's does). */
async function openPage(tools: Tools): Promise<Page> {
  vi.resetModules();
  const { createMessageStore, toModelMessages } = await import('../../src/store/index');
  const { createTurnController } = await import('../../src/turns/createTurnController');
  const store = createMessageStore({ persist: { name: 'chat', throttleMs: 0 } });
  const { runCancel } = recordingRunCancel<string>();
  const onFinish = vi.fn();
  const controller = createTurnController<string, string>(
    {
      api: `${app!.url}/stream`,
      resumeApi: `${app!.url}/resume`,
      cancelApi: `${app!.url}/cancel`,
      store,
      conversationId: 'c1',
      throttle: false,
      reconnect: { minDelayMs: 1, maxDelayMs: 5 },
      tools,
      onFinish,
      body: (input, { messages, step }) => ({ input, step, messages: toModelMessages(messages, { format: 'anthropic' }) }),
    },
    runCancel,
  );
  const page = { store, controller, onFinish, stopWatching: controller.watch('client') };
  pages.push(page);
  return page;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const assistants = (store: MessageStore) => Object.values(store.getState().messages).filter((m) => m.role === 'assistant');

describe('a reload during a tool run', () => {
  it('while a step streams: the step is resumed, its calls are marked disconnected (not run, no next step), the message and the status say the run ended', async () => {
    app = await startApp();
    const weather1 = vi.fn(() => 'sunny');
    const first = await openPage({ weather: weather1 });
    void first.controller.start('weather', 'client');
    await waitFor(() => (first.controller.get()?.session.getSnapshot().message.text.length ?? 0) > 20, 'some text');
    await waitFor(() => localStorage.getItem('chat:streams') !== null, 'the record is written (a lazily loaded module, under the stream lock)');
    leave(first);

    const weather2 = vi.fn(() => 'sunny');
    const second = await openPage({ weather: weather2 });
    await waitFor(() => second.onFinish.mock.calls.length === 1, 'the resumed step ends');
    const [step] = assistants(second.store);
    expect(app.resumes()).toBe(1);
    expect(step!.text).toBe(WORDS);
    // The stream completed, but the run that would answer its call died with the first page.
    expect(step!.toolCalls).toMatchObject([{ id: 'call_w', state: 'complete', execution: { state: 'cancelled', reason: 'disconnected' } }]);
    expect(step!).toMatchObject({ status: 'incomplete', incomplete: { reason: 'disconnected' } });
    expect(second.onFinish).toHaveBeenCalledWith({ message: step, reason: 'disconnected' });
    expect(second.controller.get()!.run?.status).toBe('incomplete');
    await sleep(100);
    // Nothing ran, nothing was started: one stream request (the first page's step 1), no tool call.
    expect(weather1).not.toHaveBeenCalled();
    expect(weather2).not.toHaveBeenCalled();
    expect(app.streams()).toBe(1);
    // The stream ended for good: the next reload does not resume it again.
    await waitFor(() => localStorage.getItem('chat:streams') === null, 'the record is forgotten');
    // The history tells the model the call was not run (a result every provider accepts).
    const { toModelMessages } = await import('../../src/store/index');
    expect(toModelMessages(assistants(second.store), { format: 'anthropic' })).toContainEqual({
      role: 'user',
      content: [expect.objectContaining({ type: 'tool_result', tool_use_id: 'call_w', is_error: true })],
    });
  });

  it('while a tool runs: the call comes back cancelled / disconnected; the tool is not run again and no step starts', async () => {
    app = await startApp();
    let started = 0;
    const first = await openPage({ weather: () => (started++, new Promise(() => {})) });
    void first.controller.start('weather', 'client');
    await waitFor(() => first.controller.get()?.run?.status === 'tools' && started === 1, 'the tool runs');
    leave(first);

    const second = await openPage({ weather: () => (started++, 'sunny') });
    const [step] = assistants(second.store);
    expect(step!.toolCalls[0]!.execution).toEqual({ state: 'cancelled', reason: 'disconnected' });
    await sleep(150);
    expect(started).toBe(1);
    expect(app.streams()).toBe(1);
    expect(app.resumes()).toBe(0);
    expect(second.controller.get()).toBeNull(); // idle: nothing runs on this page
  });

  it('while a call awaits approval: it comes back cancelled / disconnected (no approve or deny button for it)', async () => {
    app = await startApp();
    const execute = vi.fn(() => 'sunny');
    const first = await openPage({ weather: { execute, needsApproval: true } });
    void first.controller.start('weather', 'client');
    await waitFor(() => assistants(first.store)[0]?.toolCalls[0]?.execution?.state === 'awaiting-approval', 'awaiting approval');
    leave(first);

    const second = await openPage({ weather: { execute, needsApproval: true } });
    expect(assistants(second.store)[0]!.toolCalls[0]!.execution).toEqual({ state: 'cancelled', reason: 'disconnected' });
    await sleep(100);
    expect(execute).not.toHaveBeenCalled();
    expect(app.streams()).toBe(1);
  });
  it('while the app owed addToolResult: the call stays without a result, nothing starts, addToolResult has no run to answer', async () => {
    app = await startApp();
    const first = await openPage({}); // `weather` is the app's own: a UI tool
    void first.controller.start('weather', 'client');
    await waitFor(() => first.controller.get()?.run?.status === 'tools', 'the run waits for the app');
    leave(first);

    const second = await openPage({});
    const [step] = assistants(second.store);
    expect(step!.status).toBe('complete');
    expect(step!.toolCalls[0]!.execution).toBeUndefined();
    expect(second.controller.get()).toBeNull();
    await sleep(100);
    expect(app.streams()).toBe(1);
    expect(app.resumes()).toBe(0);
  });
  it("a tool run's chunk that cannot load (its end is there): the step is still resumed, and ends as its stream did", async () => {
    app = await startApp();
    const first = await openPage({ weather: vi.fn(() => 'sunny') });
    void first.controller.start('weather', 'client');
    await waitFor(() => (first.controller.get()?.session.getSnapshot().message.text.length ?? 0) > 20, 'some text');
    await waitFor(() => localStorage.getItem('chat:streams') !== null, 'the record is written');
    leave(first);

    // The next page cannot fetch the tool run's chunk (offline, a deploy removed it).
    vi.doMock('../../src/turns/createToolRun', () => {
      throw new Error('Failed to fetch dynamically imported module');
    });
    vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const second = await openPage({ weather: vi.fn(() => 'sunny') });
      await waitFor(() => second.onFinish.mock.calls.length === 1, 'the resumed step ends');
      const [step] = assistants(second.store);
      expect(step).toMatchObject({ status: 'complete', text: WORDS });
      expect(step!.toolCalls).toMatchObject([{ id: 'call_w', state: 'complete' }]);
      expect(step!.toolCalls[0]!.execution).toBeUndefined();
      expect(app.resumes()).toBe(1);
    } finally {
      vi.doUnmock('../../src/turns/createToolRun');
      vi.restoreAllMocks();
    }
  });
});
