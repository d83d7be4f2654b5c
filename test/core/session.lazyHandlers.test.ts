import { afterEach, describe, expect, test, vi } from 'vitest';
import { collectStream } from '../../src/core/collectStream';
import type { StreamSessionOptions, StreamSessionSnapshot } from '../../src/core/createStreamSession';
import type { AccumulatedMessage } from '../../src/core/accumulator';
import type { Protocol } from '../../src/core/types';
import { startResumeServer, type Cut, type ResumeServer } from '../helpers/resumeServer';
import { statusesOf } from '../helpers/statusesOf';

// On the session's path each protocol handler is a chunk of its own, loaded on first use: with an
// explicit `protocol` at the session's creation, with 'auto' at detection (docs/size.md, "Protocol
// handlers, loaded lazily"). The session's `import()` targets (`decoders/lazy/*`, the chunks) are
// mocked here only to hold their load open (or fail it, as a chunk that cannot be fetched); their
// code is the real one. Real HTTP on 127.0.0.1 (the resume test server).

const SESSION = '../../src/core/createStreamSession';
const MODULES: Record<string, string> = {
  'openai-chat': '../../src/core/decoders/lazy/openaiChat',
  'openai-responses': '../../src/core/decoders/lazy/openaiResponses',
  anthropic: '../../src/core/decoders/lazy/anthropic',
  'ai-sdk': '../../src/core/decoders/lazy/aiSdk',
};
const WAIT = { timeout: 5_000, interval: 5 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let server: ResumeServer | null = null;
afterEach(async () => {
  for (const path of Object.values(MODULES)) vi.doUnmock(path);
  vi.resetModules();
  await server?.close();
  server = null;
});

/**
 * Every handler module held until `release()` (or failing, `fail`), in fresh modules: so the
 * module-level cache of loaded handlers starts empty, as on a page's first stream. `loads` lists
 * the modules requested.
 */
function holdHandlers(fail = false) {
  vi.resetModules();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const loads: string[] = [];
  for (const [name, path] of Object.entries(MODULES)) {
    vi.doMock(path, async () => {
      loads.push(name);
      if (fail) throw new Error('Failed to fetch dynamically imported module');
      await gate;
      return vi.importActual(path);
    });
  }
  return { release, loads };
}

/** A session against a fresh resume test server (`cuts`: with `resumeApi`, its drops resumed). */
async function open(protocol: Protocol, session: Partial<StreamSessionOptions> = {}, cuts?: Cut[]) {
  const { createStreamSession } = (await import(SESSION)) as typeof import('../../src/core/createStreamSession');
  server = await startResumeServer({ protocol, cuts });
  const created = createStreamSession({
    api: `${server.url}/stream`,
    cancelApi: `${server.url}/cancel`,
    throttle: false,
    ...(cuts ? { resumeApi: `${server.url}/resume`, reconnect: { minDelayMs: 1, maxDelayMs: 4 } } : {}),
    ...session,
  });
  return { session: created, statuses: statusesOf(created) };
}

/** What the static path (collectStream, every handler imported) makes of the same stream. */
async function reference(protocol: Protocol) {
  const snapshot = await collectStream(new Response(server!.units.join('')).body!, { protocol });
  return { id: snapshot.id, text: snapshot.text, reasoning: snapshot.reasoning ?? '', usage: snapshot.usage, finishReason: snapshot.finishReason, tools: snapshot.toolCalls.map((c) => [c.id, c.name, c.argsText]) };
}
const essence = (m: AccumulatedMessage) => ({ id: m.id, text: m.text, reasoning: m.reasoning, usage: m.usage, finishReason: m.finishReason, tools: m.toolCalls.map((c) => [c.id, c.name, c.argsText]) });

const CASES: [Protocol, string][] = [
  ['openai-chat', 'openai-chat'],
  ['openai-responses', 'openai-responses'],
  ['anthropic', 'anthropic'],
  ['ai-sdk', 'ai-sdk'],
  ['ndjson', 'openai-chat'],
];

describe('each protocol through the session, its handler loaded lazily', () => {
  for (const [protocol, module] of CASES) {
    for (const named of [false, true]) {
      test(`${protocol}, ${named ? 'named' : "'auto'"}: the events wait for the handler, in order; only its module is loaded`, async () => {
        const { release, loads } = holdHandlers();
        const { session, statuses } = await open(protocol, named ? { protocol } : {});
        // Named: the load starts with the session, before the request; 'auto': at detection.
        if (named) await vi.waitFor(() => expect(loads).toEqual([module]), WAIT);
        else expect(loads).toEqual([]);
        const done = session.start();
        await vi.waitFor(() => expect(loads).toEqual([module]), WAIT);
        await sleep(40); // the stream goes on arriving meanwhile; nothing is applied yet
        const waiting: StreamSessionSnapshot = session.getSnapshot();
        expect(waiting.message.text).toBe('');
        expect(waiting.message.toolCalls).toEqual([]);
        expect(['connecting', 'streaming']).toContain(waiting.status);
        release();
        const final = await done;
        expect(final.status).toBe('complete');
        expect(final.protocol).toBe(protocol);
        expect(essence(final.message)).toEqual(await reference(protocol));
        expect(statuses).toEqual(['connecting', 'streaming', 'complete']);
        expect(loads).toEqual([module]);

        // The page's next stream: the handler is there, nothing is loaded again.
        const again = await open(protocol, named ? { protocol } : {});
        expect((await again.session.start()).status).toBe('complete');
        expect(loads).toEqual([module]);
      });
    }
  }
});

describe('the handler load and the stop contract', () => {
  test('a stop while the handler loads: nothing was shown, so nothing is kept; cancelled on the server, aborted locally', async () => {
    const { release, loads } = holdHandlers();
    const { session, statuses } = await open('anthropic', { protocol: 'anthropic' });
    const done = session.start();
    await vi.waitFor(() => expect(server!.events).toContain('request POST /stream'), WAIT);
    await sleep(40);
    expect(session.getSnapshot().message.text).toBe('');
    const stopping = session.stop();
    expect(session.getSnapshot().status).toBe('stopping');
    release(); // arrives during the drain: the held deltas apply to a frozen message
    const result = await stopping;
    const final = await done;
    expect(final.status).toBe('incomplete');
    expect(final.incomplete?.reason).toBe('cancelled');
    expect(result.serverConfirmed).toBe(true);
    expect(final.message.text).toBe('');
    expect(server!.cancels).toHaveLength(1);
    // The request is closed (the server's cancel ended the stream, or the local abort did).
    await vi.waitFor(() => expect(server!.events.some((e) => /^(abort|end) POST \/stream/.test(e))).toBe(true), WAIT);
    expect(statuses.at(-1)).toBe('incomplete');
    expect(statuses).not.toContain('complete');
    expect(loads).toEqual(['anthropic']);
  });

  test('a disconnect() while the handler loads: ended as shown (nothing); the handler arriving later changes nothing', async () => {
    const { release } = holdHandlers();
    const { session, statuses } = await open('openai-responses', { protocol: 'openai-responses' });
    const done = session.start();
    await vi.waitFor(() => expect(server!.events).toContain('request POST /stream'), WAIT);
    await vi.waitFor(() => expect(server!.ended).toBe('complete'), WAIT);
    await sleep(30); // the whole answer has arrived (held), up to its finish event
    session.disconnect();
    const final = await done;
    expect(final.incomplete).toEqual({ reason: 'disconnected' });
    expect(final.message.text).toBe('');
    release();
    await sleep(50);
    expect(session.getSnapshot()).toBe(final);
    expect(final.message.finishReason).toBeNull();
    expect(statuses).toEqual(['connecting', 'incomplete']);
  });

  test('a stop whose drain ends before the handler arrives: the end stays what it was', async () => {
    const { release } = holdHandlers();
    const { session } = await open('anthropic', { protocol: 'anthropic', drainMs: 1 });
    const done = session.start();
    await vi.waitFor(() => expect(server!.events).toContain('request POST /stream'), WAIT);
    await sleep(60);
    await session.stop();
    const final = await done;
    expect(final.incomplete?.reason).toBe('cancelled');
    release();
    await sleep(50);
    expect(session.getSnapshot()).toBe(final);
  });

  for (const named of [true, false]) {
    test(`a load that fails (${named ? 'named' : "'auto'"}): incomplete / error with a handler-unavailable StreamProtocolError, never stuck`, async () => {
      const { loads } = holdHandlers(true);
      const { session, statuses } = await open('openai-responses', named ? { protocol: 'openai-responses' } : {});
      const final = await session.start();
      expect(loads).toContain('openai-responses');
      expect(final.status).toBe('incomplete');
      expect(final.incomplete?.reason).toBe('error');
      expect(final.error?.name).toBe('StreamProtocolError');
      expect((final.error as { type?: string }).type).toBe('handler-unavailable');
      expect(final.incomplete?.error).toBe(final.error?.message);
      expect(final.error?.message).toMatch(/openai-responses/);
      expect(statuses).toEqual(['connecting', 'streaming', 'incomplete']);
      await vi.waitFor(() => expect(server!.events.some((e) => /^(abort|end) POST \/stream/.test(e))).toBe(true), WAIT);
    });
  }
});

test('after a load that failed, the next stream of the page tries again', async () => {
  vi.resetModules();
  let failing = true;
  let attempts = 0;
  vi.doMock(MODULES['anthropic']!, async () => {
    attempts++;
    if (failing) throw new Error('Failed to fetch dynamically imported module');
    return vi.importActual(MODULES['anthropic']!);
  });
  const first = await open('anthropic', { protocol: 'anthropic' });
  expect((await first.session.start()).error).toMatchObject({ type: 'handler-unavailable' });
  await server!.close();
  failing = false;
  const second = await open('anthropic', { protocol: 'anthropic' });
  expect((await second.session.start()).status).toBe('complete');
  expect(attempts).toBeGreaterThan(1);
});

describe('a drop and a resume across the handler load', () => {
  for (const protocol of ['openai-responses', 'anthropic', 'ndjson'] as const) {
    test(`${protocol}: the drop waits for the held events; the resume from the cursor gives the uninterrupted message`, async () => {
      // The uninterrupted run (its handler loads at once).
      const whole = await open(protocol, { protocol });
      const expected = (await whole.session.start()).message;
      await server!.close();

      const { release } = holdHandlers();
      // The socket is destroyed 5 bytes into the 4th unit, while the handler still loads.
      const { session, statuses } = await open(protocol, { protocol }, [{ event: 3, bytes: 5 }]);
      const done = session.start();
      await vi.waitFor(() => expect(server!.events).toContain('abort POST /stream'), WAIT);
      await sleep(40);
      expect(session.getSnapshot().message.text).toBe('');
      expect(server!.resumes).toHaveLength(0); // the drop waits for the handler before it is handed on
      release();
      const final = await done;
      expect(final.status).toBe('complete');
      expect(statuses).toEqual(['connecting', 'streaming', 'reconnecting', 'streaming', 'complete']);
      expect(server!.resumes).toHaveLength(1);
      // Every byte before the cut was read while the handler loaded (a body that errors drops what
      // it queued unread) and applied before the drop was handed on: SSE, the 3rd event's id; NDJSON,
      // every byte pushed, 5 into the 4th line.
      const cursor = String(server!.resumes[0]!.headers['last-event-id']);
      const end3 = server!.units.slice(0, 3).reduce((sum, unit) => sum + Buffer.byteLength(unit), 0);
      expect(cursor).toBe(protocol === 'ndjson' ? String(end3 + 5) : `${end3}.a1b2`);
      expect(final.message).toEqual(expected);
    });
  }
});

describe("'auto' and the browser's connection pool", () => {
  /** A browser-like limit (6 per host), another stream open to the same origin, the handlers held, the requests listed. */
  async function besideAnotherStream() {
    const held = holdHandlers();
    const { trackOpenStream } = await import('../../src/core/openStreams');
    const requests: string[] = [];
    const { session } = await open('anthropic', { connectionsPerHost: 6, fetch: (input, init) => (requests.push(String(input)), fetch(input, init)) });
    return { ...held, requests, session, other: trackOpenStream(`${server!.url}/other`) };
  }

  // Over HTTP/1.1 a page has 6 connections per host: a stream that takes the last one leaves none
  // for a handler requested at its first event (the chunk waited for a stream to end).
  test('a stream that takes the last connection to its origin loads every handler before its request', async () => {
    const { release, loads } = holdHandlers();
    const { session } = await open('anthropic', { connectionsPerHost: 1 });
    const done = session.start();
    await vi.waitFor(() => expect([...loads].sort()).toEqual(['ai-sdk', 'anthropic', 'openai-chat', 'openai-responses']), WAIT);
    release();
    const final = await done;
    expect(final.status).toBe('complete');
    expect(essence(final.message)).toEqual(await reference('anthropic'));
  });

  test('with another stream open to its origin, an \'auto\' stream loads every handler and sends its request once they are there', async () => {
    // Six streams at once to one origin held the six connections, each chunk requested at its first
    // event waited (e2e "Six streams", lanes on 'auto'), and a preload at the last connection still
    // lost the race to its own request: the request now waits for the chunks (bounded).
    const { release, loads, requests, session, other } = await besideAnotherStream();
    const done = session.start();
    await vi.waitFor(() => expect([...loads].sort()).toEqual(['ai-sdk', 'anthropic', 'openai-chat', 'openai-responses']), WAIT);
    await sleep(30);
    expect(requests).toEqual([]);
    release();
    const final = await done;
    other();
    expect(requests).toEqual([`${server!.url}/stream`]);
    expect(final.status).toBe('complete');
    expect(essence(final.message)).toEqual(await reference('anthropic'));
  });

  test('a Stop while it waits for the handlers: no request, the stream ends cancelled', async () => {
    const { release, loads, requests, session, other } = await besideAnotherStream();
    const done = session.start();
    await vi.waitFor(() => expect(loads).toHaveLength(4), WAIT);
    await session.stop();
    release();
    const final = await done;
    await sleep(30);
    other();
    expect(requests.filter((url) => url.endsWith('/stream'))).toEqual([]);
    expect(final.status).toBe('incomplete');
    expect(final.incomplete?.reason).toBe('cancelled');
  });

  test('with a connection left, only the detected protocol is loaded', async () => {
    const { release, loads } = holdHandlers();
    const { session } = await open('anthropic', { connectionsPerHost: 2 });
    const done = session.start();
    await vi.waitFor(() => expect(loads).toEqual(['anthropic']), WAIT);
    release();
    expect((await done).status).toBe('complete');
    expect(loads).toEqual(['anthropic']);
  });
});
