import { afterEach, describe, expect, test, vi } from 'vitest';
import { createStreamSession, type StreamSession, type StreamSessionOptions } from '../../src/core/createStreamSession';
import { StreamAbortedError, StreamHttpError } from '../../src/core/errors';
import type { Protocol } from '../../src/core/types';
import { stopButtonState } from '../../src/react/StopButton';
import { messagePatchFromSession } from '../../src/store/messagePatchFromSession';
import { scriptUnits, startResumeServer, type ResumeServer, type ResumeServerOptions } from '../helpers/resumeServer';
import { statusesOf } from '../helpers/statusesOf';

// How a resumed session ends when the resume does not bring the rest (docs/resume.md): `404`,
// attempts spent, another status, an ended log; and that without `resumeApi` nothing changes.
// Stop and the throttle during a reconnect are in session.resumeStop.test.ts.

const WAIT = { timeout: 10_000, interval: 5 };

let server: ResumeServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

/** A session against a fresh resume server, with the statuses it went through. */
async function open(options: ResumeServerOptions, session: Partial<StreamSessionOptions> = {}): Promise<{ session: StreamSession; statuses: string[] }> {
  server = await startResumeServer(options);
  const created = createStreamSession({
    api: `${server.url}/stream`,
    resumeApi: `${server.url}/resume`,
    cancelApi: `${server.url}/cancel`,
    throttle: false,
    reconnect: { minDelayMs: 1, maxDelayMs: 4 },
    ...session,
  });
  return { session: created, statuses: statusesOf(created) };
}

describe('when the resume does not bring the rest', () => {
  test('404: incomplete / disconnected, as without resume (the drop as the error cause)', async () => {
    const { session, statuses } = await open({ protocol: 'anthropic', cuts: [{ event: 8 }], onResume: ({ res }) => (res.writeHead(404).end('{"error":"gone"}'), true) });
    const final = await session.start();
    expect(statuses).toEqual(['connecting', 'streaming', 'reconnecting', 'incomplete']);
    expect(final.incomplete).toEqual({ reason: 'disconnected', error: expect.stringContaining('The connection dropped mid-stream') });
    expect(final.error).toBeInstanceOf(StreamAbortedError);
    expect((final.error as StreamAbortedError).reason).toBe('disconnected');
    expect((final.error as Error).cause).toBeInstanceOf(Error);
    expect(final.message.reasoning).not.toBe(''); // what came before the drop is kept
    expect(server!.resumes).toHaveLength(1);
  });

  test('a body that ended without its finish, then 404: the same end as without resume', async () => {
    const { session } = await open({ protocol: 'ai-sdk', cuts: [{ event: 8, how: 'end' }], onResume: ({ res }) => (res.writeHead(404).end(), true) });
    const final = await session.start();
    expect(final.incomplete?.reason).toBe('disconnected');
    expect(final.error?.message).toContain('no finish event');
  });

  test('attempts spent (network errors): disconnected after exactly `attempts` requests, in bounded time', async () => {
    const { session, statuses } = await open(
      { protocol: 'openai-chat', cuts: [{ event: 8 }], onResume: ({ res }) => (res.socket?.destroy(), true) },
      { reconnect: { attempts: 3, minDelayMs: 20, maxDelayMs: 40 } },
    );
    const started = performance.now();
    const final = await session.start();
    const elapsed = performance.now() - started;
    expect(server!.resumes).toHaveLength(3);
    expect(final.incomplete?.reason).toBe('disconnected');
    expect(final.error).toBeInstanceOf(StreamAbortedError);
    // Delays of at most 20 + 40 + 40 ms (jittered down, never up), plus the requests.
    expect(elapsed).toBeLessThan(1500);
    expect(statuses).toEqual(['connecting', 'streaming', 'reconnecting', 'incomplete']);
  });

  test('an attempt that brings new bytes starts the count again: three drops with `attempts: 1` still end complete', async () => {
    const { session } = await open({ protocol: 'openai-responses', cuts: [{ event: 10 }, { event: 20, bytes: 7 }, { event: 30 }] }, { reconnect: { attempts: 1, minDelayMs: 1 } });
    const final = await session.start();
    expect(final.status).toBe('complete');
    expect(server!.resumes).toHaveLength(3);
  });

  test('503 (the log store down, e.g. Redis restarting) is passing: retried, and the stream completes once it answers', async () => {
    // Before: the first 503 ended the stream `error` at once, though the log was only out of reach.
    let refused = 0;
    const { session } = await open({ protocol: 'anthropic', cuts: [{ event: 8, bytes: 5 }], onResume: ({ res }) => refused < 2 && (refused++, res.writeHead(503).end('{"error":"log store unavailable"}'), true) });
    const final = await session.start();
    expect(final.status).toBe('complete');
    expect(server!.resumes).toHaveLength(3);
  });

  test.each([502, 503, 504])('%i on every attempt: incomplete / error with the last StreamHttpError, after the attempts (the message kept)', async (status) => {
    const { session } = await open({ protocol: 'openai-chat', cuts: [{ event: 30 }], onResume: ({ res }) => (res.writeHead(status).end('unavailable'), true) }, { reconnect: { attempts: 3, minDelayMs: 1, maxDelayMs: 2 } });
    const final = await session.start();
    expect(final.incomplete?.reason).toBe('error');
    expect((final.error as StreamHttpError).status).toBe(status);
    expect(final.message.text.length).toBeGreaterThan(0);
    expect(server!.resumes).toHaveLength(3);
  });

  test('another non-2xx answer (500): incomplete / error with its StreamHttpError, no further attempt', async () => {
    const { session } = await open({ protocol: 'ndjson', cuts: [{ event: 8, bytes: 11 }], onResume: ({ res }) => (res.writeHead(500).end('resume broke'), true) });
    const final = await session.start();
    expect(final.incomplete?.reason).toBe('error');
    expect(final.error).toBeInstanceOf(StreamHttpError);
    expect((final.error as StreamHttpError).status).toBe(500);
    expect((final.error as StreamHttpError).body).toBe('resume broke');
    expect(server!.resumes).toHaveLength(1);
  });
});

