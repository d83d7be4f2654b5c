// @vitest-environment jsdom
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { StopButton, useModelStream } from '../../src/index';
import { createMessageStore } from '../../src/store/index';
import { startHttpServer, type TestServer } from '../helpers/httpServer';
import { part } from '../helpers/sse';

let server: TestServer | null = null;
afterEach(async () => {
  cleanup();
  await server?.close();
  server = null;
});

describe('useModelStream (smoke)', () => {
  it('streams text from a real server into the store and completes', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(part({ type: 'start', messageId: 'm1' }));
      res.write(part({ type: 'text-delta', id: '0', delta: 'Hello' }));
      res.write(part({ type: 'text-delta', id: '0', delta: ' world' }));
      res.end(part({ type: 'finish', finishReason: 'stop' }) + 'data: [DONE]\n\n');
    });
    const store = createMessageStore();
    let result!: ReturnType<typeof useModelStream>;
    const url = server.url;
    function Chat() {
      result = useModelStream({ api: `${url}/chat`, store, throttle: false });
      return (
        <div>
          <p data-testid="text">{result.text}</p>
          <StopButton stream={result} />
        </div>
      );
    }
    render(<Chat />);
    expect(screen.getByRole('button', { name: 'Stop generating' })).toHaveProperty('disabled', true);
    let final: Awaited<ReturnType<typeof result.start>> | undefined;
    await act(async () => {
      final = await result.start('Hi');
    });
    expect(final?.status).toBe('complete');
    expect(screen.getByTestId('text').textContent).toBe('Hello world');
    expect(result.status).toBe('complete');
    const messages = Object.values(store.getState().messages);
    expect(messages.map((m) => [m.role, m.text, m.status])).toEqual([
      ['user', 'Hi', 'complete'],
      ['assistant', 'Hello world', 'complete'],
    ]);
    const request = server.requests[0]!;
    expect(request.headers['x-stream-id']).toBe(result.streamId);
    expect(JSON.parse(request.body)).toEqual({ input: 'Hi', conversationId: 'default', messages: [] });
  });

  it('stop: cancel reaches the server, message kept and marked cancelled', async () => {
    server = await startHttpServer(({ url, res, body }) => {
      if (url === '/cancel') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'cancelled', usage: { inputTokens: 3, outputTokens: 7 }, usageEstimated: true }));
        return;
      }
      void body;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(part({ type: 'start', messageId: 'm2' }));
      res.write(part({ type: 'text-delta', id: '0', delta: 'Partial' }));
      // never ends by itself
    });
    let result!: ReturnType<typeof useModelStream>;
    const url = server.url;
    function Chat() {
      result = useModelStream({ api: `${url}/chat`, cancelApi: `${url}/cancel`, throttle: false });
      return <StopButton stream={result} />;
    }
    render(<Chat />);
    let done!: Promise<unknown>;
    act(() => {
      done = result.start('go');
    });
    await waitFor(() => expect(result.text).toBe('Partial'));
    const button = screen.getByRole('button', { name: 'Stop generating' });
    expect(button.getAttribute('data-state')).toBe('streaming');
    await act(async () => {
      button.click();
      await done;
    });
    expect(result.status).toBe('incomplete');
    expect(result.message?.incomplete).toEqual({ reason: 'cancelled', serverConfirmed: true });
    expect(result.message?.text).toBe('Partial');
    expect(result.usage).toEqual({ inputTokens: 3, outputTokens: 7, estimated: true });
    await waitFor(() => expect(server!.events).toContain('abort POST /chat'));
    expect(server.events.indexOf('request POST /cancel')).toBeLessThan(server.events.indexOf('abort POST /chat'));
  });

  it('the default body sends the conversation so far, leaving out turns without text', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(part({ type: 'text-delta', id: '0', delta: 'Ok' }) + part({ type: 'finish', finishReason: 'stop' }));
    });
    const store = createMessageStore();
    store.getState().appendMessage('c1', { role: 'user', text: 'First question' });
    store.getState().appendMessage('c1', { role: 'assistant', text: '', status: 'incomplete', incomplete: { reason: 'cancelled', serverConfirmed: true } });
    store.getState().appendMessage('c1', { role: 'user', text: 'Second question' });
    store.getState().appendMessage('c1', { role: 'assistant', text: 'An answer' });
    let result!: ReturnType<typeof useModelStream>;
    const url = server.url;
    function Chat() {
      result = useModelStream({ api: `${url}/chat`, store, conversationId: 'c1', throttle: false });
      return null;
    }
    render(<Chat />);
    await act(async () => {
      await result.start('Third');
    });
    expect(JSON.parse(server.requests[0]!.body).messages).toEqual([
      { role: 'user', content: 'First question' },
      { role: 'user', content: 'Second question' },
      { role: 'assistant', content: 'An answer' },
    ]);
  });

  it('a hook-local message has the same keys as a stored one: no `incomplete` key unless incomplete', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(part({ type: 'text-delta', id: '0', delta: 'Hi' }));
      res.end(part({ type: 'finish', finishReason: 'stop' }) + 'data: [DONE]\n\n');
    });
    const store = createMessageStore();
    let local!: ReturnType<typeof useModelStream>;
    let stored!: ReturnType<typeof useModelStream>;
    const url = server.url;
    function Chat() {
      local = useModelStream({ api: `${url}/chat`, throttle: false });
      stored = useModelStream({ api: `${url}/chat`, store, throttle: false });
      return null;
    }
    render(<Chat />);
    await act(async () => {
      await Promise.all([local.start('a'), stored.start('b')]);
    });
    expect(local.message?.status).toBe('complete');
    expect('incomplete' in local.message!).toBe(false);
    expect(Object.keys(local.message!).sort()).toEqual(Object.keys(stored.message!).sort());
  });
});
