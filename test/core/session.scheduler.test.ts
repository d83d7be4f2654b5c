import { afterEach, describe, expect, test, vi } from 'vitest';
import { createStreamSession } from '../../src/core/createStreamSession';
import { createIntervalScheduler, frameScheduler, syncScheduler, type NotifyScheduler } from '../../src/core/scheduler';
import { startHttpServer, sleep, type TestServer } from '../helpers/httpServer';
import { part, SSE_HEADERS as SSE } from '../helpers/sse';
import { manualScheduler } from '../helpers/manualScheduler';

// Notifications: deltas are batched through a swappable scheduler; status changes notify
// synchronously; getSnapshot is stable between notifications (useSyncExternalStore).

const WAIT = { timeout: 10_000, interval: 5 };

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('session notifications', () => {
  test('N deltas give one scheduled notification; start, stop and the end notify synchronously', async () => {
    let sendDeltas!: () => Promise<void>;
    let finish!: () => void;
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, SSE);
      res.write(part({ type: 'start', messageId: 'msg-throttle' }));
      sendDeltas = async () => {
        for (let i = 0; i < 20; i++) {
          res.write(part({ type: 'text-delta', id: '0', delta: `${i},` }));
          if (i % 5 === 4) await sleep(5); // several network chunks, not one
        }
      };
      finish = () => res.end(part({ type: 'finish', finishReason: 'stop' }));
    });
    const { scheduler, queue } = manualScheduler();
    let deltas = 0;
    const session = createStreamSession({
      api: `${server.url}/chat`,
      scheduler,
      onEvent: (event) => {
        if (event.type === 'text-delta') deltas++;
      },
    });
    const seen: string[] = [];
    session.subscribe(() => seen.push(session.getSnapshot().status));

    const done = session.start();
    expect(seen).toEqual(['connecting']); // synchronous, in start()
    // The first byte's status change rides on the next scheduled notification, with its content.
    await vi.waitFor(() => expect(queue).toHaveLength(1), WAIT);
    expect(seen).toEqual(['connecting']);
    queue.shift()!();
    expect(seen).toEqual(['connecting', 'streaming']);
    expect(session.getSnapshot().responseId).toBe('msg-throttle'); // the first chunk came with the status
    expect(queue).toHaveLength(0);

    await sendDeltas();
    await vi.waitFor(() => expect(deltas).toBe(20), WAIT);
    // Applied, not yet notified: one pending flush for all of them.
    expect(seen).toHaveLength(2);
    expect(queue).toHaveLength(1);
    const stale = session.getSnapshot();
    expect(stale.message.text).toBe('');
    expect(session.getSnapshot()).toBe(stale); // stable between notifications

    queue.shift()!();
    expect(seen).toHaveLength(3);
    const fresh = session.getSnapshot();
    expect(fresh).not.toBe(stale);
    expect(fresh.message.text).toBe(Array.from({ length: 20 }, (_, i) => `${i},`).join(''));
    expect(fresh.status).toBe('streaming');
    // A flush with nothing new does not notify.
    expect(queue).toHaveLength(0);

    finish();
    const final = await done;
    expect(final.status).toBe('complete');
    expect(seen.at(-1)).toBe('complete');
    expect(queue).toHaveLength(0); // the terminal flush cancelled the pending one
  });

  test('throttle: false notifies on every change', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, SSE);
      res.end(part({ type: 'text-delta', id: '0', delta: 'a' }) + part({ type: 'text-delta', id: '0', delta: 'b' }) + part({ type: 'finish', finishReason: 'stop' }));
    });
    const session = createStreamSession({ api: `${server.url}/chat`, throttle: false });
    const texts: string[] = [];
    session.subscribe(() => texts.push(session.getSnapshot().message.text));
    await session.start();
    // connecting '', then 'a' and 'ab' (one per event), then the status changes
    expect(texts).toContain('a');
    expect(texts.at(-1)).toBe('ab');
  });

  test('unsubscribe stops notifications', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('x');
    });
    const session = createStreamSession({ api: `${server.url}/chat` });
    const listener = vi.fn();
    const unsubscribe = session.subscribe(listener);
    const done = session.start();
    expect(listener).toHaveBeenCalledTimes(1);
    unsubscribe();
    await done;
    expect(listener).toHaveBeenCalledTimes(1);
  });

  test('a listener that calls stop() while being notified gets the stop promise', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, SSE);
      res.write(part({ type: 'text-delta', id: '0', delta: 'x' }));
    });
    const session = createStreamSession({ api: `${server.url}/chat`, cancel: async () => ({ confirmed: true }), drainMs: 0 });
    const results: Promise<unknown>[] = [];
    session.subscribe(() => {
      if (session.getSnapshot().status === 'stopping') results.push(session.stop());
    });
    const done = session.start();
    await vi.waitFor(() => expect(session.getSnapshot().status).toBe('streaming'), WAIT);
    const stopped = session.stop();
    expect(results).toHaveLength(1);
    expect(results[0]).toBe(stopped);
    await stopped;
    expect((await done).incomplete).toEqual({ reason: 'cancelled', serverConfirmed: true });
  });
});

