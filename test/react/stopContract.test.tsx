// @vitest-environment jsdom
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { StopButton, useModelStream, type UseModelStreamOptions, type UseModelStreamResult } from '../../src/index';
import { createMessageStore } from '../../src/store/index';
import { startHttpServer, type RecordedRequest, type TestServer } from '../helpers/httpServer';
import { failOnConsole, indexOfEvent, part, SSE_HEADERS, WAIT } from './setup';

// The stop contract of DESIGN.md, driven through the React layer (hook + StopButton + TanStack
// cancel mutation) against a real node:http server. Order is read from the server's own event
// log ('request POST /cancel' before 'abort POST /chat'), never from wall-clock time.

failOnConsole();

let server: TestServer | null = null;
afterEach(async () => {
  cleanup();
  await server?.close();
  server = null;
});

/** Renders a chat bound to `options`; returns a handle on the latest hook result. */
function renderChat(options: UseModelStreamOptions) {
  const handle = { current: null as unknown as UseModelStreamResult };
  function Chat() {
    const chat = useModelStream(options);
    handle.current = chat;
    return (
      <div>
        <p data-testid="text">{chat.text}</p>
        <StopButton stream={chat} />
      </div>
    );
  }
  render(<Chat />);
  return handle;
}

/** The stream handler: a start, `text`, then the connection stays open. */
function openStream(request: RecordedRequest, text: string) {
  request.res.writeHead(200, SSE_HEADERS);
  request.res.write(part({ type: 'start', messageId: 'msg-1' }) + part({ type: 'text-delta', id: '0', delta: text }));
}

function answerJson(request: RecordedRequest, status: number, body: unknown) {
  request.res.writeHead(status, { 'content-type': 'application/json' });
  request.res.end(JSON.stringify(body));
}

const cancelRequests = (s: TestServer) => s.requests.filter((r) => r.url === '/cancel');

