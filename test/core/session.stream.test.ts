import { afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { createStreamSession } from '../../src/core/createStreamSession';
import { loadPartialJson } from '../../src/core/session/loadPartialJson';
import { StreamAbortedError, StreamHttpError, StreamModelError, StreamProtocolError } from '../../src/core/errors';
import { startHttpServer, type TestServer } from '../helpers/httpServer';
import { part, SSE_HEADERS as SSE } from '../helpers/sse';

// A stream session against a real node:http server on 127.0.0.1: the happy path and every way a
// stream can end by itself (or break). Stop and disconnect are in session.stop.test.ts.

const WAIT = { timeout: 10_000, interval: 5 };

// The partial JSON parser's chunk loaded, as on a page after its first tool call: these tests pin
// partial arguments as painted. Before it loads they are `null` (session.lazyPartialJson.test.ts).
beforeAll(() => loadPartialJson());


/** One OpenAI Chat Completions chunk as an SSE event (the fixtures' shape). */
const chatChunk = (delta: unknown, finishReason: string | null = null) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-session1',
    object: 'chat.completion.chunk',
    created: 1741950000,
    model: 'gpt-4.1-mini-2025-04-14',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    usage: null,
  })}\n\n`;

const chatUsage = (prompt: number, completion: number) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-session1',
    object: 'chat.completion.chunk',
    created: 1741950000,
    model: 'gpt-4.1-mini-2025-04-14',
    choices: [],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  })}\n\n`;


