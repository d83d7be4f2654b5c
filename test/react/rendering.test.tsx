// @vitest-environment jsdom
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { Profiler } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { useConversationMessages, useMessage, useModelStream, type UseModelStreamResult } from '../../src/index';
import { createMessageStore } from '../../src/store/index';
import { sleep, startHttpServer, type RecordedRequest, type TestServer } from '../helpers/httpServer';
import { createConsumptionTrackingFetch, createManualScheduler, failOnConsole, part, SSE_HEADERS, WAIT } from './setup';

// Rendering (DESIGN.md "Rendering"): deltas are applied at once but React hears about them at most
// once per frame (here: per manual flush), and a component bound to one message does not render
// while another streams.

failOnConsole();

let server: TestServer | null = null;
afterEach(async () => {
  cleanup();
  await server?.close();
  server = null;
});

/** Writes `chunk` and resolves once Node handed it to the socket. */
function write(request: RecordedRequest, chunk: string) {
  return new Promise<void>((resolve) => request.res.write(chunk, () => resolve()));
}

describe('commits per frame', () => {
  it('with a controlled scheduler: 99 deltas cause no commit until the flush, then exactly one with all the text', async () => {
    let stream: RecordedRequest | null = null;
    server = await startHttpServer((request) => {
      stream = request;
      request.res.writeHead(200, SSE_HEADERS);
      request.res.write(part({ type: 'start', messageId: 'm' }) + part({ type: 'text-delta', id: '0', delta: '<0>' }));
    });
    const manual = createManualScheduler();
    const tracking = createConsumptionTrackingFetch();
    const url = server.url;
    const handle = { current: null as unknown as UseModelStreamResult };
    let commits = 0;
    function Chat() {
      const chat = useModelStream({ api: `${url}/chat`, scheduler: manual.scheduler, fetch: tracking.fetch });
      handle.current = chat;
      return <p data-testid="text">{chat.text}</p>;
    }
    render(
      <Profiler id="chat" onRender={() => (commits += 1)}>
        <Chat />
      </Profiler>,
    );
    let done!: Promise<unknown>;
    act(() => {
      done = handle.current.start('Hi');
    });
    await waitFor(() => expect(tracking.consumed()).toContain('<0>'), WAIT);
    act(() => manual.flush());
    expect(screen.getByTestId('text').textContent).toBe('<0>');
    expect(handle.current.status).toBe('streaming');

    const before = commits;
    let expected = '<0>';
    for (let i = 1; i < 100; i++) {
      // Separate writes, each handed to the socket before the next: as many network chunks as the
      // OS keeps apart.
      await write(stream!, part({ type: 'text-delta', id: '0', delta: `<${i}>` }));
      expected += `<${i}>`;
    }
    // Every delta has been applied by the session (it asked for the next chunk after each one).
    await waitFor(() => expect(tracking.consumed()).toContain('"delta":"<99>"'), WAIT);

    expect(commits).toBe(before);
    expect(screen.getByTestId('text').textContent).toBe('<0>');
    expect(manual.pending()).toBe(1); // one notification shared by all 99 deltas

    act(() => manual.flush());
    expect(commits).toBe(before + 1);
    expect(screen.getByTestId('text').textContent).toBe(expected);
    expect(manual.pending()).toBe(0);

    // A status change is not throttled: the end commits at once.
    await act(async () => {
      stream!.res.end(part({ type: 'finish', finishReason: 'stop' }) + 'data: [DONE]\n\n');
      await done;
    });
    expect(handle.current.status).toBe('complete');
    expect(handle.current.text).toBe(expected);
  });

  it('the throttle option reaches the session: with throttle: 60000 no delta commits until the end', async () => {
    let stream: RecordedRequest | null = null;
    server = await startHttpServer((request) => {
      stream = request;
      request.res.writeHead(200, SSE_HEADERS);
      request.res.write(part({ type: 'start', messageId: 'm' }) + part({ type: 'text-delta', id: '0', delta: 'A' }));
    });
    const tracking = createConsumptionTrackingFetch();
    const url = server.url;
    const handle = { current: null as unknown as UseModelStreamResult };
    let commits = 0;
    function Chat() {
      const chat = useModelStream({ api: `${url}/chat`, throttle: 60_000, fetch: tracking.fetch });
      handle.current = chat;
      return <p data-testid="text">{chat.text}</p>;
    }
    render(
      <Profiler id="chat" onRender={() => (commits += 1)}>
        <Chat />
      </Profiler>,
    );
    let done!: Promise<unknown>;
    act(() => {
      done = handle.current.start('Hi');
    });
    expect(handle.current.status).toBe('connecting');
    const before = commits;
    await waitFor(() => expect(tracking.consumed()).toContain('"delta":"A"'), WAIT);
    for (const delta of ['B', 'C', 'D']) await write(stream!, part({ type: 'text-delta', id: '0', delta }));
    await waitFor(() => expect(tracking.consumed()).toContain('"delta":"D"'), WAIT);
    // Several frames' worth of time: the default 'frame' throttle would have committed by now.
    await act(async () => {
      await sleep(100);
    });
    expect(commits).toBe(before);
    expect(screen.getByTestId('text').textContent).toBe('');
    // The end is a status change: notified at once, whatever the throttle.
    await act(async () => {
      stream!.res.end(part({ type: 'finish', finishReason: 'stop' }) + 'data: [DONE]\n\n');
      await done;
    });
    expect(screen.getByTestId('text').textContent).toBe('ABCD');
    expect(handle.current.status).toBe('complete');
    expect(commits).toBe(before + 1);
  });
});

