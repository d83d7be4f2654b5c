import { afterEach, describe, expect, test, vi } from 'vitest';
import type { StreamSessionOptions } from '../../src/core/createStreamSession';
import { startResumeServer, type ResumeServer } from '../helpers/resumeServer';
import { statusesOf } from '../helpers/statusesOf';

// The reconnector is a chunk of its own, loaded with a dynamic import() at the session's creation
// and only with `resumeApi` (docs/size.md). A drop before it loaded waits for it; a load that failed
// (offline, a deploy removed the chunk) ends the drop as without resume.

const RECONNECTOR = '../../src/core/session/createReconnector';
const SESSION = '../../src/core/createStreamSession';

let server: ResumeServer | null = null;
afterEach(async () => {
  vi.doUnmock(RECONNECTOR);
  vi.resetModules();
  await server?.close();
  server = null;
});

async function open(session: Partial<StreamSessionOptions> = {}) {
  // Fresh modules (vi.resetModules): the session's, with the reconnector as the test mocked it.
  const { createStreamSession } = await import(SESSION);
  server = await startResumeServer({ protocol: 'openai-chat', cuts: [{ event: 4 }] });
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

describe('the lazily loaded reconnector', () => {
  test('a load that failed: the drop ends disconnected, as without resume; no resume request', async () => {
    vi.resetModules();
    vi.doMock(RECONNECTOR, () => {
      throw new Error('Failed to fetch dynamically imported module');
    });
    const { session, statuses } = await open();
    const final = await session.start();
    expect(statuses).toEqual(['connecting', 'streaming', 'incomplete']);
    expect(final.incomplete?.reason).toBe('disconnected');
    expect(final.error?.name).toBe('StreamAbortedError');
    expect(server!.resumes).toHaveLength(0);
  });

  test('a drop before it loaded: the session waits for it, then resumes (complete)', async () => {
    vi.resetModules();
    let release!: () => void;
    const loaded = new Promise<void>((resolve) => (release = resolve));
    vi.doMock(RECONNECTOR, async () => {
      await loaded;
      return vi.importActual(RECONNECTOR);
    });
    const { session, statuses } = await open();
    const done = session.start();
    // The drop came (the server cut the stream) and waits for the reconnector.
    await vi.waitFor(() => expect(server!.events).toContain('abort POST /stream'), { timeout: 5_000, interval: 5 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(session.getSnapshot().status).toBe('streaming');
    release();
    const final = await done;
    expect(final.status).toBe('complete');
    expect(statuses).toEqual(['connecting', 'streaming', 'reconnecting', 'streaming', 'complete']);
    expect(server!.resumes).toHaveLength(1);
  });

  test('a stop while the drop waits for it: the stop contract ends it, no resume request', async () => {
    vi.resetModules();
    let release!: () => void;
    const loaded = new Promise<void>((resolve) => (release = resolve));
    vi.doMock(RECONNECTOR, async () => {
      await loaded;
      return vi.importActual(RECONNECTOR);
    });
    const { session } = await open();
    const done = session.start();
    await vi.waitFor(() => expect(server!.events).toContain('abort POST /stream'), { timeout: 5_000, interval: 5 });
    const stopped = session.stop();
    expect(session.getSnapshot().status).toBe('stopping');
    release();
    await stopped;
    expect((await done).incomplete?.reason).toBe('cancelled');
    expect(server!.cancels).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server!.resumes).toHaveLength(0);
  });

  test('a disconnect() while the drop waits for it: disconnected at once, nothing read or requested after', async () => {
    vi.resetModules();
    let release!: () => void;
    const loaded = new Promise<void>((resolve) => (release = resolve));
    vi.doMock(RECONNECTOR, async () => {
      await loaded;
      return vi.importActual(RECONNECTOR);
    });
    const { session, statuses } = await open();
    const done = session.start();
    await vi.waitFor(() => expect(server!.events).toContain('abort POST /stream'), { timeout: 5_000, interval: 5 });
    session.disconnect();
    const final = await done;
    expect(final.incomplete).toEqual({ reason: 'disconnected' });
    release();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(session.getSnapshot()).toBe(final);
    expect(statuses).toEqual(['connecting', 'streaming', 'incomplete']);
    expect(server!.resumes).toHaveLength(0);
  });
});