let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('a stream that ends by itself', () => {
  test('sends the client-chosen x-stream-id and x-stream-cancel-secret with the user headers and body', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, SSE);
      res.end(part({ type: 'start', messageId: 'msg-1' }) + part({ type: 'finish', finishReason: 'stop' }) + 'data: [DONE]\n\n');
    });
    const session = createStreamSession({
      api: `${server.url}/chat`,
      headers: { 'content-type': 'application/json', 'x-app': 'demo', 'x-stream-id': 'spoofed' },
      body: JSON.stringify({ prompt: 'hi' }),
      throttle: false,
    });
    await session.start();

    expect(server.requests).toHaveLength(1);
    const request = server.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/chat');
    expect(request.headers['x-stream-id']).toBe(session.streamId);
    expect(request.headers['x-stream-cancel-secret']).toBe(session.cancelSecret);
    expect(request.headers['x-app']).toBe('demo');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body).toBe('{"prompt":"hi"}');
    expect(session.streamId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(session.cancelSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  test('uses a given streamId, cancelSecret and method', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('ok');
    });
    const session = createStreamSession({
      api: new URL('/resume', server.url),
      method: 'GET',
      streamId: 'stream-42',
      cancelSecret: 'secret-42',
      throttle: false,
    });
    expect(session.getSnapshot().streamId).toBe('stream-42');
    await session.start();
    expect(server.requests[0]!.method).toBe('GET');
    expect(server.requests[0]!.headers['x-stream-id']).toBe('stream-42');
    expect(server.requests[0]!.headers['x-stream-cancel-secret']).toBe('secret-42');
  });

  test('an AI SDK stream completes with text, id, usage and protocol', async () => {
    server = await startHttpServer(async ({ res }) => {
      res.writeHead(200, SSE);
      res.write(part({ type: 'start', messageId: 'msg-ai-1' }) + part({ type: 'text-start', id: '0' }));
      for (const delta of ['Brew ', 'your café', ' slowly ☕']) res.write(part({ type: 'text-delta', id: '0', delta }));
      res.end(
        part({ type: 'text-end', id: '0' }) +
          part({ type: 'finish', finishReason: 'stop', messageMetadata: { usage: { inputTokens: 9, outputTokens: 6 } } }) +
          'data: [DONE]\n\n',
      );
    });
    const events: string[] = [];
    const session = createStreamSession({ api: `${server.url}/chat`, onEvent: (event) => events.push(event.type) });
    expect(session.getSnapshot().status).toBe('idle');
    const final = await session.start();

    expect(final.status).toBe('complete');
    expect(final.incomplete).toBeNull();
    expect(final.error).toBeNull();
    expect(final.message.text).toBe('Brew your café slowly ☕');
    expect(final.message.usage).toEqual({ inputTokens: 9, outputTokens: 6 });
    expect(final.message.finishReason).toBe('stop');
    expect(final.responseId).toBe('msg-ai-1');
    expect(final.protocol).toBe('ai-sdk');
    expect(session.getSnapshot()).toBe(final);
    expect(events).toEqual(['id', 'text-delta', 'text-delta', 'text-delta', 'usage', 'finish']);
    // The request ended normally (not aborted).
    await expect(server.requests[0]!.closed).resolves.toEqual({ aborted: false });
  });

  test('an OpenAI Chat stream reads the usage chunk that follows the finish chunk', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, SSE);
      res.write(chatChunk({ role: 'assistant', content: '' }) + chatChunk({ content: 'Hello' }));
      res.write(chatChunk({ content: ' there.' }) + chatChunk({}, 'stop'));
      res.end(chatUsage(11, 3) + 'data: [DONE]\n\n');
    });
    const final = await createStreamSession({ api: `${server.url}/chat`, throttle: false }).start();
    expect(final.status).toBe('complete');
    expect(final.protocol).toBe('openai-chat');
    expect(final.message.text).toBe('Hello there.');
    expect(final.message.usage).toEqual({ inputTokens: 11, outputTokens: 3 });
    expect(final.responseId).toBe('chatcmpl-session1');
  });

  test('a plain-text stream completes at a clean close', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.write('Plain ');
      res.end('text.');
    });
    const final = await createStreamSession({ api: `${server.url}/chat` }).start();
    expect(final.status).toBe('complete');
    expect(final.protocol).toBe('text');
    expect(final.message.text).toBe('Plain text.');
  });

  test('finish reasons: length and content-filter end incomplete with that reason, tool-calls completes', async () => {
    const finishes: Record<string, string> = { '/length': 'length', '/filter': 'content-filter', '/tools': 'tool-calls' };
    server = await startHttpServer(({ res, url }) => {
      res.writeHead(200, SSE);
      res.end(part({ type: 'text-delta', id: '0', delta: 'Partial' }) + part({ type: 'finish', finishReason: finishes[url] }) + 'data: [DONE]\n\n');
    });
    const length = await createStreamSession({ api: `${server.url}/length` }).start();
    expect(length.status).toBe('incomplete');
    expect(length.incomplete).toEqual({ reason: 'length' });
    expect(length.error).toBeNull();
    expect(length.message.text).toBe('Partial');

    const filtered = await createStreamSession({ api: `${server.url}/filter` }).start();
    expect(filtered.incomplete).toEqual({ reason: 'content-filter' });

    const tools = await createStreamSession({ api: `${server.url}/tools` }).start();
    expect(tools.status).toBe('complete');
  });

  test('a cancel the server reports in the stream (AI SDK abort part) ends cancelled and server-confirmed', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, SSE);
      res.end(part({ type: 'text-delta', id: '0', delta: 'Half an ans' }) + part({ type: 'abort', reason: 'cancelled elsewhere' }) + 'data: [DONE]\n\n');
    });
    const final = await createStreamSession({ api: `${server.url}/chat` }).start();
    expect(final.status).toBe('incomplete');
    expect(final.incomplete).toEqual({ reason: 'cancelled', serverConfirmed: true });
    expect(final.message.text).toBe('Half an ans');
  });

  test('an error reported in the stream ends incomplete with the message, after reading to the close', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, SSE);
      res.write(part({ type: 'text-delta', id: '0', delta: 'Before the error' }));
      res.write(part({ type: 'error', errorText: 'Rate limit reached' }));
      // The usage after the error is still read (the stream is read until it closes).
      res.end(part({ type: 'message-metadata', messageMetadata: { usage: { inputTokens: 4, outputTokens: 2 } } }) + 'data: [DONE]\n\n');
    });
    const onError = vi.fn();
    const final = await createStreamSession({ api: `${server.url}/chat`, onError }).start();
    expect(final.status).toBe('incomplete');
    expect(final.incomplete).toEqual({ reason: 'error', error: 'Rate limit reached' });
    expect(final.error).toBeInstanceOf(StreamModelError);
    expect(final.error!.message).toBe('Rate limit reached');
    expect(final.message.text).toBe('Before the error');
    expect(final.message.usage).toEqual({ inputTokens: 4, outputTokens: 2 });
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError).toHaveBeenCalledWith(final.error);
  });

  test('a server that keeps the connection open after the finish event does not leave the session streaming', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, SSE);
      res.write(part({ type: 'text-delta', id: '0', delta: 'Done.' }) + part({ type: 'finish', finishReason: 'stop' }));
      // ...and never ends the response.
    });
    const final = await createStreamSession({ api: `${server.url}/chat` }).start();
    expect(final.status).toBe('complete');
    expect(final.message.text).toBe('Done.');
    await expect(server.requests[0]!.closed).resolves.toEqual({ aborted: true });
  });

  test('a clean close without a finish event (not plain text) ends disconnected, text kept', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, SSE);
      res.end(part({ type: 'start', messageId: 'msg-cut' }) + part({ type: 'text-delta', id: '0', delta: 'Cut sh' }));
    });
    const final = await createStreamSession({ api: `${server.url}/chat` }).start();
    expect(final.status).toBe('incomplete');
    expect(final.incomplete?.reason).toBe('disconnected');
    expect(final.error).toBeInstanceOf(StreamAbortedError);
    expect((final.error as StreamAbortedError).reason).toBe('disconnected');
    expect(final.message.text).toBe('Cut sh');
  });

  test('onFinish is called once with the final snapshot; callbacks that throw do not break the session', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, SSE);
      res.end(part({ type: 'text-delta', id: '0', delta: 'Hi' }) + part({ type: 'finish', finishReason: 'stop' }));
    });
    const reported = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const onFinish = vi.fn(() => {
        throw new Error('onFinish bug');
      });
      const session = createStreamSession({
        api: `${server.url}/chat`,
        onEvent: () => {
          throw new Error('onEvent bug');
        },
        onFinish,
      });
      session.subscribe(() => {
        throw new Error('listener bug');
      });
      const final = await session.start();
      expect(final.status).toBe('complete');
      expect(final.message.text).toBe('Hi');
      expect(onFinish).toHaveBeenCalledTimes(1);
      expect(onFinish).toHaveBeenCalledWith(final);
      const messages = reported.mock.calls.map((args) => (args[0] as Error).message);
      expect(messages).toContain('onFinish bug');
      expect(messages).toContain('onEvent bug');
      expect(messages).toContain('listener bug');
    } finally {
      reported.mockRestore();
    }
  });

  test('start() twice returns the same promise and sends one request', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('once');
    });
    const session = createStreamSession({ api: `${server.url}/chat` });
    const first = session.start();
    expect(session.start()).toBe(first);
    await first;
    expect(server.requests).toHaveLength(1);
  });
});