describe('selectors: a component bound to another message does not render', () => {
  it('renders zero times while a message of the same or another conversation streams', async () => {
    let stream: RecordedRequest | null = null;
    server = await startHttpServer((request) => {
      stream = request;
      request.res.writeHead(200, SSE_HEADERS);
      request.res.write(part({ type: 'start', messageId: 'm' }));
    });
    const store = createMessageStore();
    const { appendMessage } = store.getState();
    appendMessage('trip', { id: 'old', role: 'assistant', text: 'Earlier answer', finishReason: 'stop' });
    appendMessage('other', { id: 'o1', role: 'user', text: 'Another chat' });

    const renders = { old: 0, other: 0, trip: 0 };
    function OldMessage() {
      renders.old += 1;
      const message = useMessage(store, 'old');
      return <p data-testid="old">{message?.text}</p>;
    }
    function OtherConversation() {
      renders.other += 1;
      const messages = useConversationMessages(store, 'other');
      return <p data-testid="other">{messages.length}</p>;
    }
    function TripConversation() {
      // The control: bound to the conversation that streams, so it must render.
      renders.trip += 1;
      const messages = useConversationMessages(store, 'trip');
      return <p data-testid="trip">{messages.at(-1)?.text}</p>;
    }
    const url = server.url;
    const handle = { current: null as unknown as UseModelStreamResult };
    function Chat() {
      handle.current = useModelStream({ api: `${url}/chat`, store, conversationId: 'trip', throttle: false });
      return null;
    }
    render(
      <>
        <Chat />
        <OldMessage />
        <OtherConversation />
        <TripConversation />
      </>,
    );
    expect(renders).toEqual({ old: 1, other: 1, trip: 1 });

    let done!: Promise<unknown>;
    act(() => {
      done = handle.current.start('Plan a day in Lyon');
    });
    await waitFor(() => expect(stream).not.toBeNull(), WAIT);
    let shown = '';
    for (const delta of ['Morning: ', 'Fourvière. ', 'Noon: ', 'a bouchon.']) {
      await write(stream!, part({ type: 'text-delta', id: '0', delta }));
      shown += delta;
      await waitFor(() => expect(screen.getByTestId('trip').textContent).toBe(shown), WAIT);
    }
    await act(async () => {
      stream!.res.end(part({ type: 'finish', finishReason: 'stop' }) + 'data: [DONE]\n\n');
      await done;
    });

    expect(screen.getByTestId('trip').textContent).toBe('Morning: Fourvière. Noon: a bouchon.');
    expect(renders.trip).toBeGreaterThanOrEqual(5);
    expect(renders.old).toBe(1);
    expect(renders.other).toBe(1);
  });

  it('useMessage follows its own message, and is undefined for an unknown id', () => {
    const store = createMessageStore();
    store.getState().appendMessage('c', { id: 'a', role: 'assistant', text: 'One', status: 'streaming' });
    let renders = 0;
    function View({ id }: { id: string }) {
      renders += 1;
      const message = useMessage(store, id);
      return <p data-testid={id}>{message ? `${message.status}:${message.text}` : 'none'}</p>;
    }
    render(
      <>
        <View id="a" />
        <View id="missing" />
      </>,
    );
    expect(screen.getByTestId('a').textContent).toBe('streaming:One');
    expect(screen.getByTestId('missing').textContent).toBe('none');
    expect(renders).toBe(2);

    act(() => {
      store.getState().updateMessage('a', { text: 'One two', status: 'complete' });
    });
    expect(screen.getByTestId('a').textContent).toBe('complete:One two');
    expect(renders).toBe(3); // only the view of 'a'

    act(() => {
      store.getState().appendMessage('c', { id: 'missing', role: 'user', text: 'Now here' });
    });
    expect(screen.getByTestId('missing').textContent).toBe('complete:Now here');
  });

  it('useConversationMessages lists a conversation in order, a stable empty list for an unknown one', () => {
    const store = createMessageStore();
    const seen: (readonly unknown[])[] = [];
    function List({ id }: { id: string }) {
      const messages = useConversationMessages(store, id);
      if (id === 'nope') seen.push(messages);
      return <ol data-testid={id}>{messages.map((m) => <li key={m.id}>{`${m.role}: ${m.text}`}</li>)}</ol>;
    }
    render(
      <>
        <List id="c" />
        <List id="nope" />
      </>,
    );
    act(() => {
      store.getState().appendMessage('c', { id: 'u', role: 'user', text: 'Hi' });
      store.getState().appendMessage('c', { id: 'a', role: 'assistant', text: 'Hello' });
    });
    expect([...screen.getByTestId('c').querySelectorAll('li')].map((li) => li.textContent)).toEqual(['user: Hi', 'assistant: Hello']);
    expect(screen.getByTestId('nope').children).toHaveLength(0);
    expect(seen).toHaveLength(1); // never re-rendered
  });
});
