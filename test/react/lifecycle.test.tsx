// @vitest-environment jsdom
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { StrictMode, useEffect, useRef } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StopButton, useConversationMessages, useModelStream, type UseModelStreamOptions, type UseModelStreamResult } from '../../src/index';
import { createMessageStore, type Message, type MessageStore } from '../../src/store/index';
import { startHttpServer, type RecordedRequest, type TestServer } from '../helpers/httpServer';
import { failOnConsole, indexOfEvent, part, SSE_HEADERS, WAIT } from './setup';

// Lifetimes: a reload mid-stream (persistence repair), StrictMode's double mount, and unmounting
// while a stream runs or stops.

failOnConsole();

let server: TestServer | null = null;
afterEach(async () => {
  cleanup();
  await server?.close();
  server = null;
  localStorage.clear();
});

function answerJson(request: RecordedRequest, status: number, body: unknown) {
  request.res.writeHead(status, { 'content-type': 'application/json' });
  request.res.end(JSON.stringify(body));
}

const createElementOf = (Component: () => React.ReactElement) => <Component />;

/** A chat with a Send button, the answer text and a StopButton. */
function makeChat(options: UseModelStreamOptions, handle: { current: UseModelStreamResult | null }) {
  return function Chat() {
    const chat = useModelStream(options);
    handle.current = chat;
    return (
      <div>
        <button type="button" onClick={() => void chat.start('Hi')}>
          Send
        </button>
        <p data-testid="text">{chat.text}</p>
        <StopButton stream={chat} />
      </div>
    );
  };
}

describe('persistence repair after a simulated reload', () => {
  it('a message left streaming comes back incomplete / disconnected, with its text and a cut tool call kept', async () => {
    let stream: RecordedRequest | null = null;
    server = await startHttpServer((request) => {
      stream = request;
      request.res.writeHead(200, SSE_HEADERS);
      request.res.write(
        part({ type: 'start', messageId: 'msg-reload' }) +
          part({ type: 'text-delta', id: '0', delta: 'Half an ans' }) +
          part({ type: 'tool-input-start', toolCallId: 'call_1', toolName: 'search' }) +
          part({ type: 'tool-input-delta', toolCallId: 'call_1', inputTextDelta: '{"q":"Lyo' }),
      );
    });
    const name = 'rms-reload';
    const url = server.url;

    // Page 1: streams into a persisted store.
    const before = createMessageStore({ persist: { name } });
    const first: { current: UseModelStreamResult | null } = { current: null };
    const Page1 = makeChat({ api: `${url}/chat`, store: before, throttle: false }, first);
    const user = userEvent.setup();
    const page1 = render(<Page1 />);
    await user.click(screen.getByRole('button', { name: 'Send' }));
    await waitFor(() => expect(first.current!.toolCalls[0]?.argsText).toBe('{"q":"Lyo'), WAIT);
    expect(first.current!.text).toBe('Half an ans');

    // The page dies without a pagehide (a crash, a killed tab): what the store last wrote is what
    // the next page finds. (With a pagehide the hook marks the stream disconnected itself: see
    // pagehide.test.tsx.)
    before.flushPersisted();
    page1.unmount();
    const storedBeforeRepair = JSON.parse(localStorage.getItem(name)!) as { state: { messages: Record<string, Message> } };
    expect(Object.values(storedBeforeRepair.state.messages).map((m) => m.status)).toEqual(['complete', 'streaming']);

    // Page 2: a fresh store on the same storage.
    const after = createMessageStore({ persist: { name } });
    const second: { current: UseModelStreamResult | null } = { current: null };
    const Page2Chat = makeChat({ api: `${url}/chat`, store: after }, second);
    function Transcript() {
      const messages = useConversationMessages(after, 'default');
      return (
        <ol>
          {messages.map((m) => (
            <li key={m.id} data-status={m.status}>{`${m.role}: ${m.text}`}</li>
          ))}
        </ol>
      );
    }
    render(
      <>
        <Transcript />
        <Page2Chat />
      </>,
    );

    const items = screen.getAllByRole('listitem');
    expect(items.map((li) => [li.textContent, li.getAttribute('data-status')])).toEqual([
      ['user: Hi', 'complete'],
      ['assistant: Half an ans', 'incomplete'],
    ]);
    const [, answer] = Object.values(after.getState().messages);
    expect(answer).toMatchObject({
      role: 'assistant',
      text: 'Half an ans',
      status: 'incomplete',
      incomplete: { reason: 'disconnected' },
      responseId: 'msg-reload',
      streamId: first.current!.streamId,
    });
    expect(answer!.toolCalls).toEqual([{ id: 'call_1', name: 'search', index: 0, argsText: '{"q":"Lyo', args: { q: 'Lyo' }, state: 'incomplete' }]);
    // Nothing is streaming on the new page.
    expect(second.current!.status).toBe('idle');
    expect(screen.getByRole('button', { name: 'Stop generating' }).getAttribute('data-state')).toBe('idle');

    // The old page's stream is gone with the page; end it here so it cannot write later.
    stream!.res.destroy();
    await act(async () => {
      await vi.waitFor(() => expect(before.getState().messages[answer!.id]?.status).toBe('incomplete'), WAIT);
    });
  });
});

