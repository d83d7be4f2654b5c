// @vitest-environment jsdom
import { act, cleanup, render, waitFor } from '@testing-library/react';
import { startTransition, useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { useModelStream, type UseModelStreamOptions, type UseModelStreamResult } from '../../src/index';
import { createMessageStore, getConversationMessages } from '../../src/store/index';
import { startHttpServer, type RecordedRequest, type TestServer } from '../helpers/httpServer';
import { failOnConsole, part, SSE_HEADERS, WAIT } from './setup';

// Which stream a hook shows and stops: its lane, i.e. the store's conversation it names (shared by
// every hook on it) or its own hook-local stream: switching `conversationId` mid-stream shows (and a
// new start cancels) only the new conversation's stream; a second hook on the same conversation
// sees the first one's stream; a start inside a transition leaves the stream visible and
// stoppable. Real node:http server.

failOnConsole();

let server: TestServer | null = null;
afterEach(async () => {
  cleanup();
  await server?.close();
  server = null;
});

/** `/chat` streams `Hello` and stays open; `/cancel` answers cancelled. */
async function startServer() {
  server = await startHttpServer((request: RecordedRequest) => {
    if (request.url === '/chat') {
      request.res.writeHead(200, SSE_HEADERS);
      request.res.write(part({ type: 'start' }) + part({ type: 'text-delta', id: '0', delta: 'Hello' }));
      return;
    }
    request.res.writeHead(200, { 'content-type': 'application/json' });
    request.res.end(JSON.stringify({ status: 'cancelled', usage: null }));
  });
  return { api: `${server.url}/chat`, cancelApi: `${server.url}/cancel` };
}

const cancels = () => server!.requests.filter((r) => r.url === '/cancel').map((r) => JSON.parse(r.body).streamId as string);

describe('useModelStream lanes', () => {
  it('switching conversationId mid-stream shows the new conversation; a start there does not touch the other stream', async () => {
    const urls = await startServer();
    const store = createMessageStore();
    const handle = { current: null as unknown as UseModelStreamResult, setConversation: (_: string) => {} };
    function Chat() {
      const [conversationId, setConversation] = useState('a');
      handle.setConversation = setConversation;
      handle.current = useModelStream({ ...urls, store, conversationId, throttle: false });
      return null;
    }
    render(<Chat />);
    act(() => {
      void handle.current.start('question in A');
    });
    await waitFor(() => expect(handle.current.text).toBe('Hello'), WAIT);
    const streamA = handle.current.streamId;

    act(() => handle.setConversation('b'));
    expect(handle.current.status).toBe('idle');
    expect(handle.current.message).toBeNull();
    expect(handle.current.streamId).toBeNull();

    act(() => {
      void handle.current.start('question in B');
    });
    await waitFor(() => expect(handle.current.text).toBe('Hello'), WAIT);
    expect(handle.current.streamId).not.toBe(streamA);
    // A is still streaming, uncancelled; both conversations stream together.
    expect(cancels()).toEqual([]);
    const [, answerA] = getConversationMessages(store.getState(), 'a');
    expect(answerA).toMatchObject({ status: 'streaming', text: 'Hello' });

    act(() => handle.setConversation('a'));
    expect(handle.current.streamId).toBe(streamA);
    expect(handle.current.status).toBe('streaming');
    await act(async () => {
      await expect(handle.current.stop()).resolves.toEqual({ serverConfirmed: true });
    });
    expect(cancels()).toEqual([streamA]);
    expect(getConversationMessages(store.getState(), 'b')[1]).toMatchObject({ status: 'streaming' });
  });

  it('two hooks on one store and conversation see the same stream; either one stops it; a start in one replaces it', async () => {
    const urls = await startServer();
    const store = createMessageStore();
    const a = { current: null as unknown as UseModelStreamResult };
    const b = { current: null as unknown as UseModelStreamResult };
    const options: UseModelStreamOptions = { ...urls, store, conversationId: 'c', throttle: false };
    function Composer() {
      a.current = useModelStream(options);
      return null;
    }
    function Toolbar() {
      b.current = useModelStream(options);
      return null;
    }
    render(
      <>
        <Composer />
        <Toolbar />
      </>,
    );
    act(() => {
      void a.current.start('first');
    });
    await waitFor(() => expect(b.current.text).toBe('Hello'), WAIT);
    expect(b.current.streamId).toBe(a.current.streamId);
    expect(b.current.message?.id).toBe(a.current.message?.id);
    const first = a.current.streamId!;

    // A start from the other hook stops the one running on the conversation first.
    act(() => {
      void b.current.start('second');
    });
    await waitFor(() => expect(a.current.streamId).not.toBe(first), WAIT);
    await waitFor(() => expect(cancels()).toEqual([first]), WAIT);
    await waitFor(() => expect(a.current.text).toBe('Hello'), WAIT);
    expect(a.current.streamId).toBe(b.current.streamId);

    await act(async () => {
      await expect(a.current.stop()).resolves.toEqual({ serverConfirmed: true });
    });
    expect(cancels()).toEqual([first, b.current.streamId]);
    const answers = getConversationMessages(store.getState(), 'c').filter((m) => m.role === 'assistant');
    expect(answers.map((m) => [m.status, m.incomplete?.reason])).toEqual([
      ['incomplete', 'cancelled'],
      ['incomplete', 'cancelled'],
    ]);
  });

  it('a start inside a transition (a form action) is visible at once and stoppable', async () => {
    const urls = await startServer();
    const chat = { current: null as unknown as UseModelStreamResult, rerender: () => {} };
    function Chat() {
      const [, setTick] = useState(0);
      chat.rerender = () => setTick((n) => n + 1);
      chat.current = useModelStream({ ...urls, throttle: false });
      return null;
    }
    render(<Chat />);
    let done!: Promise<unknown>;
    act(() => {
      startTransition(async () => {
        done = chat.current.start('Hi');
        await done; // the transition stays pending for the whole stream
      });
    });
    await waitFor(() => expect(chat.current.text).toBe('Hello'), WAIT);
    expect(chat.current.status).toBe('streaming');
    act(() => chat.rerender()); // an urgent update meanwhile must not lose the stream
    await act(async () => {
      await expect(chat.current.stop()).resolves.toEqual({ serverConfirmed: true });
      await done;
    });
    expect(cancels()).toHaveLength(1);
    expect(chat.current.message?.incomplete).toEqual({ reason: 'cancelled', serverConfirmed: true });
  });
});
