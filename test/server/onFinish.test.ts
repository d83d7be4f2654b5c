import { afterEach, describe, expect, it, vi } from 'vitest';
import { createStreamRegistry } from '../../src/server/createStreamRegistry';
import { createFakeModel } from '../../src/server/fakeModel/createFakeModel';
import { handleCancel } from '../../src/server/handleCancel';
import { handleModelStream, type HandleModelStreamOptions } from '../../src/server/handleModelStream';
import { reasonOfEnd } from '../../src/server/internal/createFinishReporter';
import type { StreamFinishInfo } from '../../src/server/streamEndOptions';
import { closingOf, createManualUpstream, createPacedUpstream, deltaOf, openingOf } from './helpers/fakeUpstream';
import { newStream, postCancel, sleep, startServer, streamHeaders, textReader, waitFor, type TestServer } from './helpers/http';

// `onFinish` (docs/server.md, "onFinish"): exactly once per stream, on every path, over a real
// node:http server with the in-memory registry. (Over Redis: test/server/redisFinish.test.ts.)

type App = TestServer & { streamUrl: string; cancelUrl: string; finishes: StreamFinishInfo[]; registry: ReturnType<typeof createStreamRegistry> };
const apps: App[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) {
    await app.close();
    await app.registry.close();
  }
  vi.restoreAllMocks();
});

async function startApp(options: Omit<HandleModelStreamOptions, 'registry' | 'onFinish'> & { onFinish?: HandleModelStreamOptions['onFinish'] }): Promise<App> {
  const registry = createStreamRegistry();
  const finishes: StreamFinishInfo[] = [];
  const server = await startServer({
    '/stream': (request) => handleModelStream(request, { onFinish: (info) => void finishes.push(info), ...options, registry }),
    '/cancel': (request) => handleCancel(request, { registry, rateLimit: false }),
  });
  const app: App = { ...server, registry, finishes, streamUrl: `${server.url}/stream`, cancelUrl: `${server.url}/cancel` };
  apps.push(app);
  return app;
}

const post = (app: App, ids = newStream()) => fetch(app.streamUrl, { method: 'POST', headers: streamHeaders(ids) });

/** Waits for the one `onFinish` of the app, then makes sure no second one follows. */
async function onlyFinish(app: App): Promise<StreamFinishInfo> {
  await waitFor(() => app.finishes.length > 0, 'onFinish');
  await sleep(30);
  expect(app.finishes).toHaveLength(1);
  return app.finishes[0]!;
}

const chatFinish = (reason: string) => `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"${reason}"}]}\n\n`;
const chatUsage = (out: number) => `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":${out}}}\n\n`;