describe('StrictMode', () => {
  it('streams and stops under StrictMode: one stream request, one cancel, no warning', async () => {
    server = await startHttpServer((request) => {
      if (request.url === '/cancel') return answerJson(request, 200, { status: 'cancelled', usage: null });
      request.res.writeHead(200, SSE_HEADERS);
      request.res.write(part({ type: 'start', messageId: 'm' }) + part({ type: 'text-delta', id: '0', delta: 'Strict' }));
    });
    const handle: { current: UseModelStreamResult | null } = { current: null };
    const Chat = makeChat({ api: `${server.url}/chat`, cancelApi: `${server.url}/cancel`, throttle: false }, handle);
    const user = userEvent.setup();
    render(
      <StrictMode>
        <Chat />
      </StrictMode>,
    );
    await user.click(screen.getByRole('button', { name: 'Send' }));
    await waitFor(() => expect(screen.getByTestId('text').textContent).toBe('Strict'), WAIT);
    const stop = screen.getByRole('button', { name: 'Stop generating' });
    expect(stop.getAttribute('data-state')).toBe('streaming');
    await user.click(stop);
    await waitFor(() => expect(handle.current!.status).toBe('incomplete'), WAIT);
    await act(async () => {
      await server!.requests[0]!.closed;
    });

    expect(server.requests.map((r) => r.url)).toEqual(['/chat', '/cancel']);
    expect(handle.current!.message).toMatchObject({ text: 'Strict', incomplete: { reason: 'cancelled', serverConfirmed: true } });
    expect(stop.getAttribute('data-state')).toBe('idle');
    expect(indexOfEvent(server.events, 'request POST /cancel')).toBeLessThan(indexOfEvent(server.events, 'abort POST /chat'));
  });

  it('StrictMode’s simulated unmount/remount does not cut a hook-local stream started from a (guarded) mount effect', async () => {
    // The stream starts in the first mount effect; StrictMode then runs every effect cleanup (the
    // hook's unmount path) and every effect again. The hook defers its disconnect and sees the
    // remount, so the stream survives.
    let stream: RecordedRequest | null = null;
    server = await startHttpServer((request) => {
      stream = request;
      request.res.writeHead(200, SSE_HEADERS);
      request.res.write(part({ type: 'start', messageId: 'm' }) + part({ type: 'text-delta', id: '0', delta: 'Still ' }));
    });
    const url = server.url;
    const handle: { current: UseModelStreamResult | null } = { current: null };
    let started: Promise<Message> | null = null;
    let effectRuns = 0;
    function Chat() {
      const chat = useModelStream({ api: `${url}/chat`, throttle: false });
      handle.current = chat;
      const startedRef = useRef(false);
      const { start } = chat;
      useEffect(() => {
        effectRuns += 1;
        if (startedRef.current) return;
        startedRef.current = true;
        started = start('Hi');
      }, [start]);
      return <p data-testid="text">{chat.text}</p>;
    }
    act(() => {
      render(
        <StrictMode>
          <Chat />
        </StrictMode>,
      );
    });
    expect(effectRuns).toBe(2); // StrictMode ran the mount effect twice
    await waitFor(() => expect(screen.getByTestId('text').textContent).toBe('Still '), WAIT);
    // Longer than the deferred unmount check (a 0 ms timer): the stream must survive it.
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
    });
    expect(server.events).toEqual(['request POST /chat']);
    let final: Message | undefined;
    await act(async () => {
      stream!.res.end(part({ type: 'text-delta', id: '0', delta: 'streaming.' }) + part({ type: 'finish', finishReason: 'stop' }) + 'data: [DONE]\n\n');
      final = await started!;
    });
    expect(final?.status).toBe('complete');
    expect(screen.getByTestId('text').textContent).toBe('Still streaming.');
    expect(server.events).toEqual(['request POST /chat', 'end POST /chat']);
  });

  it.each([
    ['a string', 'Hi'],
    ['an object literal built on each run', null],
  ])('an unguarded mount effect that starts a stream (%s) under StrictMode starts it once: one request, no cancel, two turns', async (_name, input) => {
    server = await startHttpServer((request) => {
      request.res.writeHead(200, SSE_HEADERS);
      request.res.end(part({ type: 'text-delta', id: '0', delta: 'Once.' }) + part({ type: 'finish', finishReason: 'stop' }) + 'data: [DONE]\n\n');
    });
    const url = server.url;
    const store = createMessageStore();
    const onFinish = vi.fn();
    const handle: { current: UseModelStreamResult<unknown> | null } = { current: null };
    const promises: Promise<Message>[] = [];
    function Chat() {
      const chat = useModelStream<unknown>({ api: `${url}/chat`, cancelApi: `${url}/cancel`, store, throttle: false, onFinish });
      handle.current = chat;
      const { start } = chat;
      useEffect(() => {
        promises.push(start(input ?? { prompt: 'Hi', n: 1 }));
      }, [start]);
      return <p data-testid="text">{chat.text}</p>;
    }
    act(() => {
      render(
        <StrictMode>
          <Chat />
        </StrictMode>,
      );
    });
    expect(promises).toHaveLength(2); // StrictMode ran the effect twice
    expect(promises[1]).toBe(promises[0]);
    await act(async () => {
      await promises[0];
    });
    expect(screen.getByTestId('text').textContent).toBe('Once.');
    expect(server.requests.map((r) => r.url)).toEqual(['/chat']);
    const turns = Object.values(store.getState().messages).map((m) => [m.role, m.status]);
    expect(turns).toEqual(typeof input === 'string' ? [['user', 'complete'], ['assistant', 'complete']] : [['assistant', 'complete']]);
    expect(onFinish).toHaveBeenCalledTimes(1);
    expect(onFinish.mock.calls[0]![0]).toMatchObject({ reason: 'complete' });
  });

  it('a different input in the same task is a new start (the first is stopped), and the same input in a later task too', async () => {
    server = await startHttpServer((request) => {
      if (request.url === '/cancel') return answerJson(request, 200, { status: 'cancelled', usage: null });
      request.res.writeHead(200, SSE_HEADERS);
      request.res.end(part({ type: 'text-delta', id: '0', delta: 'Done.' }) + part({ type: 'finish', finishReason: 'stop' }) + 'data: [DONE]\n\n');
    });
    const url = server.url;
    const handle: { current: UseModelStreamResult | null } = { current: null };
    render(createElementOf(makeChat({ api: `${url}/chat`, cancelApi: `${url}/cancel`, throttle: false }, handle)));
    let first!: Promise<Message>;
    let second!: Promise<Message>;
    await act(async () => {
      first = handle.current!.start('One');
      second = handle.current!.start('Two');
      await Promise.all([first, second]);
    });
    expect(second).not.toBe(first);
    expect((await first).incomplete?.reason).toBe('cancelled');
    expect((await second).status).toBe('complete');
    let third!: Promise<Message>;
    await act(async () => {
      third = handle.current!.start('Two');
      await third;
    });
    expect(third).not.toBe(second);
    expect(server.requests.filter((r) => r.url === '/chat').map((r) => JSON.parse(r.body).input)).toEqual(['One', 'Two', 'Two']);
  });

  it('a store-kept stream started by one component is picked up by the next one to mount (in StrictMode) and stops from there', async () => {
    server = await startHttpServer((request) => {
      if (request.url === '/cancel') return answerJson(request, 200, { status: 'cancelled', usage: null });
      request.res.writeHead(200, SSE_HEADERS);
      request.res.write(part({ type: 'start', messageId: 'm' }) + part({ type: 'text-delta', id: '0', delta: 'Kept' }));
    });
    const store: MessageStore = createMessageStore();
    const options = { api: `${server.url}/chat`, cancelApi: `${server.url}/cancel`, store, conversationId: 'c', throttle: false as const };
    const first: { current: UseModelStreamResult | null } = { current: null };
    const First = makeChat(options, first);
    const user = userEvent.setup();
    const view = render(<First />);
    await user.click(screen.getByRole('button', { name: 'Send' }));
    await waitFor(() => expect(screen.getByTestId('text').textContent).toBe('Kept'), WAIT);
    view.unmount();
    // A store-kept stream outlives its component: unmounting does not disconnect it.
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
    });
    expect(server.events).toEqual(['request POST /chat']);

    const second: { current: UseModelStreamResult | null } = { current: null };
    const Second = makeChat(options, second);
    render(
      <StrictMode>
        <Second />
      </StrictMode>,
    );
    expect(second.current!.status).toBe('streaming');
    expect(second.current!.streamId).toBe(first.current!.streamId);
    expect(screen.getByTestId('text').textContent).toBe('Kept');
    await user.click(screen.getByRole('button', { name: 'Stop generating' }));
    await waitFor(() => expect(second.current!.status).toBe('incomplete'), WAIT);
    await act(async () => {
      await server!.requests[0]!.closed;
    });
    expect(server.requests.map((r) => r.url)).toEqual(['/chat', '/cancel']);
    expect(second.current!.message).toMatchObject({ text: 'Kept', status: 'incomplete', incomplete: { reason: 'cancelled', serverConfirmed: true } });
  });
});