describe('x-stream-log-ended with no new byte: the stream was over, its log says how', () => {
  test.each([
    ['error', { reason: 'error', error: expect.any(String) }],
    ['cancelled', { reason: 'cancelled', serverConfirmed: true }],
    ['disconnected', { reason: 'disconnected', error: expect.stringContaining('no finish event') }],
  ] as const)('%s', async (reason, incomplete) => {
    // The model stops after 12 units and the body ends without the finish: the client resumes.
    const { session } = await open({ protocol: 'anthropic', stopAfter: { units: 12, reason } });
    const final = await session.start();
    expect(final.status).toBe('incomplete');
    expect(final.incomplete).toEqual(incomplete);
    expect(server!.resumes).toHaveLength(1);
  });

  test('complete: the accumulated finish decides (a drop after the last byte ends complete)', async () => {
    // Every unit, then the cut instead of the clean end.
    const { units } = await scriptUnits('ai-sdk');
    const { session } = await open({ protocol: 'ai-sdk', cuts: [{ event: units.length }] });
    const final = await session.start();
    expect(final.status).toBe('complete');
    expect(server!.resumes).toHaveLength(1);
  });

  test('plain text: a read error after the last byte, log ended disconnected: disconnected (not complete)', async () => {
    const { session } = await open({ protocol: 'text', stopAfter: { units: 5, reason: 'disconnected' }, cuts: [{ event: 5 }] });
    const final = await session.start();
    expect(final.incomplete?.reason).toBe('disconnected');
    expect(server!.resumes).toHaveLength(1);
  });

  test('plain text: a clean end is its finish, never resumed', async () => {
    const { session } = await open({ protocol: 'text', stopAfter: { units: 5, reason: 'disconnected' } });
    const final = await session.start();
    expect(final.status).toBe('complete');
    expect(server!.resumes).toHaveLength(0);
  });
});

describe('without resumeApi nothing changes', () => {
  test.each(['openai-chat', 'text'] as Protocol[])('%s: a drop ends disconnected at once, no resume request', async (protocol) => {
    const { session, statuses } = await open({ protocol, cuts: [{ event: 6, bytes: 3 }] }, { resumeApi: undefined });
    const final = await session.start();
    expect(statuses).toEqual(['connecting', 'streaming', 'incomplete']);
    expect(final.incomplete?.reason).toBe('disconnected');
    expect(final.error).toBeInstanceOf(StreamAbortedError);
    expect(server!.resumes).toHaveLength(0);
  });
});

describe('timers and status during a reconnect', () => {
  test('the idle and first-byte bounds do not fire while the session waits to resume', async () => {
    const { session } = await open(
      { protocol: 'openai-chat', cuts: [{ event: 5 }] },
      { idleTimeoutMs: 150, firstByteTimeoutMs: 150, reconnect: { minDelayMs: 400, maxDelayMs: 400 } },
    );
    const final = await session.start();
    expect(final.error).toBeNull();
    expect(final.status).toBe('complete');
  });

  test('disconnect() while reconnecting: disconnected at once, no further attempt', async () => {
    const { session, statuses } = await open({ protocol: 'openai-chat', cuts: [{ event: 5 }] }, { reconnect: { minDelayMs: 300, maxDelayMs: 300 } });
    const done = session.start();
    await vi.waitFor(() => expect(session.getSnapshot().status).toBe('reconnecting'), WAIT);
    session.disconnect();
    expect(session.getSnapshot().incomplete).toEqual({ reason: 'disconnected' });
    await done;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(server!.resumes).toHaveLength(0);
    expect(statuses).toEqual(['connecting', 'streaming', 'reconnecting', 'incomplete']);
  });

  test('reconnecting is live: the StopButton shows `streaming`, the store message stays `streaming`', () => {
    expect(stopButtonState('reconnecting')).toBe('streaming');
    const snapshot = { status: 'reconnecting', message: { id: null, text: 'Hi', reasoning: '', toolCalls: [], usage: null, finishReason: null }, incomplete: null, error: null, streamId: 's', responseId: null } as const;
    expect(messagePatchFromSession(snapshot).status).toBe('streaming');
  });
});