describe('onFinish: a stream that ends by itself', () => {
  it('OpenAI Chat: runs at the end of the body, after the usage chunk that follows the finish, with the whole answer and the provider usage', async () => {
    const fake = createManualUpstream();
    const app = await startApp({ upstream: fake.upstream });
    const ids = newStream();
    fake.send(openingOf('openai-chat') + deltaOf('openai-chat', 0) + deltaOf('openai-chat', 1) + chatFinish('stop'));
    const res = await post(app, ids);
    const reader = textReader(res.body!);
    await reader.until((text) => text.includes('"finish_reason":"stop"'));
    await sleep(50);
    expect(app.finishes).toEqual([]); // the finish event is not the end: the usage is still to come
    fake.send(chatUsage(2) + 'data: [DONE]\n\n');
    fake.end();
    await reader.rest();
    const info = await onlyFinish(app);
    expect(info).toMatchObject({
      streamId: ids.streamId,
      reason: 'complete',
      usage: { inputTokens: 12, outputTokens: 2 },
      usageEstimated: false,
      responseId: 'chatcmpl-1',
      message: { text: 'w00 w01 ', finishReason: 'stop', usage: { inputTokens: 12, outputTokens: 2 } },
    });
  });

  it.each([
    ['length', 'length'],
    ['content_filter', 'content-filter'],
    ['tool_calls', 'complete'],
  ])('finish_reason %s → reason %s', async (raw, reason) => {
    const fake = createManualUpstream();
    const app = await startApp({ upstream: fake.upstream, protocol: 'openai-chat' });
    fake.send(openingOf('openai-chat') + deltaOf('openai-chat', 0) + chatFinish(raw) + chatUsage(1) + 'data: [DONE]\n\n');
    fake.end();
    await (await post(app)).text();
    expect(await onlyFinish(app)).toMatchObject({ reason, message: { text: 'w00 ' } });
  });

  it('an error in the stream (the fake model, Anthropic) → error, with the text before it', async () => {
    const model = createFakeModel({ protocol: 'anthropic', intervalMs: 0, script: { text: 'Half an answer', error: 'Overloaded' } });
    const app = await startApp({ upstream: (signal) => model.stream(signal) });
    await (await post(app)).text();
    const info = await onlyFinish(app);
    expect(info).toMatchObject({ reason: 'error', message: { text: 'Half an answer', error: 'Overloaded' } });
    expect(info.responseId).toBe(model.runs[0]!.id);
  });

  it('every protocol of the fake model ends complete with its usage and its response id', async () => {
    for (const protocol of ['openai-chat', 'openai-responses', 'anthropic', 'ai-sdk'] as const) {
      const model = createFakeModel({ protocol, intervalMs: 0, script: { text: 'One two three', inputTokens: 7 } });
      const app = await startApp({ upstream: (signal) => model.stream(signal) });
      await (await post(app)).text();
      const info = await onlyFinish(app);
      expect(info, protocol).toMatchObject({ reason: 'complete', message: { text: 'One two three' }, usageEstimated: false });
      expect(info.usage, protocol).toEqual({ inputTokens: 7, outputTokens: model.runs[0]!.tokens });
    }
  });

  it('a body that ends without a finish → disconnected (truncated), with an estimated usage; plain text ends complete', async () => {
    const fake = createManualUpstream();
    const app = await startApp({ upstream: fake.upstream });
    fake.send(openingOf('openai-chat') + deltaOf('openai-chat', 0));
    fake.end();
    await (await post(app)).text();
    expect(await onlyFinish(app)).toMatchObject({ reason: 'disconnected', message: { text: 'w00 ', finishReason: null }, usage: { inputTokens: null, outputTokens: 1 }, usageEstimated: true });

    const text = createManualUpstream({ contentType: 'text/plain; charset=utf-8' });
    const textApp = await startApp({ upstream: text.upstream });
    text.send('Just text.');
    text.end();
    expect(await (await post(textApp)).text()).toBe('Just text.');
    expect(await onlyFinish(textApp)).toMatchObject({ reason: 'complete', message: { text: 'Just text.' } });
  });

  it('an upstream body that breaks mid-stream → error, with what was read', async () => {
    const fake = createManualUpstream();
    const app = await startApp({ upstream: fake.upstream });
    fake.send(openingOf('openai-chat') + deltaOf('openai-chat', 0));
    const res = await post(app);
    const reader = textReader(res.body!);
    await reader.until((text) => text.includes('w00'));
    fake.fail();
    await reader.rest().catch(() => {});
    expect(await onlyFinish(app)).toMatchObject({ reason: 'error', message: { text: 'w00 ' } });
  });
});

describe('onFinish: an upstream that never streamed → error, usage null', () => {
  it.each([
    ['throws', () => Promise.reject(new Error('ECONNREFUSED')), 502],
    ['is not a Response', () => 'nope' as unknown as Response, 502],
    ['answers 429', () => new Response('{"error":"rate limited"}', { status: 429, headers: { 'content-type': 'application/json' } }), 429],
  ])('the upstream %s', async (_name, upstream, status) => {
    const app = await startApp({ upstream });
    const res = await post(app);
    await res.text();
    expect(res.status).toBe(status);
    expect(await onlyFinish(app)).toMatchObject({ reason: 'error', usage: null, usageEstimated: false, responseId: null, message: { text: '' } });
  });
});

