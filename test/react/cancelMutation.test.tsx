// @vitest-environment jsdom
import { QueryClient, QueryClientProvider, useIsMutating } from '@tanstack/react-query';
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CANCEL_MUTATION_KEY,
  ModelStreamProvider,
  StopButton,
  useCancelQueryClient,
  useModelStream,
  type UseModelStreamResult,
} from '../../src/index';
import { startHttpServer, type RecordedRequest, type TestServer } from '../helpers/httpServer';
import { failOnConsole, indexOfEvent, part, SSE_HEADERS, WAIT } from './setup';

// The server cancel runs as a TanStack Query mutation: retried once on a network error or 5xx,
// never on 4xx, on the app's QueryClient when there is one (devtools, useIsMutating), else on
// ModelStreamProvider's.

failOnConsole();

let server: TestServer | null = null;
afterEach(async () => {
  cleanup();
  await server?.close();
  server = null;
});

function openStream(request: RecordedRequest) {
  request.res.writeHead(200, SSE_HEADERS);
  request.res.write(part({ type: 'start', messageId: 'm' }) + part({ type: 'text-delta', id: '0', delta: 'Hello' }));
}

function answerJson(request: RecordedRequest, status: number, body: unknown) {
  request.res.writeHead(status, { 'content-type': 'application/json' });
  request.res.end(JSON.stringify(body));
}

/** Renders a chat (inside `wrap`), starts a stream, waits for its text; returns the hook handle and the start promise. */
async function startChat(url: string, wrap: (children: ReactNode) => ReactNode = (children) => children) {
  const handle = { current: null as unknown as UseModelStreamResult };
  const clientSeen = { current: null as QueryClient | null };
  function Chat() {
    const chat = useModelStream({ api: `${url}/chat`, cancelApi: `${url}/cancel`, throttle: false });
    handle.current = chat;
    clientSeen.current = useCancelQueryClient();
    return <StopButton stream={chat} />;
  }
  render(wrap(<Chat />));
  let done!: Promise<unknown>;
  act(() => {
    done = handle.current.start('Hi');
  });
  await waitFor(() => expect(handle.current.text).toBe('Hello'), WAIT);
  return { handle, done, clientSeen };
}

const cancelRequests = (s: TestServer) => s.requests.filter((r) => r.url === '/cancel');

describe('cancel mutation: retries', () => {
  it('retries once on 5xx: two cancel requests reach the server when the first answers 503 and the second 200', async () => {
    let cancels = 0;
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return openStream(request);
      cancels += 1;
      if (cancels === 1) return answerJson(request, 503, { error: 'try again' });
      answerJson(request, 200, { status: 'cancelled', usage: { inputTokens: 4, outputTokens: 1 } });
    });
    const user = userEvent.setup();
    const { handle, done } = await startChat(server.url);
    await user.click(screen.getByRole('button', { name: 'Stop generating' }));
    await act(async () => {
      await done;
      await server!.requests[0]!.closed;
    });

    const [first, second, ...more] = cancelRequests(server);
    expect(more).toEqual([]);
    expect(JSON.parse(first!.body)).toEqual({ streamId: handle.current.streamId });
    expect(JSON.parse(second!.body)).toEqual({ streamId: handle.current.streamId });
    expect(second!.headers['x-stream-cancel-secret']).toBe(first!.headers['x-stream-cancel-secret']);
    expect(handle.current.message?.incomplete).toEqual({ reason: 'cancelled', serverConfirmed: true });
    expect(handle.current.usage).toEqual({ inputTokens: 4, outputTokens: 1 });
    // Both attempts happen before the local abort.
    const abort = indexOfEvent(server.events, 'abort POST /chat');
    expect(server.events.lastIndexOf('request POST /cancel')).toBeLessThan(abort);
  });

  it.each([400, 403, 404])('does not retry a %i: one cancel request, then the local abort', async (status) => {
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return openStream(request);
      answerJson(request, status, { error: 'no' });
    });
    const user = userEvent.setup();
    const { handle, done } = await startChat(server.url);
    await user.click(screen.getByRole('button', { name: 'Stop generating' }));
    await act(async () => {
      await done;
      await server!.requests[0]!.closed;
    });
    expect(cancelRequests(server)).toHaveLength(1);
    expect(handle.current.message?.incomplete).toMatchObject({ reason: 'cancelled', serverConfirmed: false });
    expect(handle.current.message?.incomplete?.error).toContain(String(status));
    expect(indexOfEvent(server.events, 'request POST /cancel')).toBeLessThan(indexOfEvent(server.events, 'abort POST /chat'));
  });
});

