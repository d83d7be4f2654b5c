import { afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { createStreamSession, type CancelOutcome } from '../../src/core/createStreamSession';
import { StreamAbortedError, StreamHttpError } from '../../src/core/errors';
import { loadPartialJson } from '../../src/core/session/loadPartialJson';
import { startHttpServer, type RecordedRequest, type TestServer } from '../helpers/httpServer';
import { part, SSE_HEADERS as SSE } from '../helpers/sse';
import { statusesOf } from '../helpers/statusesOf';

// The stop contract of DESIGN.md against a real node:http server: freeze at the click, server
// cancel first, abort always (in a finally), bounded drain, idempotent, before the first byte too.
// Order is asserted from the server's own event log, never from wall-clock time.

const WAIT = { timeout: 10_000, interval: 5 };

// The partial JSON parser's chunk loaded, as on a page after its first tool call: these tests pin
// partial arguments as painted. Before it loads they are `null` (session.lazyPartialJson.test.ts).
beforeAll(() => loadPartialJson());


let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

/** Writes a start and the given text, then keeps the stream open; returns the handler and the open response. */
function openStream(text: string) {
  let stream: RecordedRequest | null = null;
  const handle = (request: RecordedRequest) => {
    stream = request;
    request.res.writeHead(200, SSE);
    request.res.write(part({ type: 'start', messageId: 'msg-stop' }) + part({ type: 'text-delta', id: '0', delta: text }));
  };
  return { handle, stream: () => stream! };
}

const indexOf = (events: string[], event: string) => {
  const index = events.indexOf(event);
  expect(index, `${event} in ${JSON.stringify(events)}`).toBeGreaterThanOrEqual(0);
  return index;
};

describe('stop()', () => {
  test('without a cancel endpoint: stopping, then at once the local abort that closes the connection', async () => {
    const { handle } = openStream('Hello');
    server = await startHttpServer(handle);
    const session = createStreamSession({ api: `${server.url}/chat`, throttle: false });
    const statuses = statusesOf(session);
    const done = session.start();
    await vi.waitFor(() => expect(session.getSnapshot().message.text).toBe('Hello'), WAIT);

    const stopped = session.stop();
    // Nothing to wait for: `stopping` and the terminal state are both notified in this task.
    expect(statuses).toEqual(['connecting', 'streaming', 'stopping', 'incomplete']);
    expect(session.getSnapshot().status).toBe('incomplete');

    await expect(stopped).resolves.toEqual({ serverConfirmed: false });
    const final = await done;
    expect(final.status).toBe('incomplete');
    expect(final.incomplete).toEqual({ reason: 'cancelled', serverConfirmed: false });
    expect(final.error).toBeNull();
    expect(final.message.text).toBe('Hello');
    expect(statuses).toEqual(['connecting', 'streaming', 'stopping', 'incomplete']);
    await expect(server.requests[0]!.closed).resolves.toEqual({ aborted: true });
    expect(server.events).toEqual(['request POST /chat', 'abort POST /chat']);
  });

  test('with cancelApi: the cancel POST (right id and secret) reaches the server before the stream connection closes', async () => {
    const { handle } = openStream('Hello');
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return handle(request);
      request.res.writeHead(200, { 'content-type': 'application/json' });
      request.res.end('{"status":"cancelled","usage":{"inputTokens":20,"outputTokens":7},"usageEstimated":true}');
    });
    const session = createStreamSession({ api: `${server.url}/chat`, cancelApi: `${server.url}/cancel`, throttle: false });
    const done = session.start();
    await vi.waitFor(() => expect(session.getSnapshot().message.text).toBe('Hello'), WAIT);

    await expect(session.stop()).resolves.toEqual({ serverConfirmed: true });
    const final = await done;
    expect(final.status).toBe('incomplete');
    expect(final.incomplete).toEqual({ reason: 'cancelled', serverConfirmed: true });
    expect(final.message.text).toBe('Hello');
    // Usage from the cancel answer, flagged as estimated.
    expect(final.message.usage).toEqual({ inputTokens: 20, outputTokens: 7, estimated: true });

    const cancel = server.requests.find((r) => r.url === '/cancel')!;
    expect(cancel.method).toBe('POST');
    expect(JSON.parse(cancel.body)).toEqual({ streamId: session.streamId });
    expect(cancel.headers['x-stream-cancel-secret']).toBe(session.cancelSecret);
    expect(cancel.headers['content-type']).toBe('application/json');

    await expect(server.requests[0]!.closed).resolves.toEqual({ aborted: true });
    expect(indexOf(server.events, 'request POST /cancel')).toBeLessThan(indexOf(server.events, 'abort POST /chat'));
  });

  test('freezes the visible message at the click: deltas after it are dropped, usage and finish still read', async () => {
    let more!: () => void;
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, SSE);
      res.write(part({ type: 'start', messageId: 'msg-freeze' }) + part({ type: 'text-delta', id: '0', delta: 'Seen' }));
      more = () =>
        res.write(
          part({ type: 'text-delta', id: '0', delta: ' not seen' }) +
            part({ type: 'message-metadata', messageMetadata: { usage: { inputTokens: 5, outputTokens: 9 } } }),
        );
    });
    const events: string[] = [];
    const cancel = async (): Promise<CancelOutcome> => {
      // While the cancel is in flight, the server sends more text and then usage.
      more();
      await vi.waitFor(() => expect(events).toContain('usage'), WAIT);
      return { confirmed: true };
    };
    const session = createStreamSession({ api: `${server.url}/chat`, cancel, throttle: false, onEvent: (e) => events.push(e.type) });
    const done = session.start();
    await vi.waitFor(() => expect(session.getSnapshot().message.text).toBe('Seen'), WAIT);
    await session.stop();
    const final = await done;
    expect(events.filter((type) => type === 'text-delta')).toHaveLength(2); // the second one was read...
    expect(final.message.text).toBe('Seen'); // ...and not shown
    expect(final.message.usage).toEqual({ inputTokens: 5, outputTokens: 9 }); // the stream's usage is kept
  });

  test('usage from a stream-cancelled event that arrives during the drain is recorded', async () => {
    let stream!: RecordedRequest;
    server = await startHttpServer((request) => {
      if (request.url === '/chat') {
        stream = request;
        request.res.writeHead(200, SSE);
        request.res.write(part({ type: 'text-delta', id: '0', delta: 'Partial answer' }));
        return;
      }
      // What the server helper does: end the stream with a cancel event carrying usage, then answer.
      stream.res.end('event: stream-cancelled\ndata: {"usage":{"inputTokens":12,"outputTokens":5},"usageEstimated":true}\n\n');
      request.res.writeHead(200, { 'content-type': 'application/json' });
      request.res.end('{"status":"cancelled","usage":null,"usageEstimated":false}');
    });
    const session = createStreamSession({
      api: `${server.url}/chat`,
      cancelApi: `${server.url}/cancel`,
      protocol: 'ai-sdk',
      drainMs: 5000, // ends early when the stream closes; generous for a loaded machine
    });
    const done = session.start();
    await vi.waitFor(() => expect(session.getSnapshot().message.text).toBe('Partial answer'), WAIT);
    expect(await session.stop()).toEqual({ serverConfirmed: true });
    const final = await done;
    expect(final.incomplete).toEqual({ reason: 'cancelled', serverConfirmed: true });
    expect(final.message.finishReason).toBe('cancelled');
    expect(final.message.usage).toEqual({ inputTokens: 12, outputTokens: 5, estimated: true });
    expect(final.message.text).toBe('Partial answer');
  });

  test.each<[how: string, cancel: () => Promise<CancelOutcome>, message: string]>([
    [
      'rejects',
      async () => {
        throw new Error('cancel endpoint down');
      },
      'cancel endpoint down',
    ],
    [
      'throws synchronously',
      () => {
        throw new Error('sync throw');
      },
      'sync throw',
    ],
  ])('a cancel function that %s: the abort still happens, serverConfirmed false, error set', async (_how, cancel, message) => {
    const { handle } = openStream('Hello');
    server = await startHttpServer(handle);
    const onError = vi.fn();
    const session = createStreamSession({ api: `${server.url}/chat`, cancel, onError });
    const done = session.start();
    await vi.waitFor(() => expect(session.getSnapshot().message.text).toBe('Hello'), WAIT);
    expect(await session.stop()).toEqual({ serverConfirmed: false, error: message });
    const final = await done;
    expect(final.incomplete).toEqual({ reason: 'cancelled', serverConfirmed: false, error: message });
    expect(final.error?.message).toBe(message);
    expect(onError).toHaveBeenCalledTimes(1);
    expect(final.message.text).toBe('Hello');
    await expect(server.requests[0]!.closed).resolves.toEqual({ aborted: true });
  });

  test('a cancel endpoint that answers 403 rejects with a StreamHttpError; the abort still happens', async () => {
    const { handle } = openStream('Hello');
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return handle(request);
      request.res.writeHead(403, { 'content-type': 'application/json' });
      request.res.end('{"error":"wrong secret"}');
    });
    const session = createStreamSession({ api: `${server.url}/chat`, cancelApi: `${server.url}/cancel` });
    const done = session.start();
    await vi.waitFor(() => expect(session.getSnapshot().message.text).toBe('Hello'), WAIT);
    const result = await session.stop();
    expect(result.serverConfirmed).toBe(false);
    const final = await done;
    expect(final.error).toBeInstanceOf(StreamHttpError);
    expect((final.error as StreamHttpError).status).toBe(403);
    expect(final.incomplete?.error).toBe(final.error!.message);
    await expect(server.requests[0]!.closed).resolves.toEqual({ aborted: true });
    expect(indexOf(server.events, 'request POST /cancel')).toBeLessThan(indexOf(server.events, 'abort POST /chat'));
  });

  test('a cancel endpoint that hangs: abort after cancelTimeoutMs, serverConfirmed false', async () => {
    const { handle } = openStream('Hello');
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return handle(request);
      // the cancel endpoint never answers
    });
    const session = createStreamSession({ api: `${server.url}/chat`, cancelApi: `${server.url}/cancel`, cancelTimeoutMs: 200 });
    const done = session.start();
    await vi.waitFor(() => expect(session.getSnapshot().message.text).toBe('Hello'), WAIT);
    const result = await session.stop();
    expect(result.serverConfirmed).toBe(false);
    expect(result.error).toMatch(/cancelTimeoutMs/);
    const final = await done;
    expect(final.incomplete).toMatchObject({ reason: 'cancelled', serverConfirmed: false });
    expect(final.error).toBeInstanceOf(StreamAbortedError);
    expect((final.error as StreamAbortedError).reason).toBe('timeout');
    await expect(server.requests[0]!.closed).resolves.toEqual({ aborted: true });
    // No order assertion here: on a loaded machine the timeout may fire before the cancel request
    // even reached the server. That the cancel's signal is aborted is checked below and in
    // session.cancelRequest.test.ts.
  });

  test('an injected cancel that ignores its signal still cannot hold the stop past cancelTimeoutMs', async () => {
    const { handle } = openStream('Hello');
    server = await startHttpServer(handle);
    let signal: AbortSignal | null = null;
    const session = createStreamSession({
      api: `${server.url}/chat`,
      cancel: (request) => {
        signal = request.signal;
        return new Promise<CancelOutcome>(() => {});
      },
      cancelTimeoutMs: 200,
    });
    const done = session.start();
    await vi.waitFor(() => expect(session.getSnapshot().message.text).toBe('Hello'), WAIT);
    expect((await session.stop()).serverConfirmed).toBe(false);
    expect((await done).status).toBe('incomplete');
    await expect(server.requests[0]!.closed).resolves.toEqual({ aborted: true });
    // The cancel outlives the local abort by one more cancelTimeoutMs (a browser may have queued it
    // behind other streams to the same HTTP/1.1 origin), then its signal is aborted.
    expect(signal!.aborted).toBe(false);
    await vi.waitFor(() => expect(signal!.aborted).toBe(true), WAIT);
  });

  test('a cancel queued behind the stream (as behind six HTTP/1.1 streams) still reaches the server after the local abort', async () => {
    const { handle } = openStream('Hello');
    let release!: () => void;
    const connectionFree = new Promise<void>((resolve) => (release = resolve));
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return handle(request);
      request.res.writeHead(200, { 'content-type': 'application/json' });
      request.res.end('{"status":"cancelled","usage":null,"usageEstimated":false}');
    });
    // The cancel can only leave once the stream's connection is closed, as in a browser whose six
    // connections to the origin are all taken by streams.
    const session = createStreamSession({
      api: `${server.url}/chat`,
      cancel: async ({ signal }) => {
        await connectionFree;
        const res = await fetch(`${server!.url}/cancel`, { method: 'POST', body: '{}', signal });
        return { confirmed: res.ok };
      },
      cancelTimeoutMs: 200,
    });
    const done = session.start();
    await vi.waitFor(() => expect(session.getSnapshot().message.text).toBe('Hello'), WAIT);
    const stopped = session.stop();
    await server.requests[0]!.closed.then(() => release());
    expect((await stopped).serverConfirmed).toBe(false);
    expect((await done).incomplete).toMatchObject({ reason: 'cancelled', serverConfirmed: false });
    await vi.waitFor(() => expect(server!.events).toContain('request POST /cancel'), WAIT);
    expect(server.events.indexOf('abort POST /chat')).toBeLessThan(server.events.indexOf('request POST /cancel'));
  });

  test('is idempotent: a double stop returns the same promise and sends one cancel request', async () => {
    const { handle } = openStream('Hello');
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return handle(request);
      request.res.writeHead(200, { 'content-type': 'application/json' });
      request.res.end('{"status":"cancelled","usage":null,"usageEstimated":false}');
    });
    const session = createStreamSession({ api: `${server.url}/chat`, cancelApi: `${server.url}/cancel` });
    const done = session.start();
    await vi.waitFor(() => expect(session.getSnapshot().message.text).toBe('Hello'), WAIT);
    const first = session.stop();
    const second = session.stop();
    expect(second).toBe(first);
    await first;
    await done;
    expect(await session.stop()).toEqual({ serverConfirmed: true }); // still the same promise
    expect(server.requests.filter((r) => r.url === '/cancel')).toHaveLength(1);
  });

  test('before the first byte (the server delays its headers): cancel with the client-chosen id, then abort', async () => {
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return; // never answers
      request.res.writeHead(200, { 'content-type': 'application/json' });
      request.res.end('{"status":"cancelled","usage":null,"usageEstimated":false}');
    });
    const session = createStreamSession({ api: `${server.url}/chat`, cancelApi: `${server.url}/cancel` });
    const done = session.start();
    await vi.waitFor(() => expect(server!.requests).toHaveLength(1), WAIT);
    expect(session.getSnapshot().status).toBe('connecting');
    const stopped = session.stop();
    expect(session.getSnapshot().status).toBe('stopping');
    expect(await stopped).toEqual({ serverConfirmed: true });
    const final = await done;
    expect(final.incomplete).toEqual({ reason: 'cancelled', serverConfirmed: true });
    expect(final.message.text).toBe('');
    const cancel = server.requests.find((r) => r.url === '/cancel')!;
    expect(JSON.parse(cancel.body).streamId).toBe(server.requests[0]!.headers['x-stream-id']);
    await expect(server.requests[0]!.closed).resolves.toEqual({ aborted: true });
    expect(indexOf(server.events, 'request POST /cancel')).toBeLessThan(indexOf(server.events, 'abort POST /chat'));
  });

  test('in the same task as start(): the cancel still names the stream', async () => {
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return;
      request.res.writeHead(200, { 'content-type': 'application/json' });
      request.res.end('{"status":"cancelled","usage":null,"usageEstimated":false}');
    });
    const session = createStreamSession({ api: `${server.url}/chat`, cancelApi: `${server.url}/cancel` });
    const done = session.start();
    expect(await session.stop()).toEqual({ serverConfirmed: true });
    expect((await done).incomplete).toEqual({ reason: 'cancelled', serverConfirmed: true });
    const cancel = server.requests.find((r) => r.url === '/cancel')!;
    expect(JSON.parse(cancel.body)).toEqual({ streamId: session.streamId });
  });

  test('a tool call stopped mid-arguments ends incomplete with its argument text and partial args', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, SSE);
      const chunk = (delta: unknown) =>
        `data: ${JSON.stringify({ id: 'chatcmpl-tool', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, logprobs: null, finish_reason: null }] })}\n\n`;
      res.write(chunk({ role: 'assistant', content: 'Searching.' }));
      res.write(chunk({ tool_calls: [{ index: 0, id: 'call_trains', type: 'function', function: { name: 'search_trains', arguments: '' } }] }));
      res.write(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"origin":"Lyon","dest' } }] }));
      res.write(chunk({ tool_calls: [{ index: 0, function: { arguments: 'ination":"Par' } }] }));
    });
    const session = createStreamSession({ api: `${server.url}/chat`, throttle: false });
    const done = session.start();
    await vi.waitFor(
      () => expect(session.getSnapshot().message.toolCalls[0]?.argsText).toBe('{"origin":"Lyon","destination":"Par'),
      WAIT,
    );
    const streaming = session.getSnapshot().message.toolCalls[0]!;
    expect(streaming.state).toBe('streaming');
    expect(streaming.args).toEqual({ origin: 'Lyon', destination: 'Par' });
    await session.stop();
    const final = await done;
    expect(final.protocol).toBe('openai-chat');
    expect(final.message.text).toBe('Searching.');
    expect(final.message.toolCalls).toEqual([
      {
        id: 'call_trains',
        name: 'search_trains',
        index: 0,
        argsText: '{"origin":"Lyon","destination":"Par',
        args: { origin: 'Lyon', destination: 'Par' },
        state: 'incomplete',
      },
    ]);
  });

  test('when the stream finishes by itself while the cancel is in flight and the server answers already-finished, the message is the whole answer, complete', async () => {
    let finish!: () => void;
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, SSE);
      res.write(part({ type: 'text-delta', id: '0', delta: 'Almost' }));
      finish = () => res.end(part({ type: 'text-delta', id: '0', delta: ' done.' }) + part({ type: 'finish', finishReason: 'stop' }) + 'data: [DONE]\n\n');
    });
    const session = createStreamSession({
      api: `${server.url}/chat`,
      cancel: async () => {
        finish();
        await server!.requests[0]!.closed;
        return { confirmed: false, alreadyFinished: true };
      },
    });
    const done = session.start();
    await vi.waitFor(() => expect(session.getSnapshot().message.text).toBe('Almost'), WAIT);
    expect(await session.stop()).toEqual({ serverConfirmed: false });
    const final = await done;
    expect(final.status).toBe('complete');
    expect(final.incomplete).toBeNull();
    expect(final.message.text).toBe('Almost done.');
  });

  test('once the model sent its finish event, stop sends nothing and the stream completes', async () => {
    server = await startHttpServer((request) => {
      if (request.url !== '/chat') {
        request.res.writeHead(500).end();
        return;
      }
      request.res.writeHead(200, SSE);
      // finish sent, the connection held open (the session ends it after a bound)
      request.res.write(part({ type: 'text-delta', id: '0', delta: 'Whole.' }) + part({ type: 'finish', finishReason: 'stop' }));
    });
    const session = createStreamSession({ api: `${server.url}/chat`, cancelApi: `${server.url}/cancel`, throttle: false });
    const done = session.start();
    await vi.waitFor(() => expect(session.getSnapshot().message.finishReason).toBe('stop'), WAIT);
    expect(await session.stop()).toEqual({ serverConfirmed: false });
    expect((await done).status).toBe('complete');
    expect(server.requests.filter((r) => r.url === '/cancel')).toHaveLength(0);
  });

  test('after completion and before start it is a no-op without any request', async () => {
    server = await startHttpServer((request) => {
      request.res.writeHead(200, SSE);
      request.res.end(part({ type: 'text-delta', id: '0', delta: 'Done' }) + part({ type: 'finish', finishReason: 'stop' }));
    });
    const session = createStreamSession({ api: `${server.url}/chat`, cancelApi: `${server.url}/cancel` });
    expect(await session.stop()).toEqual({ serverConfirmed: false });
    expect(session.getSnapshot().status).toBe('idle');
    expect(server.requests).toHaveLength(0);

    const final = await session.start();
    expect(final.status).toBe('complete');
    const before = session.getSnapshot();
    expect(await session.stop()).toEqual({ serverConfirmed: false });
    expect(session.getSnapshot()).toBe(before);
    expect(server.requests.map((r) => r.url)).toEqual(['/chat']);
  });
});