describe('schedulers', () => {
  test('frameScheduler falls back to a 16 ms timer without requestAnimationFrame, and cancels', async () => {
    vi.useFakeTimers();
    const flush = vi.fn();
    frameScheduler(flush);
    await vi.advanceTimersByTimeAsync(15);
    expect(flush).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(flush).toHaveBeenCalledTimes(1);

    const cancelled = vi.fn();
    frameScheduler(cancelled)();
    await vi.advanceTimersByTimeAsync(100);
    expect(cancelled).not.toHaveBeenCalled();
  });

  test('frameScheduler uses requestAnimationFrame when it exists', () => {
    const frames: FrameRequestCallback[] = [];
    const cancelAnimationFrame = vi.fn();
    vi.stubGlobal('requestAnimationFrame', (callback: FrameRequestCallback) => frames.push(callback));
    vi.stubGlobal('cancelAnimationFrame', cancelAnimationFrame);
    const flush = vi.fn();
    const cancel = frameScheduler(flush);
    expect(frames).toHaveLength(1);
    frames[0]!(0);
    expect(flush).toHaveBeenCalledTimes(1);
    cancel();
    expect(cancelAnimationFrame).toHaveBeenCalledWith(1);
  });

  test('createIntervalScheduler(ms) flushes after ms and can be cancelled', async () => {
    vi.useFakeTimers();
    const scheduler = createIntervalScheduler(100);
    const flush = vi.fn();
    scheduler(flush);
    await vi.advanceTimersByTimeAsync(99);
    expect(flush).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(flush).toHaveBeenCalledTimes(1);
    const cancelled = vi.fn();
    scheduler(cancelled)();
    await vi.advanceTimersByTimeAsync(200);
    expect(cancelled).not.toHaveBeenCalled();
    expect(() => createIntervalScheduler(-1)).toThrow(RangeError);
  });

  test('syncScheduler flushes immediately', () => {
    const flush = vi.fn();
    syncScheduler(flush);
    expect(flush).toHaveBeenCalledTimes(1);
  });

  test('throttle: number batches deltas with an interval (fake timers, no network)', async () => {
    // The session with a fetch the test controls: a real Response over a ReadableStream.
    vi.useFakeTimers();
    let push!: (text: string) => void;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        push = (text) => controller.enqueue(new TextEncoder().encode(text));
      },
    });
    const fetchStub: typeof fetch = async () => new Response(body, { headers: { 'content-type': 'text/plain' } });
    const session = createStreamSession({ api: 'http://test.invalid/chat', fetch: fetchStub, throttle: 100, firstByteTimeoutMs: 0 });
    const listener = vi.fn();
    session.subscribe(listener);
    void session.start();
    push('a');
    await vi.advanceTimersByTimeAsync(0);
    expect(listener).toHaveBeenCalledTimes(1); // connecting; the first byte waits for the interval
    push('b');
    await vi.advanceTimersByTimeAsync(0);
    push('c');
    await vi.advanceTimersByTimeAsync(50);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(session.getSnapshot().status).toBe('connecting');
    await vi.advanceTimersByTimeAsync(50);
    expect(listener).toHaveBeenCalledTimes(2); // streaming, with 'abc'
    expect(session.getSnapshot().status).toBe('streaming');
    expect(session.getSnapshot().message.text).toBe('abc');
    push('d');
    await vi.advanceTimersByTimeAsync(99);
    expect(listener).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(listener).toHaveBeenCalledTimes(3);
    expect(session.getSnapshot().message.text).toBe('abcd');
    session.disconnect();
  });
});
