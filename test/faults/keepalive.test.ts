import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createStreamSession, type StreamSession, type StreamSessionOptions, type StreamSessionSnapshot } from '../../src/core/createStreamSession';
import { StreamAbortedError } from '../../src/core/errors';
import type { NotifyScheduler } from '../../src/core/scheduler';
import { startHttpServer, type TestServer } from '../helpers/httpServer';
import { createConsumptionTrackingFetch } from '../react/setup';
import { FINISH, KEEPALIVE_COMMENT, KEEPALIVE_GAP_MS, KEEPALIVE_IDLE_MS, pollUntil, SSE, START, textPart } from './helpers';

// Keep-alive comments only (see docs/RELIABILITY.md, rows 15a–15e): a server that sends nothing
// but SSE comment lines (`: keep-alive`) for 60 s of fake time. Only the session's timers are
// faked (`setTimeout`/`clearTimeout`); the socket, the server and `setImmediate` stay real. The
// test writes each comment, waits (in real time) until the session has read it, then advances
// fake time to the next one, so every timer decision is exact to the millisecond.
//
// What the code does (src/core/createStreamSession.ts, the read loop): every non-empty network
// chunk clears the first-byte timer and restarts the idle timer, before it is decoded. A comment
// is such a chunk, so comments are traffic: the first one is the first byte (`connecting` →
// `streaming`), and each one restarts `idleTimeoutMs`. The decoder drops them: no event, no text,
// no scheduled notification.

const COMMENT = KEEPALIVE_COMMENT;
const GAP_MS = KEEPALIVE_GAP_MS;
const IDLE_MS = KEEPALIVE_IDLE_MS;

let server: TestServer | null = null;
afterEach(async () => {
  vi.useRealTimers();
  await server?.close();
  server = null;
});

const until = (done: () => boolean, what: string) => pollUntil(done, what);

/** A scheduler that counts how often the session asked for a notification, and flushes at once. */
function countingScheduler() {
  const counter = { calls: 0 };
  const scheduler: NotifyScheduler = (flush) => {
    counter.calls++;
    flush();
    return () => {};
  };
  return { scheduler, counter };
}

type Harness = {
  session: StreamSession;
  res: ServerResponse;
  /** Every notification's snapshot, in order. */
  notified: StreamSessionSnapshot[];
  /** Notifications the session scheduled (deltas and the first byte; status changes do not go through it). */
  scheduled: { calls: number };
  /** `start()`'s result once it resolved. */
  final: () => StreamSessionSnapshot | null;
  /** Writes `text` and waits until the session has read and handled it. */
  send: (text: string) => Promise<void>;
};

/**
 * Starts a session against a server that answers `200` + `headers` and then writes only what the
 * test sends. Fake timers are installed before `start()`, so the session's first-byte timer is fake too.
 */
async function open(options: Partial<StreamSessionOptions>, headers: Record<string, string> = SSE): Promise<Harness> {
  let response: ServerResponse | null = null;
  server = await startHttpServer(({ res }) => {
    res.writeHead(200, headers);
    res.flushHeaders();
    response = res;
  });
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  const tracking = createConsumptionTrackingFetch();
  const { scheduler, counter } = countingScheduler();
  const session = createStreamSession({ api: `${server.url}/chat`, fetch: tracking.fetch, scheduler, ...options });
  const notified: StreamSessionSnapshot[] = [];
  session.subscribe(() => notified.push(session.getSnapshot()));
  let final: StreamSessionSnapshot | null = null;
  void session.start().then((snapshot) => (final = snapshot));
  await until(() => response !== null, 'the request reached the server');
  const res = response as unknown as ServerResponse;
  // Headers are flushed: the response (and with it the body stream) reaches the session.
  let sent = '';
  const send = async (text: string) => {
    sent += text;
    res.write(text);
    await until(() => tracking.consumed() === sent || final !== null, `the session read ${JSON.stringify(text)}`);
  };
  return { session, res, notified, scheduled: counter, final: () => final, send };
}

/** Sends a keep-alive comment every 15 s of fake time for 60 s (5 comments: t0, +15, +30, +45, +60 s). */
async function keepAlivesFor60s(h: Harness, each?: () => void): Promise<void> {
  for (let elapsed = 0; elapsed <= 60_000; elapsed += GAP_MS) {
    if (elapsed > 0) await vi.advanceTimersByTimeAsync(GAP_MS);
    expect(h.final(), `still open at +${elapsed / 1000} s`).toBeNull();
    await h.send(COMMENT);
    each?.();
  }
}