describe('faults', () => {
  test('a 500 with a JSON body ends with a StreamHttpError carrying status and body', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"upstream exploded"}}');
    });
    const onError = vi.fn();
    const onFinish = vi.fn();
    const final = await createStreamSession({ api: `${server.url}/chat`, onError, onFinish }).start();
    expect(final.status).toBe('incomplete');
    expect(final.incomplete?.reason).toBe('error');
    expect(final.error).toBeInstanceOf(StreamHttpError);
    const error = final.error as StreamHttpError;
    expect(error.status).toBe(500);
    expect(error.statusText).toBe('Internal Server Error');
    expect(error.body).toBe('{"error":{"message":"upstream exploded"}}');
    expect(final.incomplete?.error).toBe(error.message);
    expect(final.message.text).toBe('');
    expect(onError).toHaveBeenCalledWith(error);
    expect(onFinish).toHaveBeenCalledTimes(1);
  });

  test('a 404 with a text body ends with a StreamHttpError', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('No route /nope');
    });
    const final = await createStreamSession({ api: `${server.url}/nope` }).start();
    expect(final.error).toBeInstanceOf(StreamHttpError);
    expect((final.error as StreamHttpError).status).toBe(404);
    expect((final.error as StreamHttpError).body).toBe('No route /nope');
  });

  test('a huge error body is read only up to 64 KB', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('x'.repeat(1024 * 1024));
    });
    const final = await createStreamSession({ api: `${server.url}/chat` }).start();
    expect((final.error as StreamHttpError).status).toBe(502);
    expect((final.error as StreamHttpError).body).toHaveLength(64 * 1024);
  });

  test('a malformed event ends with a StreamProtocolError that has the line; text before it is kept; the connection is closed', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, SSE);
      res.write(part({ type: 'text-delta', id: '0', delta: 'Good so far' }));
      res.write('data: {"type":"text-delta","id":"0","delta":\n\n');
      // ...and keeps the connection open: the session must close it.
    });
    const final = await createStreamSession({ api: `${server.url}/chat`, protocol: 'ai-sdk' }).start();
    expect(final.status).toBe('incomplete');
    expect(final.incomplete?.reason).toBe('error');
    expect(final.error).toBeInstanceOf(StreamProtocolError);
    expect((final.error as StreamProtocolError).type).toBe('malformed-event');
    expect((final.error as StreamProtocolError).line).toBe('{"type":"text-delta","id":"0","delta":');
    expect(final.message.text).toBe('Good so far');
    await expect(server.requests[0]!.closed).resolves.toEqual({ aborted: true });
  });

  test('a connection destroyed mid-stream ends disconnected with the network error as cause; text and tool calls kept and marked', async () => {
    let destroy!: () => void;
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, SSE);
      res.write(part({ type: 'start', messageId: 'msg-drop' }) + part({ type: 'text-delta', id: '0', delta: 'Kept text' }));
      res.write(part({ type: 'tool-input-start', toolCallId: 'call-1', toolName: 'search' }));
      res.write(part({ type: 'tool-input-delta', toolCallId: 'call-1', inputTextDelta: '{"q":"caf' }));
      destroy = () => res.socket!.destroy();
    });
    const session = createStreamSession({ api: `${server.url}/chat`, throttle: false });
    const done = session.start();
    await vi.waitFor(() => expect(session.getSnapshot().message.toolCalls[0]?.argsText).toBe('{"q":"caf'), WAIT);
    expect(session.getSnapshot().message.toolCalls[0]!.state).toBe('streaming');
    destroy();
    const final = await done;
    expect(final.status).toBe('incomplete');
    expect(final.incomplete?.reason).toBe('disconnected');
    expect(final.error).toBeInstanceOf(StreamAbortedError);
    expect((final.error as StreamAbortedError).reason).toBe('disconnected');
    expect(final.error!.cause).toBeDefined();
    expect(final.message.text).toBe('Kept text');
    expect(final.message.toolCalls[0]).toMatchObject({ id: 'call-1', state: 'incomplete', argsText: '{"q":"caf', args: { q: 'caf' } });
  });

  test('a server that is not there ends with the fetch error', async () => {
    const gone = await startHttpServer(() => {});
    const url = gone.url;
    await gone.close();
    const onError = vi.fn();
    const final = await createStreamSession({ api: `${url}/chat`, onError }).start();
    expect(final.status).toBe('incomplete');
    expect(final.incomplete?.reason).toBe('error');
    expect(final.error).toBeInstanceOf(Error);
    expect(onError).toHaveBeenCalledTimes(1);
  });

  test('first-byte timeout: no answer at all aborts the request', async () => {
    server = await startHttpServer(() => {
      // never answers
    });
    const final = await createStreamSession({ api: `${server.url}/chat`, firstByteTimeoutMs: 200 }).start();
    expect(final.status).toBe('incomplete');
    expect(final.incomplete?.reason).toBe('error');
    expect(final.error).toBeInstanceOf(StreamAbortedError);
    expect((final.error as StreamAbortedError).reason).toBe('timeout');
    await expect(server.requests[0]!.closed).resolves.toEqual({ aborted: true });
  });

  test('first-byte timeout: headers without a body byte count as no answer', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, SSE);
      res.flushHeaders();
    });
    const session = createStreamSession({ api: `${server.url}/chat`, firstByteTimeoutMs: 200 });
    const final = await session.start();
    expect((final.error as StreamAbortedError).reason).toBe('timeout');
    await expect(server.requests[0]!.closed).resolves.toEqual({ aborted: true });
  });

  test('idle timeout: a stream that goes silent is aborted, text kept', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, SSE);
      res.write(part({ type: 'text-delta', id: '0', delta: 'Then silence' }));
    });
    const final = await createStreamSession({ api: `${server.url}/chat`, idleTimeoutMs: 200 }).start();
    expect(final.incomplete?.reason).toBe('error');
    expect((final.error as StreamAbortedError).reason).toBe('timeout');
    expect(final.message.text).toBe('Then silence');
    await expect(server.requests[0]!.closed).resolves.toEqual({ aborted: true });
  });
});