describe('onFinish: cancel, tombstone, disconnect', () => {
  it('a cancel mid-stream → cancelled, with the text up to the cancel and the usage the cancel answered', async () => {
    const paced = createPacedUpstream('openai-chat', { intervalMs: 2 });
    const app = await startApp({ upstream: paced.upstream });
    const ids = newStream();
    const res = await post(app, ids);
    const reader = textReader(res.body!);
    await reader.until((text) => text.includes('w05'));
    const answer = await postCancel(app.cancelUrl, ids);
    expect(answer.body.status).toBe('cancelled');
    expect(answer.body).not.toHaveProperty('upstreamCancelled'); // no cancelUpstream configured
    await reader.rest();
    const info = await onlyFinish(app);
    expect(info).toMatchObject({ streamId: ids.streamId, reason: 'cancelled', usage: answer.body.usage, usageEstimated: answer.body.usageEstimated });
    expect(info.message.text).toMatch(/^(w\d\d )+$/);
    expect(reader.text).toContain(info.message.text.slice(-4));
  });

  it('a cancel before the upstream answered → cancelled, empty message', async () => {
    let release!: (response: Response) => void;
    const app = await startApp({ upstream: () => new Promise<Response>((resolve) => (release = resolve)) });
    const ids = newStream();
    const pending = post(app, ids);
    await waitFor(() => app.registry.size() === 1, 'registered');
    await sleep(20);
    expect((await postCancel(app.cancelUrl, ids)).body.status).toBe('cancelled');
    release(new Response('data: {}\n\n', { headers: { 'content-type': 'text/event-stream' } }));
    await (await pending).text();
    expect(await onlyFinish(app)).toMatchObject({ reason: 'cancelled', usage: { inputTokens: null, outputTokens: 0 }, usageEstimated: true, message: { text: '' } });
  });

  it('a tombstone (the cancel came first) → cancelled, empty message, usage 0/0, and the upstream never called', async () => {
    const upstream = vi.fn(() => new Response('x'));
    const app = await startApp({ upstream });
    const ids = newStream();
    expect((await postCancel(app.cancelUrl, ids)).status).toBe(404); // pending
    const res = await post(app, ids);
    expect(res.headers.get('x-stream-cancelled')).toBe('true');
    await res.text();
    expect(upstream).not.toHaveBeenCalled();
    expect(await onlyFinish(app)).toEqual({
      streamId: ids.streamId,
      reason: 'cancelled',
      message: { id: null, text: '', reasoning: '', toolCalls: [], usage: null, finishReason: null, rawFinishReason: null, error: null },
      usage: { inputTokens: 0, outputTokens: 0 },
      usageEstimated: false,
      responseId: null,
    });
  });

  it("a client that goes away with onDisconnect 'abort' → disconnected, the upstream aborted", async () => {
    const paced = createPacedUpstream('openai-chat', { intervalMs: 2 });
    const app = await startApp({ upstream: paced.upstream });
    const controller = new AbortController();
    const res = await fetch(app.streamUrl, { method: 'POST', headers: streamHeaders(newStream()), signal: controller.signal });
    const reader = textReader(res.body!);
    await reader.until((text) => text.includes('w03'));
    controller.abort();
    const info = await onlyFinish(app);
    expect(paced.stats.signalAborted).toBe(true);
    expect(info).toMatchObject({ reason: 'disconnected', usageEstimated: true });
    expect(info.message.text.length).toBeGreaterThan(0);
  });

  it("a client that goes away after the model's finish was read stopped nothing: the reason is the finish's (complete)", async () => {
    const fake = createManualUpstream();
    const app = await startApp({ upstream: fake.upstream });
    const controller = new AbortController();
    fake.send(openingOf('openai-chat') + deltaOf('openai-chat', 0) + chatFinish('stop'));
    const res = await fetch(app.streamUrl, { method: 'POST', headers: streamHeaders(newStream()), signal: controller.signal });
    await textReader(res.body!).until((text) => text.includes('"finish_reason":"stop"'));
    controller.abort();
    expect(await onlyFinish(app)).toMatchObject({ reason: 'complete', message: { text: 'w00 ', finishReason: 'stop' }, usage: { inputTokens: null, outputTokens: 1 }, usageEstimated: true });
  });

  it("'continue': onFinish waits for the upstream's real end (complete, the whole answer), not the disconnect", async () => {
    const fake = createManualUpstream();
    const app = await startApp({ upstream: fake.upstream, onDisconnect: 'continue' });
    const controller = new AbortController();
    fake.send(openingOf('openai-chat') + deltaOf('openai-chat', 0));
    const res = await fetch(app.streamUrl, { method: 'POST', headers: streamHeaders(newStream()), signal: controller.signal });
    await textReader(res.body!).until((text) => text.includes('w00'));
    controller.abort();
    await sleep(100);
    expect(app.finishes).toEqual([]);
    fake.send(deltaOf('openai-chat', 1) + closingOf('openai-chat', 2));
    fake.end();
    expect(await onlyFinish(app)).toMatchObject({ reason: 'complete', message: { text: 'w00 w01 ' }, usage: { inputTokens: 12, outputTokens: 2 }, usageEstimated: false });
  });

  it("'continue', then a cancel → cancelled", async () => {
    const paced = createPacedUpstream('openai-chat', { intervalMs: 2 });
    const app = await startApp({ upstream: paced.upstream, onDisconnect: 'continue' });
    const controller = new AbortController();
    const ids = newStream();
    const res = await fetch(app.streamUrl, { method: 'POST', headers: streamHeaders(ids), signal: controller.signal });
    await textReader(res.body!).until((text) => text.includes('w02'));
    controller.abort();
    await sleep(50);
    expect(app.finishes).toEqual([]);
    expect((await postCancel(app.cancelUrl, ids)).body.status).toBe('cancelled');
    expect(await onlyFinish(app)).toMatchObject({ reason: 'cancelled' });
  });
});

