// @vitest-environment jsdom
import { act, cleanup, render, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { useModelStream } from '../../src/index';
import { createMessageStore, type Message } from '../../src/store/index';
import { startHttpServer, type TestServer } from '../helpers/httpServer';
import { failOnConsole } from './setup';

failOnConsole();

let server: TestServer | null = null;
afterEach(async () => {
  cleanup();
  await server?.close();
  server = null;
});

describe('leaving the page', () => {
  it('pagehide disconnects a running stream: marked disconnected, no error, no cancel request', async () => {
    server = await startHttpServer(({ url, res }) => {
      if (url === '/cancel') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"status":"cancelled","usage":null,"usageEstimated":false}');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ type: 'text-delta', id: '0', delta: 'Partial' })}\n\n`);
    });
    const url = server.url;
    let chat!: ReturnType<typeof useModelStream>;
    function Chat() {
      chat = useModelStream({ api: `${url}/chat`, cancelApi: `${url}/cancel`, throttle: false, protocol: 'ai-sdk' });
      return null;
    }
    render(<Chat />);
    let done!: Promise<unknown>;
    act(() => {
      done = chat.start('go');
    });
    await waitFor(() => expect(chat.text).toBe('Partial'));
    await act(async () => {
      window.dispatchEvent(new Event('pagehide'));
      await done;
    });
    expect(chat.status).toBe('incomplete');
    expect(chat.message?.incomplete).toEqual({ reason: 'disconnected' });
    expect(chat.error).toBeNull();
    expect(chat.message?.text).toBe('Partial');
    await waitFor(() => expect(server!.events).toContain('abort POST /chat'));
    expect(server.events.some((e) => e.includes('/cancel'))).toBe(false);
  });

  it('with a persisted store, what a reload finds is already marked disconnected', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ type: 'text-delta', id: '0', delta: 'Half' })}\n\n`);
    });
    const url = server.url;
    const name = 'rms-pagehide';
    const store = createMessageStore({ persist: { name } });
    let chat!: ReturnType<typeof useModelStream>;
    function Chat() {
      chat = useModelStream({ api: `${url}/chat`, store, throttle: false, protocol: 'ai-sdk' });
      return null;
    }
    render(<Chat />);
    let done!: Promise<unknown>;
    act(() => {
      done = chat.start('go');
    });
    await waitFor(() => expect(chat.text).toBe('Half'));
    await act(async () => {
      window.dispatchEvent(new Event('pagehide'));
      await done;
    });
    const stored = JSON.parse(localStorage.getItem(name)!) as { state: { messages: Record<string, Message> } };
    const assistant = Object.values(stored.state.messages).find((m) => m.role === 'assistant')!;
    expect([assistant.status, assistant.incomplete, assistant.text]).toEqual(['incomplete', { reason: 'disconnected' }, 'Half']);
  });
});
