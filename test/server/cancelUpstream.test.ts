import { afterEach, describe, expect, it, vi } from 'vitest';
import { createStreamRegistry } from '../../src/server/createStreamRegistry';
import { createFakeModel } from '../../src/server/fakeModel/createFakeModel';
import { handleCancel } from '../../src/server/handleCancel';
import { handleModelStream, type HandleModelStreamOptions } from '../../src/server/handleModelStream';
import type { StreamFinishInfo } from '../../src/server/streamEndOptions';
import { startBackgroundProvider, type BackgroundProvider } from './helpers/backgroundProvider';
import { newStream, postCancel, sleep, startServer, streamHeaders, textReader, waitFor, type TestServer } from './helpers/http';

// `cancelUpstream` (docs/server.md): a provider that keeps generating after its request is aborted
// (a background response) is stopped only through its own cancel endpoint. Everything over real
// node:http servers on 127.0.0.1: the provider (the `detached` fake model), the app (handleModelStream
// + handleCancel, in-memory registry). Over Redis: test/server/redisFinish.test.ts.

type App = TestServer & { streamUrl: string; cancelUrl: string; finishes: StreamFinishInfo[]; registry: ReturnType<typeof createStreamRegistry> };
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  vi.restoreAllMocks();
});

async function provider(): Promise<BackgroundProvider> {
  const started = await startBackgroundProvider();
  closers.push(() => started.close());
  return started;
}

async function startApp(options: Omit<HandleModelStreamOptions, 'registry'>): Promise<App> {
  const registry = createStreamRegistry();
  const finishes: StreamFinishInfo[] = [];
  const server = await startServer({
    '/stream': (request) => handleModelStream(request, { protocol: 'openai-responses', onFinish: (info) => void finishes.push(info), ...options, registry }),
    '/cancel': (request) => handleCancel(request, { registry, rateLimit: false }),
  });
  closers.push(async () => {
    await server.close();
    await registry.close();
  });
  return { ...server, registry, finishes, streamUrl: `${server.url}/stream`, cancelUrl: `${server.url}/cancel` };
}