describe('unmount mid-stream', () => {
  it('disconnects a hook-local stream (no cancel: the user did not say stop), closes the connection, no warning', async () => {
    let stream: RecordedRequest | null = null;
    server = await startHttpServer((request) => {
      if (request.url === '/cancel') return answerJson(request, 200, { status: 'cancelled', usage: null });
      stream = request;
      request.res.writeHead(200, SSE_HEADERS);
      request.res.write(part({ type: 'start', messageId: 'm' }) + part({ type: 'text-delta', id: '0', delta: 'Going' }));
    });
    const onFinish = vi.fn();
    let renders = 0;
    const handle: { current: UseModelStreamResult | null } = { current: null };
    const url = server.url;
    function Chat() {
      renders += 1;
      const chat = useModelStream({ api: `${url}/chat`, cancelApi: `${url}/cancel`, throttle: false, onFinish });
      handle.current = chat;
      return <p data-testid="text">{chat.text}</p>;
    }
    const view = render(<Chat />);
    let done!: Promise<Message>;
    act(() => {
      done = handle.current!.start('Hi');
    });
    await waitFor(() => expect(screen.getByTestId('text').textContent).toBe('Going'), WAIT);
    const rendersAtUnmount = renders;
    view.unmount();

    // The server keeps writing after the unmount: nothing renders, nothing warns.
    stream!.res.write(part({ type: 'text-delta', id: '0', delta: ' on' }));
    const final = await done;
    await expect(stream!.closed).resolves.toEqual({ aborted: true });

    expect(final.status).toBe('incomplete');
    expect(final.incomplete?.reason).toBe('disconnected');
    expect(final.text.startsWith('Going')).toBe(true);
    expect(onFinish).toHaveBeenCalledTimes(1);
    expect(onFinish.mock.calls[0]![0]).toMatchObject({ reason: 'disconnected' });
    expect(server.events).toEqual(['request POST /chat', 'abort POST /chat']);
    expect(renders).toBe(rendersAtUnmount);
  });

  it('unmounting while stopping lets the stop finish: cancel first, then the abort', async () => {
    let holdCancel: RecordedRequest | null = null;
    server = await startHttpServer((request) => {
      if (request.url === '/cancel') {
        holdCancel = request;
        return;
      }
      request.res.writeHead(200, SSE_HEADERS);
      request.res.write(part({ type: 'start', messageId: 'm' }) + part({ type: 'text-delta', id: '0', delta: 'Bye' }));
    });
    const handle: { current: UseModelStreamResult | null } = { current: null };
    const Chat = makeChat({ api: `${server.url}/chat`, cancelApi: `${server.url}/cancel`, throttle: false }, handle);
    const user = userEvent.setup();
    const view = render(<Chat />);
    await user.click(screen.getByRole('button', { name: 'Send' }));
    await waitFor(() => expect(screen.getByTestId('text').textContent).toBe('Bye'), WAIT);
    const stopped = handle.current!.stop;
    await user.click(screen.getByRole('button', { name: 'Stop generating' }));
    await waitFor(() => expect(holdCancel).not.toBeNull(), WAIT);
    view.unmount();
    // Past the deferred unmount check: still not aborted, the stop contract owns the end now.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.events).toEqual(['request POST /chat', 'request POST /cancel']);

    answerJson(holdCancel!, 200, { status: 'cancelled', usage: null });
    await expect(stopped()).resolves.toEqual({ serverConfirmed: true });
    await server.requests[0]!.closed;
    expect(indexOfEvent(server.events, 'request POST /cancel')).toBeLessThan(indexOfEvent(server.events, 'abort POST /chat'));
  });

  it('a store-kept stream keeps streaming into the store after its component unmounts, and completes there', async () => {
    let stream: RecordedRequest | null = null;
    server = await startHttpServer((request) => {
      stream = request;
      request.res.writeHead(200, SSE_HEADERS);
      request.res.write(part({ type: 'start', messageId: 'm' }) + part({ type: 'text-delta', id: '0', delta: 'First half' }));
    });
    const store = createMessageStore();
    const handle: { current: UseModelStreamResult | null } = { current: null };
    const Chat = makeChat({ api: `${server.url}/chat`, store, throttle: false }, handle);
    const user = userEvent.setup();
    const view = render(<Chat />);
    await user.click(screen.getByRole('button', { name: 'Send' }));
    await waitFor(() => expect(screen.getByTestId('text').textContent).toBe('First half'), WAIT);
    const messageId = handle.current!.message!.id;
    view.unmount();

    stream!.res.end(part({ type: 'text-delta', id: '0', delta: ', second half.' }) + part({ type: 'finish', finishReason: 'stop' }) + 'data: [DONE]\n\n');
    await vi.waitFor(() => expect(store.getState().messages[messageId]?.status).toBe('complete'), WAIT);
    expect(store.getState().messages[messageId]!.text).toBe('First half, second half.');
    expect(server.events).toEqual(['request POST /chat', 'end POST /chat']);
  });
});
