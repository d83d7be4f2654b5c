import { afterEach, describe, expect, test, vi } from 'vitest';
import { createStreamSession, type StreamSession, type StreamSessionOptions } from '../../src/core/createStreamSession';
import type { NotifyScheduler } from '../../src/core/scheduler';
import type { RecordedRequest } from '../helpers/httpServer';
import { startResumeServer, type ResumeServer, type ResumeServerOptions } from '../helpers/resumeServer';
import { statusesOf } from '../helpers/statusesOf';

// Stop wins over a reconnect (docs/resume.md): a stop while `reconnecting` (waiting, or with the
// resume request out), during a replay or on a resumed stream runs the stop contract (the server
// cancel with the same stream id and secret, then the local abort of whatever connection is
// current) and no resume starts after it. And the frame throttle holds through a replay burst.

const WAIT = { timeout: 10_000, interval: 2 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let server: ResumeServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function open(options: ResumeServerOptions, session: Partial<StreamSessionOptions> = {}): Promise<{ session: StreamSession; statuses: string[] }> {
  server = await startResumeServer(options);
  const created = createStreamSession({
    api: `${server.url}/stream`,
    resumeApi: `${server.url}/resume`,
    cancelApi: `${server.url}/cancel`,
    throttle: false,
    ...session,
  });
  return { session: created, statuses: statusesOf(created) };
}

/** The cancel request names this session's stream, with its secret. */
function expectCancelOf(session: StreamSession, cancel: RecordedRequest | undefined) {
  expect(cancel?.method).toBe('POST');
  expect(JSON.parse(cancel!.body)).toEqual({ streamId: session.streamId });
  expect(cancel!.headers['x-stream-cancel-secret']).toBe(session.cancelSecret);
}

describe('stop() during a reconnect', () => {
  test('while waiting to resume: the cancel goes out, no resume request ever does; serverConfirmed from its answer', async () => {
    const { session, statuses } = await open({ protocol: 'anthropic', cuts: [{ event: 10 }] }, { reconnect: { minDelayMs: 300, maxDelayMs: 300 } });
    const done = session.start();
    await vi.waitFor(() => expect(session.getSnapshot().status).toBe('reconnecting'), WAIT);
    const stopped = session.stop();
    expect(session.getSnapshot().status).toBe('stopping');
    await expect(stopped).resolves.toEqual({ serverConfirmed: true });
    const final = await done;
    expect(final.incomplete).toEqual({ reason: 'cancelled', serverConfirmed: true });
    expect(statuses).toEqual(['connecting', 'streaming', 'reconnecting', 'stopping', 'incomplete']);
    expectCancelOf(session, server!.cancels[0]);
    await sleep(500); // past every delay the reconnect would have waited
    expect(server!.resumes).toHaveLength(0);
  });

  test('while waiting to resume, a cancel that fails: serverConfirmed false with its error, still no resume', async () => {
    const { session } = await open(
      { protocol: 'openai-chat', cuts: [{ event: 10 }], onCancel: ({ res }) => (res.writeHead(500).end('nope'), true) },
      { reconnect: { minDelayMs: 300, maxDelayMs: 300 } },
    );
    const done = session.start();
    await vi.waitFor(() => expect(session.getSnapshot().status).toBe('reconnecting'), WAIT);
    const result = await session.stop();
    expect(result.serverConfirmed).toBe(false);
    expect(result.error).toContain('500');
    expect((await done).incomplete?.reason).toBe('cancelled');
    await sleep(500);
    expect(server!.resumes).toHaveLength(0);
  });

  test('with the resume request out: the cancel, then that request is aborted', async () => {
    const { session } = await open({ protocol: 'ai-sdk', cuts: [{ event: 10 }], onResume: () => true }, { reconnect: { minDelayMs: 1, maxDelayMs: 1 } });
    const done = session.start();
    await vi.waitFor(() => expect(server!.resumes).toHaveLength(1), WAIT);
    await expect(session.stop()).resolves.toEqual({ serverConfirmed: true });
    expect((await done).incomplete).toEqual({ reason: 'cancelled', serverConfirmed: true });
    expectCancelOf(session, server!.cancels[0]);
    await expect(server!.resumes[0]!.closed).resolves.toEqual({ aborted: true });
    const events = server!.events;
    expect(events.indexOf('request POST /cancel')).toBeLessThan(events.findIndex((e) => e.startsWith('abort GET /resume')));
    await sleep(100);
    expect(server!.resumes).toHaveLength(1);
  });

  test('during a replay: stopping at once, frozen at what was shown; the cancel, then the resumed connection closes', async () => {
    // The model runs on while the client waits: the resume replays a backlog, then follows live.
    const { session, statuses } = await open({ protocol: 'openai-responses', cuts: [{ event: 5 }], intervalMs: 3 }, { reconnect: { minDelayMs: 100, maxDelayMs: 100 } });
    const done = session.start();
    await vi.waitFor(() => expect(statuses.slice(-2)).toEqual(['reconnecting', 'streaming']), WAIT);
    await vi.waitFor(() => expect(session.getSnapshot().message.reasoning.length).toBeGreaterThan(10), WAIT);
    const shown = session.getSnapshot().message;
    const stopped = session.stop();
    expect(session.getSnapshot().status).toBe('stopping');
    await expect(stopped).resolves.toEqual({ serverConfirmed: true });
    const final = await done;
    expect(final.incomplete).toEqual({ reason: 'cancelled', serverConfirmed: true });
    expect(final.message.text).toBe(shown.text);
    expect(final.message.reasoning).toBe(shown.reasoning);
    expectCancelOf(session, server!.cancels[0]);
    await server!.resumes[0]!.closed;
    const events = server!.events;
    expect(events.indexOf('request POST /cancel')).toBeLessThan(events.findIndex((e) => / GET \/resume/.test(e) && !e.startsWith('request')));
    expect(server!.resumes).toHaveLength(1);
  });
});

describe('the frame throttle holds through a replay burst', () => {
  test('a backlog replayed at once: at most one notification per frame', async () => {
    const queue: (() => void)[] = [];
    let deepest = 0;
    const scheduler: NotifyScheduler = (flush) => {
      queue.push(flush);
      deepest = Math.max(deepest, queue.length);
      return () => {
        const at = queue.indexOf(flush);
        if (at !== -1) queue.splice(at, 1);
      };
    };
    let events = 0;
    // The whole answer is written while the client waits: the resume gets it in one burst.
    const { session } = await open(
      { protocol: 'anthropic', cuts: [{ event: 4 }], intervalMs: 0 },
      { scheduler, throttle: undefined, reconnect: { minDelayMs: 200, maxDelayMs: 200 }, onEvent: () => events++ },
    );
    let notifications = 0;
    session.subscribe(() => notifications++);
    const done = session.start();
    await vi.waitFor(() => expect(session.getSnapshot().status).toBe('reconnecting'), WAIT);
    const before = { events, notifications };
    const perFrame: number[] = [];
    // Frames, by hand: each runs what the scheduler holds.
    const frames = setInterval(() => {
      const at = notifications;
      queue.splice(0).forEach((flush) => flush());
      perFrame.push(notifications - at);
    }, 16);
    const final = await done;
    clearInterval(frames);
    expect(final.status).toBe('complete');
    expect(events - before.events).toBeGreaterThan(50); // a burst indeed
    expect(deepest).toBeLessThanOrEqual(1);
    expect(Math.max(...perFrame)).toBeLessThanOrEqual(1);
    // Besides the frames, only the status changes notify (streaming again, then complete).
    expect(notifications - before.notifications).toBeLessThanOrEqual(perFrame.filter(Boolean).length + 2);
  });
});