describe('onFinish: faults and races', () => {
  it('a throwing or rejecting onFinish is reported, never an unhandled rejection, and changes nothing for the client', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    for (const onFinish of [
      () => {
        throw new Error('db down (sync)');
      },
      async () => {
        throw new Error('db down (async)');
      },
    ]) {
      const model = createFakeModel({ protocol: 'openai-chat', intervalMs: 0, script: { text: 'Fine.' } });
      const app = await startApp({ upstream: (signal) => model.stream(signal), onFinish });
      const res = await post(app);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('Fine.');
    }
    await waitFor(() => errors.mock.calls.length === 2, 'both reported');
    expect(errors.mock.calls.map(([error]) => (error as Error).message)).toEqual(['db down (sync)', 'db down (async)']);
  });

  it('exactly once when a cancel races the natural end (300 rounds), and the reason agrees with the cancel answer', async () => {
    let upstream = createManualUpstream();
    const app = await startApp({ upstream: (signal) => upstream.upstream(signal) });
    const counts = { cancelled: 0, 'already-finished': 0 };
    for (let round = 0; round < 300; round++) {
      upstream = createManualUpstream();
      const ids = newStream();
      upstream.send(openingOf('openai-chat') + deltaOf('openai-chat', 0));
      const res = await post(app, ids);
      const reader = textReader(res.body!);
      await reader.until((text) => text.includes('w00'));
      const finishAt = round % 7;
      const cancel = sleep(round % 5).then(() => postCancel(app.cancelUrl, ids));
      await sleep(finishAt);
      upstream.send(deltaOf('openai-chat', 1) + closingOf('openai-chat', 2));
      upstream.end();
      const [answer] = await Promise.all([cancel, reader.rest()]);
      await waitFor(() => app.finishes.some((f) => f.streamId === ids.streamId), `onFinish of round ${round}`);
      await sleep(2);
      const mine = app.finishes.filter((f) => f.streamId === ids.streamId);
      expect(mine, `round ${round}`).toHaveLength(1);
      const status = answer.body.status as 'cancelled' | 'already-finished';
      counts[status]++;
      expect(mine[0]!.reason, `round ${round}: cancel answered ${status}`).toBe(status === 'cancelled' ? 'cancelled' : 'complete');
    }
    expect(app.finishes).toHaveLength(300);
    // Both orders happened, so the race was really run.
    expect(counts.cancelled).toBeGreaterThan(0);
    expect(counts['already-finished']).toBeGreaterThan(0);
  }, 60_000);
});

describe('reasonOfEnd: a stream that ended by itself, as the client session reads it', () => {
  const base = { id: null, text: '', reasoning: '', toolCalls: [], usage: null, rawFinishReason: null, error: null };
  it.each([
    ['stop', 'openai-chat', 'complete'],
    ['tool-calls', 'anthropic', 'complete'],
    ['other', 'anthropic', 'complete'],
    ['length', 'openai-chat', 'length'],
    ['content-filter', 'openai-chat', 'content-filter'],
    ['error', 'openai-responses', 'error'],
    ['cancelled', 'ai-sdk', 'cancelled'],
    [null, 'openai-chat', 'disconnected'],
    [null, 'ndjson', 'disconnected'],
    [null, null, 'disconnected'],
    [null, 'text', 'complete'],
  ] as const)('finish %s (%s) → %s', (finishReason, protocol, reason) => {
    expect(reasonOfEnd({ ...base, finishReason }, protocol)).toBe(reason);
  });

  it('an error event wins over any finish', () => {
    expect(reasonOfEnd({ ...base, finishReason: 'stop', error: 'overloaded' }, 'anthropic')).toBe('error');
  });
});