describe('disconnect()', () => {
  test('aborts without a cancel request and ends disconnected, text kept', async () => {
    const { handle } = openStream('Hello');
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return handle(request);
      request.res.writeHead(200, { 'content-type': 'application/json' });
      request.res.end('{"status":"cancelled","usage":null}');
    });
    const onError = vi.fn();
    const session = createStreamSession({ api: `${server.url}/chat`, cancelApi: `${server.url}/cancel`, onError });
    const done = session.start();
    await vi.waitFor(() => expect(session.getSnapshot().message.text).toBe('Hello'), WAIT);
    session.disconnect();
    // Synchronous: the terminal state is visible in the same task.
    expect(session.getSnapshot().status).toBe('incomplete');
    const final = await done;
    expect(final.incomplete).toEqual({ reason: 'disconnected' });
    expect(final.error).toBeNull();
    expect(onError).not.toHaveBeenCalled();
    expect(final.message.text).toBe('Hello');
    await expect(server.requests[0]!.closed).resolves.toEqual({ aborted: true });
    expect(server.requests.filter((r) => r.url === '/cancel')).toHaveLength(0);
    // stop after a disconnect is a no-op
    expect(await session.stop()).toEqual({ serverConfirmed: false });
    expect(server.requests).toHaveLength(1);
  });

  test('before the first byte aborts the pending request', async () => {
    server = await startHttpServer(() => {});
    const session = createStreamSession({ api: `${server.url}/chat` });
    const done = session.start();
    await vi.waitFor(() => expect(server!.requests).toHaveLength(1), WAIT);
    session.disconnect();
    expect((await done).incomplete).toEqual({ reason: 'disconnected' });
    await expect(server.requests[0]!.closed).resolves.toEqual({ aborted: true });
  });

  test('while stopping is a no-op: the cancel still reaches the server before the abort', async () => {
    const { handle } = openStream('Hello');
    let answer!: () => void;
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return handle(request);
      answer = () => {
        request.res.writeHead(200, { 'content-type': 'application/json' });
        request.res.end('{"status":"cancelled","usage":null}');
      };
    });
    const session = createStreamSession({ api: `${server.url}/chat`, cancelApi: `${server.url}/cancel`, drainMs: 0 });
    const done = session.start();
    await vi.waitFor(() => expect(session.getSnapshot().message.text).toBe('Hello'), WAIT);
    const stopped = session.stop();
    await vi.waitFor(() => expect(server!.requests).toHaveLength(2), WAIT);
    session.disconnect();
    expect(session.getSnapshot().status).toBe('stopping');
    answer();
    expect(await stopped).toEqual({ serverConfirmed: true });
    expect((await done).incomplete).toEqual({ reason: 'cancelled', serverConfirmed: true });
    await expect(server.requests[0]!.closed).resolves.toEqual({ aborted: true });
    expect(indexOf(server.events, 'request POST /cancel')).toBeLessThan(indexOf(server.events, 'abort POST /chat'));
  });

  test('before start is a no-op', () => {
    const session = createStreamSession({ api: 'http://127.0.0.1:9/never' });
    session.disconnect();
    expect(session.getSnapshot().status).toBe('idle');
  });
});