/** Starts a stream and reads until `words` words of the answer came through. */
async function streamUntil(app: App, words: number) {
  const ids = newStream();
  const res = await fetch(app.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
  expect(res.status).toBe(200);
  const reader = textReader(res.body!);
  await reader.until((text) => (text.match(/"delta":" ?word/g)?.length ?? 0) >= words);
  return { ids, reader };
}

describe('the detached fake model (a background response)', () => {
  it('keeps generating when its signal aborts or its reader goes away, and stops only through cancel(id)', async () => {
    const model = createFakeModel({ protocol: 'openai-responses', intervalMs: 5, script: { text: 'word '.repeat(500) }, detached: true });
    const abort = new AbortController();
    const res = model.stream(abort.signal);
    const reader = res.body!.getReader();
    await reader.read();
    abort.abort();
    await expect(reader.read()).rejects.toThrow();
    const run = model.runs[0]!;
    const atAbort = run.tokens;
    await sleep(100);
    expect(run.tokens).toBeGreaterThan(atAbort + 5);
    expect(run.tokensAfterAbort).toBe(run.tokens - atAbort);
    expect(model.cancel(run.id)).toBe(true);
    const atCancel = run.tokens;
    await sleep(60);
    expect(run.tokens).toBe(atCancel);
    expect(run).toMatchObject({ tokensAfterCancel: 0, finished: false });
    expect(run.cancelledAt).not.toBeNull();
    expect(model.cancel(run.id)).toBe(false);
    expect(model.cancel('unknown')).toBe(false);
  });

  it('a run that is not detached is not cancelled by id (its signal stops it)', async () => {
    const model = createFakeModel({ protocol: 'openai-chat', intervalMs: 5 });
    const abort = new AbortController();
    model.stream(abort.signal);
    expect(model.cancel(model.runs[0]!.id)).toBe(false);
    abort.abort();
  });
});

describe('cancelUpstream over HTTP (in-memory registry)', () => {
  it('without cancelUpstream, the provider keeps generating after the cancel (the abort alone does not stop a background response)', async () => {
    const background = await provider();
    const app = await startApp({ upstream: background.respond });
    const { ids } = await streamUntil(app, 5);
    const answer = await postCancel(app.cancelUrl, ids);
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('cancelled');
    expect(answer.body).not.toHaveProperty('upstreamCancelled');
    const run = background.model.runs[0]!;
    const atAnswer = run.tokens;
    await sleep(300);
    // Tokens keep coming: about 30 at 10 ms a token.
    expect(run.tokens - atAnswer).toBeGreaterThan(10);
    expect(run.abortedAt).not.toBeNull();
    expect(run.tokensAfterAbort).toBeGreaterThan(10);
  });

  it('with cancelUpstream calling the provider cancel endpoint: 0–1 tokens after the cancel, and the answer says upstreamCancelled: true', async () => {
    const background = await provider();
    const seen: Array<{ streamId: string; responseId: string | null }> = [];
    const app = await startApp({
      upstream: background.respond,
      cancelUpstream: async (info) => {
        seen.push(info);
        await background.cancel(info.responseId);
      },
    });
    const { ids } = await streamUntil(app, 5);
    const answer = await postCancel(app.cancelUrl, ids);
    const run = background.model.runs[0]!;
    const atAnswer = run.tokens;
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'cancelled', usageEstimated: true, upstreamCancelled: true });
    expect(answer.body.usage.outputTokens).toBeGreaterThanOrEqual(5);
    expect(seen).toEqual([{ streamId: ids.streamId, responseId: run.id }]);
    expect(background.cancels).toEqual([run.id]);
    expect(run.tokensAfterCancel).toBeLessThanOrEqual(1);
    await sleep(200);
    expect(run.tokens).toBe(atAnswer);
    await waitFor(() => app.finishes.length === 1, 'onFinish');
    expect(app.finishes[0]).toMatchObject({ reason: 'cancelled', responseId: run.id, usage: answer.body.usage });
  });

  it('a cancelUpstream that hangs: the answer comes after cancelUpstreamTimeoutMs, still 200 cancelled, with upstreamCancelled: false', async () => {
    const background = await provider();
    const app = await startApp({ upstream: background.respond, cancelUpstream: () => new Promise<void>(() => {}), cancelUpstreamTimeoutMs: 300 });
    const { ids, reader } = await streamUntil(app, 3);
    const started = performance.now();
    const answer = await postCancel(app.cancelUrl, ids);
    const tookMs = performance.now() - started;
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'cancelled', upstreamCancelled: false });
    expect(tookMs).toBeGreaterThanOrEqual(290);
    expect(tookMs).toBeLessThan(1500);
    // The signal was aborted at once: the client's stream ended long before the answer.
    expect(reader.done || (await reader.rest().then(() => true))).toBe(true);
    expect(await postCancel(app.cancelUrl, ids)).toMatchObject({ status: 200, body: { status: 'already-finished' } });
  });

  it('a cancelUpstream that throws (the provider answered 404): upstreamCancelled: false at once, the error reported', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const background = await provider();
    const app = await startApp({ upstream: background.respond, cancelUpstream: () => background.cancel('resp_unknown') });
    const { ids } = await streamUntil(app, 3);
    const started = performance.now();
    const answer = await postCancel(app.cancelUrl, ids);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(answer.body).toMatchObject({ status: 'cancelled', upstreamCancelled: false });
    expect(errors).toHaveBeenCalledTimes(1);
    expect(String(errors.mock.calls[0]![0])).toContain('cancel answered 404');
  });

  it('a cancel before the upstream answered calls cancelUpstream with responseId null', async () => {
    const cancelUpstream = vi.fn(async () => {});
    let release!: () => void;
    const app = await startApp({ upstream: () => new Promise<Response>((resolve) => (release = () => resolve(new Response('')))), cancelUpstream });
    const ids = newStream();
    const pending = fetch(app.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
    await waitFor(() => app.registry.size() === 1, 'registered');
    await sleep(20);
    expect((await postCancel(app.cancelUrl, ids)).body).toMatchObject({ status: 'cancelled', upstreamCancelled: true });
    expect(cancelUpstream).toHaveBeenCalledWith({ streamId: ids.streamId, responseId: null });
    release();
    await (await pending).text();
  });

  it('a disconnect is not a cancel: cancelUpstream is not called (the background response goes on)', async () => {
    const background = await provider();
    const cancelUpstream = vi.fn(async () => {});
    const app = await startApp({ upstream: background.respond, cancelUpstream });
    const controller = new AbortController();
    const res = await fetch(app.streamUrl, { method: 'POST', headers: streamHeaders(newStream()), signal: controller.signal });
    await textReader(res.body!).until((text) => /"delta":" ?word/.test(text));
    controller.abort();
    await waitFor(() => app.finishes.length === 1, 'onFinish');
    expect(app.finishes[0]!.reason).toBe('disconnected');
    await sleep(50);
    expect(cancelUpstream).not.toHaveBeenCalled();
  });

  it('a late cancel (the stream had finished) answers already-finished without calling cancelUpstream', async () => {
    const model = createFakeModel({ protocol: 'openai-responses', intervalMs: 0, script: { text: 'Short.' } });
    const cancelUpstream = vi.fn(async () => {});
    const app = await startApp({ upstream: (signal) => model.stream(signal), cancelUpstream });
    const ids = newStream();
    await (await fetch(app.streamUrl, { method: 'POST', headers: streamHeaders(ids) })).text();
    expect((await postCancel(app.cancelUrl, ids)).body).toEqual({ status: 'already-finished' });
    expect(cancelUpstream).not.toHaveBeenCalled();
  });
});