describe('stop contract through useModelStream and StopButton', () => {
  it('sends the cancel (stream id and secret) to the server before the local abort, and marks the message cancelled', async () => {
    let streamOpenWhenCancelArrived: boolean | null = null;
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return openStream(request, 'Hello');
      streamOpenWhenCancelArrived = !server!.events.includes('abort POST /chat');
      answerJson(request, 200, { status: 'cancelled', usage: null });
    });
    const user = userEvent.setup();
    const chat = renderChat({ api: `${server.url}/chat`, cancelApi: `${server.url}/cancel`, throttle: false });

    let done!: Promise<unknown>;
    act(() => {
      done = chat.current.start('Hi');
    });
    await waitFor(() => expect(screen.getByTestId('text').textContent).toBe('Hello'), WAIT);

    await user.click(screen.getByRole('button', { name: 'Stop generating' }));
    await act(async () => {
      await done;
    });

    expect(chat.current.status).toBe('incomplete');
    expect(chat.current.message).toMatchObject({ status: 'incomplete', text: 'Hello', incomplete: { reason: 'cancelled', serverConfirmed: true } });
    expect(chat.current.error).toBeNull();

    const stream = server.requests.find((r) => r.url === '/chat')!;
    const [cancel, ...more] = cancelRequests(server);
    expect(more).toEqual([]);
    expect(cancel!.method).toBe('POST');
    expect(JSON.parse(cancel!.body)).toEqual({ streamId: chat.current.streamId });
    expect(cancel!.headers['x-stream-cancel-secret']).toBe(stream.headers['x-stream-cancel-secret']);
    expect(stream.headers['x-stream-id']).toBe(chat.current.streamId);

    await act(async () => {
      await expect(stream.closed).resolves.toEqual({ aborted: true });
    });
    expect(streamOpenWhenCancelArrived).toBe(true);
    expect(indexOfEvent(server.events, 'request POST /cancel')).toBeLessThan(indexOfEvent(server.events, 'abort POST /chat'));
  });

  // A 5xx is retried once (two cancel requests), a 4xx is not; either way the stop ends locally.
  it.each<[status: number, retry: string, body: unknown, cancels: number]>([
    [500, 'after one retry', { error: 'boom' }, 2],
    [404, 'no retry', { error: 'unknown stream' }, 1],
  ])('still aborts locally when the cancel endpoint answers %i (%s)', async (status, _retry, body, cancels) => {
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return openStream(request, 'Hello');
      answerJson(request, status, body);
    });
    const user = userEvent.setup();
    const chat = renderChat({ api: `${server.url}/chat`, cancelApi: `${server.url}/cancel`, throttle: false });
    let done!: Promise<unknown>;
    act(() => {
      done = chat.current.start('Hi');
    });
    await waitFor(() => expect(chat.current.text).toBe('Hello'), WAIT);

    await user.click(screen.getByRole('button', { name: 'Stop generating' }));
    await act(async () => {
      await done;
      await server!.requests[0]!.closed;
    });

    expect(chat.current.message?.status).toBe('incomplete');
    expect(chat.current.message?.incomplete).toMatchObject({ reason: 'cancelled', serverConfirmed: false });
    expect(chat.current.message?.incomplete?.error).toContain(String(status));
    expect(chat.current.message?.text).toBe('Hello');
    expect(cancelRequests(server)).toHaveLength(cancels);
    // Every cancel request (the retry too) reached the server before the stream's abort.
    const abort = indexOfEvent(server.events, 'abort POST /chat');
    expect(indexOfEvent(server.events, 'request POST /cancel')).toBeLessThan(abort);
    expect(server.events.lastIndexOf('request POST /cancel')).toBeLessThan(abort);
  });

  it('still aborts locally when the cancel endpoint hangs past cancelTimeoutMs (and the cancel request is aborted too)', async () => {
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return openStream(request, 'Hello');
      // never answers
    });
    const user = userEvent.setup();
    const chat = renderChat({ api: `${server.url}/chat`, cancelApi: `${server.url}/cancel`, cancelTimeoutMs: 300, throttle: false });
    let done!: Promise<unknown>;
    act(() => {
      done = chat.current.start('Hi');
    });
    await waitFor(() => expect(chat.current.text).toBe('Hello'), WAIT);

    await user.click(screen.getByRole('button', { name: 'Stop generating' }));
    expect(screen.getByRole('button', { name: 'Stop generating' }).getAttribute('data-state')).toBe('stopping');
    await act(async () => {
      await done;
    });

    expect(chat.current.message?.incomplete).toMatchObject({ reason: 'cancelled', serverConfirmed: false });
    expect(chat.current.message?.incomplete?.error).toMatch(/did not answer within 300 ms/);
    expect(chat.current.error).not.toBeNull();
    await act(async () => {
      await expect(server!.requests[0]!.closed).resolves.toEqual({ aborted: true });
      await expect(cancelRequests(server!)[0]!.closed).resolves.toEqual({ aborted: true });
    });
    // A timed-out cancel is not retried.
    expect(cancelRequests(server)).toHaveLength(1);
    expect(indexOfEvent(server.events, 'request POST /cancel')).toBeLessThan(indexOfEvent(server.events, 'abort POST /chat'));
  });

  it('appends no text after the click: deltas that arrive while the cancel runs are read and dropped', async () => {
    let stream!: RecordedRequest;
    server = await startHttpServer(async (request) => {
      if (request.url === '/chat') {
        stream = request;
        return openStream(request, 'Seen');
      }
      // While the cancel is in flight, the model keeps talking, then the server ends the stream the
      // way its helper does (abort part, [DONE]). The client reads all of it (it drains until the
      // stream closes), so the late delta really reached the client before it was dropped.
      await new Promise<void>((resolve) => stream.res.write(part({ type: 'text-delta', id: '0', delta: ' NOT SEEN' }), () => resolve()));
      stream.res.end(part({ type: 'abort', reason: 'user pressed stop' }) + 'data: [DONE]\n\n');
      answerJson(request, 200, { status: 'cancelled', usage: null });
    });
    const user = userEvent.setup();
    const chat = renderChat({ api: `${server.url}/chat`, cancelApi: `${server.url}/cancel`, drainMs: 5000, throttle: false });
    let done!: Promise<unknown>;
    act(() => {
      done = chat.current.start('Hi');
    });
    await waitFor(() => expect(screen.getByTestId('text').textContent).toBe('Seen'), WAIT);

    await user.click(screen.getByRole('button', { name: 'Stop generating' }));
    await act(async () => {
      await done;
    });

    // The stream ended by itself (the client read it to the end), it was not aborted.
    expect(server.events).toContain('end POST /chat');
    expect(screen.getByTestId('text').textContent).toBe('Seen');
    expect(chat.current.text).toBe('Seen');
    expect(chat.current.message).toMatchObject({
      text: 'Seen',
      status: 'incomplete',
      finishReason: 'cancelled',
      incomplete: { reason: 'cancelled', serverConfirmed: true },
    });
  });

  it('a double click (and a third click while stopping) sends one cancel', async () => {
    let holdCancel: RecordedRequest | null = null;
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return openStream(request, 'Hello');
      holdCancel = request;
    });
    const user = userEvent.setup();
    const chat = renderChat({ api: `${server.url}/chat`, cancelApi: `${server.url}/cancel`, throttle: false });
    let done!: Promise<unknown>;
    act(() => {
      done = chat.current.start('Hi');
    });
    await waitFor(() => expect(chat.current.text).toBe('Hello'), WAIT);

    const button = screen.getByRole('button', { name: 'Stop generating' });
    await user.dblClick(button);
    await waitFor(() => expect(holdCancel).not.toBeNull(), WAIT);
    expect(button.getAttribute('data-state')).toBe('stopping');
    await user.click(button);
    await act(async () => {
      answerJson(holdCancel!, 200, { status: 'cancelled', usage: null });
      await done;
    });

    expect(cancelRequests(server)).toHaveLength(1);
    expect(chat.current.message?.incomplete).toEqual({ reason: 'cancelled', serverConfirmed: true });
    // stop() after the end sends nothing either: it answers with the outcome of the stop that ran.
    await act(async () => {
      await expect(chat.current.stop()).resolves.toEqual({ serverConfirmed: true });
    });
    expect(cancelRequests(server)).toHaveLength(1);
  });

  it('stops before the first byte: the cancel names the stream the server has not answered yet', async () => {
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return; // no headers, no byte
      answerJson(request, 200, { status: 'cancelled', usage: null });
    });
    const user = userEvent.setup();
    const chat = renderChat({ api: `${server.url}/chat`, cancelApi: `${server.url}/cancel`, throttle: false });
    let done!: Promise<unknown>;
    act(() => {
      done = chat.current.start('Hi');
    });
    await waitFor(() => expect(server!.requests).toHaveLength(1), WAIT);
    expect(chat.current.status).toBe('connecting');
    const button = screen.getByRole('button', { name: 'Stop generating' });
    expect(button.getAttribute('data-state')).toBe('streaming');

    await user.click(button);
    await act(async () => {
      await done;
      await server!.requests[0]!.closed;
    });

    expect(chat.current.message).toMatchObject({ text: '', status: 'incomplete', incomplete: { reason: 'cancelled', serverConfirmed: true } });
    expect(JSON.parse(cancelRequests(server)[0]!.body)).toEqual({ streamId: server.requests[0]!.headers['x-stream-id'] });
    expect(indexOfEvent(server.events, 'request POST /cancel')).toBeLessThan(indexOfEvent(server.events, 'abort POST /chat'));
  });

  it('after completion: the button is idle and disabled, stop() is a no-op and sends nothing', async () => {
    server = await startHttpServer((request) => {
      if (request.url === '/chat') {
        request.res.writeHead(200, SSE_HEADERS);
        request.res.end(
          part({ type: 'start', messageId: 'm' }) + part({ type: 'text-delta', id: '0', delta: 'Done.' }) + part({ type: 'finish', finishReason: 'stop' }) + 'data: [DONE]\n\n',
        );
        return;
      }
      answerJson(request, 200, { status: 'already-finished' });
    });
    const user = userEvent.setup();
    const chat = renderChat({ api: `${server.url}/chat`, cancelApi: `${server.url}/cancel`, throttle: false });
    await act(async () => {
      await chat.current.start('Hi');
    });
    expect(chat.current.status).toBe('complete');

    const button = screen.getByRole('button', { name: 'Stop generating' });
    expect(button).toHaveProperty('disabled', true);
    expect(button.getAttribute('data-state')).toBe('idle');
    await user.click(button);
    await act(async () => {
      await expect(chat.current.stop()).resolves.toEqual({ serverConfirmed: false });
    });
    expect(cancelRequests(server)).toEqual([]);
    expect(chat.current.message).toMatchObject({ status: 'complete', text: 'Done.', finishReason: 'stop' });
    expect(chat.current.message?.incomplete).toBeUndefined();
  });

  it('before start: stop() is a no-op and sends nothing', async () => {
    server = await startHttpServer((request) => answerJson(request, 200, { status: 'cancelled', usage: null }));
    const chat = renderChat({ api: `${server.url}/chat`, cancelApi: `${server.url}/cancel` });
    await act(async () => {
      await expect(chat.current.stop()).resolves.toEqual({ serverConfirmed: false });
    });
    expect(server.requests).toEqual([]);
    expect(chat.current.status).toBe('idle');
    expect(chat.current.message).toBeNull();
  });

  it('serverConfirmed: false when the server says the stream had already finished', async () => {
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return openStream(request, 'Hello');
      answerJson(request, 200, { status: 'already-finished' });
    });
    const user = userEvent.setup();
    const chat = renderChat({ api: `${server.url}/chat`, cancelApi: `${server.url}/cancel`, throttle: false });
    let done!: Promise<unknown>;
    act(() => {
      done = chat.current.start('Hi');
    });
    await waitFor(() => expect(chat.current.text).toBe('Hello'), WAIT);
    await user.click(screen.getByRole('button', { name: 'Stop generating' }));
    await act(async () => {
      await done;
    });
    expect(chat.current.message?.incomplete).toEqual({ reason: 'cancelled', serverConfirmed: false });
    expect(chat.current.error).toBeNull();
    expect(cancelRequests(server)).toHaveLength(1);
  });

  it('serverConfirmed: false without a cancel endpoint: stop aborts locally at once', async () => {
    server = await startHttpServer((request) => openStream(request, 'Hello'));
    const user = userEvent.setup();
    const chat = renderChat({ api: `${server.url}/chat`, throttle: false });
    let done!: Promise<unknown>;
    act(() => {
      done = chat.current.start('Hi');
    });
    await waitFor(() => expect(chat.current.text).toBe('Hello'), WAIT);
    await user.click(screen.getByRole('button', { name: 'Stop generating' }));
    await act(async () => {
      await done;
      await expect(server!.requests[0]!.closed).resolves.toEqual({ aborted: true });
    });
    expect(chat.current.message).toMatchObject({ text: 'Hello', incomplete: { reason: 'cancelled', serverConfirmed: false } });
    expect(server.events).toEqual(['request POST /chat', 'abort POST /chat']);
  });
});