describe('keep-alive comments only, for 60 s (fake timers, real socket)', () => {
  for (const [label, headers] of [
    ['text/event-stream', SSE],
    ['application/octet-stream (framing sniffed from the first line, a comment)', { 'content-type': 'application/octet-stream' }],
  ] as const) {
    test(`${label}: comments never become text and notify no one; streaming throughout under idleTimeoutMs 20 s; then the answer → complete with exactly that text`, async () => {
      const h = await open({ idleTimeoutMs: IDLE_MS, firstByteTimeoutMs: 10_000 }, headers);
      expect(h.session.getSnapshot().status).toBe('connecting');
      expect(h.notified.map((s) => s.status)).toEqual(['connecting']);

      // The first comment is the first byte: `streaming` (one scheduled notification carries it).
      let afterFirst: StreamSessionSnapshot | null = null;
      await keepAlivesFor60s(h, () => {
        const now = h.session.getSnapshot();
        afterFirst ??= now;
        // Same snapshot object after every comment: nothing visible changed, so React would not re-render.
        expect(now).toBe(afterFirst);
        expect(now.status).toBe('streaming');
        expect(now.message.text).toBe('');
        expect(now.protocol).toBeNull(); // comments do not pick a protocol either
      });
      expect(h.notified.map((s) => s.status)).toEqual(['connecting', 'streaming']);
      expect(h.scheduled.calls).toBe(1);

      // 60 s of comments, then the content and the finish.
      await vi.advanceTimersByTimeAsync(GAP_MS - 1);
      h.res.end(START + textPart('Here is') + textPart(' the answer.') + FINISH);
      await until(() => h.final() !== null, 'start() resolved');
      const final = h.final()!;
      expect(final.status).toBe('complete');
      expect(final.message.text).toBe('Here is the answer.');
      expect(final.message.finishReason).toBe('stop');
      expect(final.error).toBeNull();
      expect(final.protocol).toBe('ai-sdk');
      await expect(server!.requests[0]!.closed).resolves.toEqual({ aborted: false });
    });
  }

  test('content, then 60 s of comments, then silence: idleTimeoutMs fires exactly 20 s after the last comment → incomplete / error / timeout, the text kept', async () => {
    const h = await open({ idleTimeoutMs: IDLE_MS });
    await h.send(START + textPart('partial answer, kept'));
    expect(h.session.getSnapshot().message.text).toBe('partial answer, kept');
    const scheduledBefore = h.scheduled.calls;
    const notifiedBefore = h.notified.length;
    await vi.advanceTimersByTimeAsync(GAP_MS);
    await keepAlivesFor60s(h, () => expect(h.session.getSnapshot().status).toBe('streaming'));
    // Comments after content: no notification at all, and the text is untouched.
    expect(h.scheduled.calls).toBe(scheduledBefore);
    expect(h.notified.length).toBe(notifiedBefore);
    expect(h.session.getSnapshot().message.text).toBe('partial answer, kept');

    // The comments stop. One ms before the bound: still streaming; at the bound: the timeout.
    await vi.advanceTimersByTimeAsync(IDLE_MS - 1);
    expect(h.final()).toBeNull();
    expect(h.session.getSnapshot().status).toBe('streaming');
    await vi.advanceTimersByTimeAsync(1);
    await until(() => h.final() !== null, 'start() resolved');
    const final = h.final()!;
    expect(final.status).toBe('incomplete');
    expect(final.incomplete?.reason).toBe('error');
    expect(final.error).toBeInstanceOf(StreamAbortedError);
    expect((final.error as StreamAbortedError).reason).toBe('timeout');
    expect(final.error?.message).toContain('idleTimeoutMs');
    expect(final.message.text).toBe('partial answer, kept');
    // The client closed the connection.
    await expect(server!.requests[0]!.closed).resolves.toEqual({ aborted: true });
  });

  test('comments only, then silence: the same timeout, with nothing to keep (empty text, no protocol)', async () => {
    const h = await open({ idleTimeoutMs: IDLE_MS });
    await keepAlivesFor60s(h);
    await vi.advanceTimersByTimeAsync(IDLE_MS - 1);
    expect(h.session.getSnapshot().status).toBe('streaming');
    await vi.advanceTimersByTimeAsync(1);
    await until(() => h.final() !== null, 'start() resolved');
    const final = h.final()!;
    expect(final.status).toBe('incomplete');
    expect(final.incomplete?.reason).toBe('error');
    expect((final.error as StreamAbortedError).reason).toBe('timeout');
    expect(final.message.text).toBe('');
    expect(final.protocol).toBeNull();
    await expect(server!.requests[0]!.closed).resolves.toEqual({ aborted: true });
  });

  test('firstByteTimeoutMs 10 s, comments only: a comment counts as the first byte, so the first-byte timer never fires; the stream ends when the server closes it (disconnected, no text)', async () => {
    const h = await open({ firstByteTimeoutMs: 10_000, idleTimeoutMs: 0 });
    // The first comment 1 ms before the first-byte bound.
    await vi.advanceTimersByTimeAsync(9_999);
    expect(h.session.getSnapshot().status).toBe('connecting');
    await keepAlivesFor60s(h, () => expect(h.session.getSnapshot().status).toBe('streaming'));
    // Long past any first-byte bound, no idle timeout: still open.
    await vi.advanceTimersByTimeAsync(120_000);
    expect(h.final()).toBeNull();
    expect(h.session.getSnapshot().status).toBe('streaming');

    h.res.end();
    await until(() => h.final() !== null, 'start() resolved');
    const final = h.final()!;
    expect(final.status).toBe('incomplete');
    expect(final.incomplete?.reason).toBe('disconnected');
    expect((final.error as StreamAbortedError).reason).toBe('disconnected');
    expect(final.message.text).toBe('');
  });

  test('control for the comment as first byte: the same setup with no comment fires firstByteTimeoutMs at exactly 10 s', async () => {
    const h = await open({ firstByteTimeoutMs: 10_000, idleTimeoutMs: 0 });
    await vi.advanceTimersByTimeAsync(9_999);
    expect(h.final()).toBeNull();
    expect(h.session.getSnapshot().status).toBe('connecting');
    await vi.advanceTimersByTimeAsync(1);
    await until(() => h.final() !== null, 'start() resolved');
    const final = h.final()!;
    expect(final.status).toBe('incomplete');
    expect((final.error as StreamAbortedError).reason).toBe('timeout');
    expect(final.error?.message).toContain('firstByteTimeoutMs');
    await expect(server!.requests[0]!.closed).resolves.toEqual({ aborted: true });
  });
});