describe('cancel mutation: which QueryClient', () => {
  it("runs on the app's QueryClient inside QueryClientProvider, keyed ['react-model-stream', 'cancel', streamId], visible to useIsMutating", async () => {
    let holdCancel: RecordedRequest | null = null;
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return openStream(request);
      holdCancel = request;
    });
    const queryClient = new QueryClient();
    function Pending() {
      return <output data-testid="pending">{useIsMutating({ mutationKey: CANCEL_MUTATION_KEY })}</output>;
    }
    const user = userEvent.setup();
    const { handle, done, clientSeen } = await startChat(server.url, (children) => (
      <QueryClientProvider client={queryClient}>
        {children}
        <Pending />
      </QueryClientProvider>
    ));
    expect(clientSeen.current).toBe(queryClient);

    await user.click(screen.getByRole('button', { name: 'Stop generating' }));
    await waitFor(() => expect(holdCancel).not.toBeNull(), WAIT);
    await waitFor(() => expect(screen.getByTestId('pending').textContent).toBe('1'), WAIT);
    await act(async () => {
      answerJson(holdCancel!, 200, { status: 'cancelled', usage: null });
      await done;
    });
    await waitFor(() => expect(screen.getByTestId('pending').textContent).toBe('0'), WAIT);

    const mutations = queryClient.getMutationCache().getAll();
    expect(mutations.map((m) => m.options.mutationKey)).toEqual([['react-model-stream', 'cancel', handle.current.streamId]]);
    expect(mutations[0]!.state.status).toBe('success');
    expect(mutations[0]!.state.data).toMatchObject({ confirmed: true });
  });

  it("runs on ModelStreamProvider's QueryClient when there is no QueryClientProvider", async () => {
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return openStream(request);
      answerJson(request, 200, { status: 'cancelled', usage: null });
    });
    const queryClient = new QueryClient();
    const user = userEvent.setup();
    const { handle, done, clientSeen } = await startChat(server.url, (children) => (
      <ModelStreamProvider queryClient={queryClient}>{children}</ModelStreamProvider>
    ));
    expect(clientSeen.current).toBe(queryClient);
    await user.click(screen.getByRole('button', { name: 'Stop generating' }));
    await act(async () => {
      await done;
    });
    expect(queryClient.getMutationCache().getAll().map((m) => m.options.mutationKey)).toEqual([
      ['react-model-stream', 'cancel', handle.current.streamId],
    ]);
  });

  it("the provider's documented pattern (ModelStreamProvider below the hook, StopButton from context) runs on the provider's client", async () => {
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return openStream(request);
      answerJson(request, 200, { status: 'cancelled', usage: null });
    });
    const queryClient = new QueryClient();
    const handle = { current: null as unknown as UseModelStreamResult };
    function Chat() {
      const chat = useModelStream({ api: `${server!.url}/chat`, cancelApi: `${server!.url}/cancel`, throttle: false });
      handle.current = chat;
      return (
        <ModelStreamProvider queryClient={queryClient} stream={chat}>
          <StopButton />
        </ModelStreamProvider>
      );
    }
    const user = userEvent.setup();
    render(<Chat />);
    let done!: Promise<unknown>;
    act(() => {
      done = handle.current.start('Hi');
    });
    await waitFor(() => expect(handle.current.text).toBe('Hello'), WAIT);
    await user.click(screen.getByRole('button', { name: 'Stop generating' }));
    await act(async () => {
      await done;
    });
    expect(handle.current.message?.incomplete).toMatchObject({ reason: 'cancelled', serverConfirmed: true });
    expect(queryClient.getMutationCache().getAll().map((m) => m.options.mutationKey)).toEqual([
      ['react-model-stream', 'cancel', handle.current.streamId],
    ]);
  });

  it("chat.stop() called where the hook is runs on the hook's client; stop({ queryClient }) on the one given", async () => {
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return openStream(request);
      answerJson(request, 200, { status: 'cancelled', usage: null });
    });
    const appClient = new QueryClient();
    const given = new QueryClient();
    const first = await startChat(server.url, (children) => <QueryClientProvider client={appClient}>{children}</QueryClientProvider>);
    await act(async () => {
      await first.handle.current.stop();
      await first.done;
    });
    expect(appClient.getMutationCache().getAll()).toHaveLength(1);
    let done!: Promise<unknown>;
    act(() => {
      done = first.handle.current.start('Again');
    });
    await waitFor(() => expect(first.handle.current.status).toBe('streaming'), WAIT);
    await act(async () => {
      await first.handle.current.stop({ queryClient: given });
      await done;
    });
    expect(appClient.getMutationCache().getAll()).toHaveLength(1);
    expect(given.getMutationCache().getAll().map((m) => m.options.mutationKey)).toEqual([
      ['react-model-stream', 'cancel', first.handle.current.streamId],
    ]);
  });

  it("ModelStreamProvider without a queryClient prop runs cancels on one client of its own", async () => {
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return openStream(request);
      answerJson(request, 200, { status: 'cancelled', usage: null });
    });
    const user = userEvent.setup();
    const { handle, done, clientSeen } = await startChat(server.url, (children) => <ModelStreamProvider>{children}</ModelStreamProvider>);
    const own = clientSeen.current!;
    expect(own).toBeInstanceOf(QueryClient);
    await user.click(screen.getByRole('button', { name: 'Stop generating' }));
    await act(async () => {
      await done;
    });
    expect(clientSeen.current).toBe(own); // stable across renders
    expect(own.getMutationCache().getAll().map((m) => m.options.mutationKey)).toEqual([['react-model-stream', 'cancel', handle.current.streamId]]);
  });

  it('a finished cancel mutation is garbage-collected after its gcTime (no observer keeps it in the cache)', async () => {
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return openStream(request);
      answerJson(request, 200, { status: 'cancelled', usage: null });
    });
    const queryClient = new QueryClient({ defaultOptions: { mutations: { gcTime: 20 } } });
    const user = userEvent.setup();
    const { done } = await startChat(server.url, (children) => <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>);
    await user.click(screen.getByRole('button', { name: 'Stop generating' }));
    await act(async () => {
      await done;
    });
    // (Before the fix the observer stayed attached and the mutation stayed in the cache for good.)
    await act(async () => {
      await vi.waitFor(() => expect(queryClient.getMutationCache().getAll()).toHaveLength(0), WAIT);
    });
  });

  it("ModelStreamProvider's explicit queryClient wins over an enclosing QueryClientProvider", async () => {
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return openStream(request);
      answerJson(request, 200, { status: 'cancelled', usage: null });
    });
    const appClient = new QueryClient();
    const cancelClient = new QueryClient();
    const user = userEvent.setup();
    const { done, clientSeen } = await startChat(server.url, (children) => (
      <QueryClientProvider client={appClient}>
        <ModelStreamProvider queryClient={cancelClient}>{children}</ModelStreamProvider>
      </QueryClientProvider>
    ));
    expect(clientSeen.current).toBe(cancelClient);
    await user.click(screen.getByRole('button', { name: 'Stop generating' }));
    await act(async () => {
      await done;
    });
    expect(cancelClient.getMutationCache().getAll()).toHaveLength(1);
    expect(appClient.getMutationCache().getAll()).toHaveLength(0);
  });

  it('a QueryClientProvider nested inside ModelStreamProvider is the nearer one and wins', () => {
    const outer = new QueryClient();
    const inner = new QueryClient();
    const seen = { current: null as QueryClient | null };
    function Probe() {
      seen.current = useCancelQueryClient();
      return null;
    }
    render(
      <ModelStreamProvider queryClient={outer}>
        <QueryClientProvider client={inner}>
          <Probe />
        </QueryClientProvider>
      </ModelStreamProvider>,
    );
    expect(seen.current).toBe(inner);
  });
});