describe('a tool call stopped mid-arguments', () => {
  it("ends state 'incomplete' with its argsText and last partial args; a finished one stays complete", async () => {
    server = await startHttpServer((request) => {
      if (request.url === '/cancel') return answerJson(request, 200, { status: 'cancelled', usage: null });
      request.res.writeHead(200, SSE_HEADERS);
      request.res.write(
        part({ type: 'start', messageId: 'msg-tools' }) +
          part({ type: 'text-delta', id: '0', delta: 'Checking.' }) +
          part({ type: 'tool-input-start', toolCallId: 'call_done', toolName: 'get_time' }) +
          part({ type: 'tool-input-delta', toolCallId: 'call_done', inputTextDelta: '{"tz":"Europe/Paris"}' }) +
          part({ type: 'tool-input-available', toolCallId: 'call_done', toolName: 'get_time', input: { tz: 'Europe/Paris' } }) +
          part({ type: 'tool-input-start', toolCallId: 'call_cut', toolName: 'get_weather' }) +
          part({ type: 'tool-input-delta', toolCallId: 'call_cut', inputTextDelta: '{"city":"Paris","days":3,"tags":["a' }),
      );
    });
    const store = createMessageStore();
    const user = userEvent.setup();
    const chat = renderChat({ api: `${server.url}/chat`, cancelApi: `${server.url}/cancel`, store, throttle: false });
    let done!: Promise<unknown>;
    act(() => {
      done = chat.current.start('Weather?');
    });
    await waitFor(() => expect(chat.current.toolCalls.map((c) => c.argsText)).toEqual(['{"tz":"Europe/Paris"}', '{"city":"Paris","days":3,"tags":["a']), WAIT);
    expect(chat.current.toolCalls.map((c) => c.state)).toEqual(['complete', 'streaming']);

    await user.click(screen.getByRole('button', { name: 'Stop generating' }));
    await act(async () => {
      await done;
    });

    const expected = [
      { id: 'call_done', name: 'get_time', index: 0, argsText: '{"tz":"Europe/Paris"}', args: { tz: 'Europe/Paris' }, state: 'complete' },
      { id: 'call_cut', name: 'get_weather', index: 1, argsText: '{"city":"Paris","days":3,"tags":["a', args: { city: 'Paris', days: 3, tags: ['a'] }, state: 'incomplete' },
    ];
    expect(chat.current.toolCalls).toEqual(expected);
    const stored = store.getState().messages[chat.current.message!.id]!;
    expect(stored.toolCalls).toEqual(expected);
    expect(stored).toMatchObject({ status: 'incomplete', text: 'Checking.', incomplete: { reason: 'cancelled', serverConfirmed: true } });
  });
});

describe('usage of a stopped turn', () => {
  it("records the server's final usage from the cancel answer (flagged estimated), replacing what the stream said", async () => {
    server = await startHttpServer((request) => {
      if (request.url === '/cancel') {
        return answerJson(request, 200, { status: 'cancelled', usage: { inputTokens: 12, outputTokens: 30 }, usageEstimated: true });
      }
      request.res.writeHead(200, SSE_HEADERS);
      request.res.write(
        part({ type: 'start', messageId: 'm' }) +
          part({ type: 'text-delta', id: '0', delta: 'Hello' }) +
          part({ type: 'message-metadata', messageMetadata: { usage: { inputTokens: 12, outputTokens: 2 } } }),
      );
    });
    const user = userEvent.setup();
    const chat = renderChat({ api: `${server.url}/chat`, cancelApi: `${server.url}/cancel`, throttle: false });
    let done!: Promise<unknown>;
    act(() => {
      done = chat.current.start('Hi');
    });
    await waitFor(() => expect(chat.current.usage).toEqual({ inputTokens: 12, outputTokens: 2 }), WAIT);
    await user.click(screen.getByRole('button', { name: 'Stop generating' }));
    await act(async () => {
      await done;
    });
    expect(chat.current.usage).toEqual({ inputTokens: 12, outputTokens: 30, estimated: true });
    expect(chat.current.message?.usage).toEqual({ inputTokens: 12, outputTokens: 30, estimated: true });
  });

  it("records the server's final usage from a stream-cancelled event that arrives during the drain (OpenAI chat stream)", async () => {
    let stream!: RecordedRequest;
    const chunk = (delta: Record<string, unknown>) =>
      `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4.1-mini', choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
    server = await startHttpServer((request) => {
      if (request.url === '/chat') {
        stream = request;
        request.res.writeHead(200, SSE_HEADERS);
        request.res.write(chunk({ role: 'assistant', content: '' }) + chunk({ content: 'Bonjour' }));
        return;
      }
      stream.res.end(`event: stream-cancelled\ndata: ${JSON.stringify({ usage: { inputTokens: 8, outputTokens: 3 }, usageEstimated: true })}\n\n`);
      answerJson(request, 200, { status: 'cancelled', usage: null });
    });
    const user = userEvent.setup();
    const chat = renderChat({ api: `${server.url}/chat`, cancelApi: `${server.url}/cancel`, drainMs: 5000, throttle: false });
    let done!: Promise<unknown>;
    act(() => {
      done = chat.current.start('Hi');
    });
    await waitFor(() => expect(chat.current.text).toBe('Bonjour'), WAIT);
    expect(chat.current.usage).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Stop generating' }));
    await act(async () => {
      await done;
    });
    expect(chat.current.usage).toEqual({ inputTokens: 8, outputTokens: 3, estimated: true });
    expect(chat.current.message).toMatchObject({ text: 'Bonjour', finishReason: 'cancelled', incomplete: { reason: 'cancelled', serverConfirmed: true } });
  });

  it('keeps the last known usage when the cancel answer has none', async () => {
    server = await startHttpServer((request) => {
      if (request.url === '/cancel') return answerJson(request, 200, { status: 'cancelled', usage: null });
      request.res.writeHead(200, SSE_HEADERS);
      request.res.write(
        part({ type: 'start', messageId: 'm' }) +
          part({ type: 'text-delta', id: '0', delta: 'Hello' }) +
          part({ type: 'message-metadata', messageMetadata: { usage: { inputTokens: 12, outputTokens: 2 } } }),
      );
    });
    const store = createMessageStore();
    const user = userEvent.setup();
    const chat = renderChat({ api: `${server.url}/chat`, cancelApi: `${server.url}/cancel`, store, throttle: false });
    let done!: Promise<unknown>;
    act(() => {
      done = chat.current.start('Hi');
    });
    await waitFor(() => expect(chat.current.usage).toEqual({ inputTokens: 12, outputTokens: 2 }), WAIT);
    await user.click(screen.getByRole('button', { name: 'Stop generating' }));
    await act(async () => {
      await done;
    });
    expect(chat.current.usage).toEqual({ inputTokens: 12, outputTokens: 2 });
    expect(store.getState().messages[chat.current.message!.id]!.usage).toEqual({ inputTokens: 12, outputTokens: 2 });
  });

  it('keeps the last known usage when the cancel fails', async () => {
    server = await startHttpServer((request) => {
      if (request.url === '/cancel') return answerJson(request, 403, { error: 'wrong secret' });
      request.res.writeHead(200, SSE_HEADERS);
      request.res.write(
        part({ type: 'start', messageId: 'm' }) +
          part({ type: 'text-delta', id: '0', delta: 'Hello' }) +
          part({ type: 'message-metadata', messageMetadata: { usage: { inputTokens: 12, outputTokens: 2 } } }),
      );
    });
    const user = userEvent.setup();
    const chat = renderChat({ api: `${server.url}/chat`, cancelApi: `${server.url}/cancel`, throttle: false });
    let done!: Promise<unknown>;
    act(() => {
      done = chat.current.start('Hi');
    });
    await waitFor(() => expect(chat.current.usage).toEqual({ inputTokens: 12, outputTokens: 2 }), WAIT);
    await user.click(screen.getByRole('button', { name: 'Stop generating' }));
    await act(async () => {
      await done;
    });
    expect(chat.current.usage).toEqual({ inputTokens: 12, outputTokens: 2 });
    expect(chat.current.message?.incomplete).toMatchObject({ reason: 'cancelled', serverConfirmed: false });
  });
});
