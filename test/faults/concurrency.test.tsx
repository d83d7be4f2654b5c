// @vitest-environment jsdom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, cleanup, render } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useModelStream, type UseModelStreamResult } from '../../src/index';
import { createMessageStore, type MessageStore } from '../../src/store/index';
import { startHttpServer, type TestServer } from '../helpers/httpServer';
import { failOnConsole, part, SSE_HEADERS } from '../react/setup';

// Concurrency and leaks (see docs/RELIABILITY.md, "Concurrency and leaks"): many streams in one
// store stopped at once, and many mount → start → stop → unmount cycles with no timer, listener
// or connection left behind. failOnConsole() makes any React warning (setState after unmount,
// act(...)) fail the test. LEAK_CYCLES=<n> sets the number of cycles (default 200).
// The heap check is test/heap/heap.test.ts (vitest project `heap`, `--expose-gc`; the cycles live in
// scripts/leak-harness.mjs, also run against dist/ by scripts/leak-check.mjs).

failOnConsole();

const CYCLES = Number(process.env.LEAK_CYCLES ?? 200);
const STREAMS = 50;

let server: TestServer | null = null;
afterEach(async () => {
  cleanup();
  await server?.close();
  server = null;
});

/** A server whose /chat streams `Hello` and then holds the connection open; /cancel confirms. */
async function startModelServer() {
  /** Ordered log per stream id: `cancel <id>` (cancel request received), `close <id>` (stream connection closed). */
  const log: string[] = [];
  const s = await startHttpServer(({ url, res, headers, body, closed }) => {
    if (url === '/cancel') {
      const { streamId } = JSON.parse(body) as { streamId: string };
      log.push(`cancel ${streamId}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'cancelled', usage: null, usageEstimated: false }));
      return;
    }
    const id = String(headers['x-stream-id']);
    void closed.then(() => log.push(`close ${id}`));
    res.writeHead(200, SSE_HEADERS);
    res.write(part({ type: 'start', messageId: `m-${id}` }) + part({ type: 'text-start', id: '0' }) + part({ type: 'text-delta', id: '0', delta: 'Hello' }));
  });
  const chatRequests = () => s.requests.filter((r) => r.url === '/chat');
  return { server: s, log, chatRequests };
}

/** Resolves once `promise` settles, or rejects after `ms` with `what` (a stuck stream fails loudly, not by test timeout). */
function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done after ${ms} ms`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

/**
 * Runs act() turns (one macrotask each, `setImmediate`: not one of the counted timers) until `done()`
 * holds: inside a single async act() React defers renders and effects to the end of the scope,
 * so rendered state is observed between turns.
 */
async function actUntil(done: () => boolean, ms: number, what: string): Promise<void> {
  const until = performance.now() + ms;
  while (!done()) {
    if (performance.now() > until) throw new Error(`${what}: not done after ${ms} ms`);
    await act(async () => {
      await new Promise((resolve) => setImmediate(resolve));
    });
  }
}

type ChatProps = {
  url: string;
  store?: MessageStore;
  conversationId?: string;
  throttle?: 'frame' | false;
  onHandle: (chat: UseModelStreamResult) => void;
};

function Chat({ url, store, conversationId, throttle, onHandle }: ChatProps) {
  const chat = useModelStream({ api: `${url}/chat`, cancelApi: `${url}/cancel`, store, conversationId, throttle, drainMs: 20 });
  onHandle(chat);
  return <p>{chat.text}</p>;
}

/** A QueryClient whose finished cancel mutations leave the cache at once (gcTime 0), so its gc timers fire. */
const quickClient = () => new QueryClient({ defaultOptions: { mutations: { gcTime: 0 }, queries: { gcTime: 0 } } });

describe('concurrency', () => {
  it(`${STREAMS} hooks streaming into one store, all stopped at once: every cancel reaches the server before its stream closes`, async () => {
    const model = await startModelServer();
    server = model.server;
    const store = createMessageStore();
    const handles: UseModelStreamResult[] = [];
    const client = quickClient();
    render(
      <QueryClientProvider client={client}>
        {Array.from({ length: STREAMS }, (_, i) => (
          <Chat key={i} url={server!.url} store={store} conversationId={`c${i}`} throttle={false} onHandle={(chat) => (handles[i] = chat)} />
        ))}
      </QueryClientProvider>,
    );

    const finals: Promise<unknown>[] = [];
    await act(async () => {
      for (const [i, handle] of handles.entries()) finals.push(handle.start(`question ${i}`));
    });
    await actUntil(() => handles.every((h) => h.text === 'Hello'), 15_000, 'first text of all streams');
    expect(handles.map((h) => h.status)).toEqual(Array(STREAMS).fill('streaming'));
    const streamIds = handles.map((h) => h.streamId!);
    expect(new Set(streamIds).size).toBe(STREAMS);

    let stopped: unknown[] = [];
    await act(async () => {
      stopped = await bounded(Promise.all(handles.map((h) => h.stop())), 15_000, 'Promise.all(stop())');
      await bounded(Promise.all(finals), 15_000, 'every start() resolved');
    });
    expect(stopped).toEqual(Array(STREAMS).fill({ serverConfirmed: true }));

    // The server saw every stream's connection close, and each cancel before its own close.
    await bounded(Promise.all(model.chatRequests().map((r) => r.closed)), 10_000, 'stream connections closed');
    expect(model.chatRequests()).toHaveLength(STREAMS);
    expect(model.log.filter((e) => e.startsWith('cancel '))).toHaveLength(STREAMS);
    for (const id of streamIds) {
      const cancelAt = model.log.indexOf(`cancel ${id}`);
      const closeAt = model.log.indexOf(`close ${id}`);
      expect(cancelAt, `cancel ${id} in log`).toBeGreaterThanOrEqual(0);
      expect(closeAt, `close ${id} in log`).toBeGreaterThan(cancelAt);
    }

    // The store: 50 conversations of user + assistant, every answer cancelled (server-confirmed), none left streaming.
    const { messages } = store.getState();
    const all = Object.values(messages);
    expect(all).toHaveLength(2 * STREAMS);
    expect(all.filter((m) => m.status === 'streaming' || m.status === 'stopping')).toEqual([]);
    const answers = all.filter((m) => m.role === 'assistant');
    expect(answers).toHaveLength(STREAMS);
    for (const answer of answers) {
      expect(answer.status).toBe('incomplete');
      expect(answer.incomplete).toEqual({ reason: 'cancelled', serverConfirmed: true });
      expect(answer.text).toBe('Hello');
    }
    expect(new Set(answers.map((m) => m.streamId))).toEqual(new Set(streamIds));
    expect(handles.map((h) => h.status)).toEqual(Array(STREAMS).fill('incomplete'));
    client.clear();
  }, 60_000);
});

type Live = { kind: string; stack: string };

/**
 * Counts timer handles through spies on globalThis: live = created − cleared − fired, each with the
 * stack that created it, so a leftover can be attributed (library = a frame in /src/).
 */
function trackTimers() {
  const live = new Map<unknown, Live>();
  const counts = { created: 0, cleared: 0, fired: 0, byKind: {} as Record<string, number> };
  const g = globalThis as unknown as Record<string, (...args: unknown[]) => unknown>;
  const realSetTimeout = g.setTimeout!.bind(globalThis);
  const realSetInterval = g.setInterval!.bind(globalThis);
  const realRaf = g.requestAnimationFrame?.bind(globalThis);
  const realClearTimeout = g.clearTimeout!.bind(globalThis);
  const realClearInterval = g.clearInterval!.bind(globalThis);
  const realCancelRaf = g.cancelAnimationFrame?.bind(globalThis);
  const key = (handle: unknown) => (typeof handle === 'object' && handle !== null ? handle : `n${String(handle)}`);
  const created = (kind: string, handle: unknown) => {
    counts.created++;
    counts.byKind[kind] = (counts.byKind[kind] ?? 0) + 1;
    live.set(key(handle), { kind, stack: new Error().stack ?? '' });
  };
  const cleared = (handle: unknown) => {
    if (live.delete(key(handle))) counts.cleared++;
  };
  // Node's Timeout objects, jsdom's numbers: the same handle is passed to clear*, and Node's
  // clearTimeout also accepts the numeric id of a Timeout.
  const numeric = new Map<string, unknown>();
  const spies: { mockRestore: () => void }[] = [
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      let handle: unknown;
      handle = realSetTimeout((...a: unknown[]) => {
        if (live.delete(key(handle))) counts.fired++;
        callback(...a);
      }, ms, ...args);
      created('setTimeout', handle);
      if (typeof handle === 'object' && handle !== null) numeric.set(`n${Number(handle)}`, handle);
      return handle;
    }) as never),
    vi.spyOn(globalThis, 'setInterval').mockImplementation(((callback: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      const handle = realSetInterval(callback, ms, ...args);
      created('setInterval', handle);
      return handle;
    }) as never),
    vi.spyOn(globalThis, 'clearTimeout').mockImplementation(((handle: unknown) => {
      cleared(numeric.get(`n${String(handle)}`) ?? handle);
      realClearTimeout(handle);
    }) as never),
    vi.spyOn(globalThis, 'clearInterval').mockImplementation(((handle: unknown) => {
      cleared(handle);
      realClearInterval(handle);
    }) as never),
  ];
  if (realRaf && realCancelRaf) {
    spies.push(
      vi.spyOn(globalThis, 'requestAnimationFrame').mockImplementation(((callback: (t: number) => void) => {
        let handle: unknown;
        handle = realRaf((t: number) => {
          if (live.delete(key(handle))) counts.fired++;
          callback(t);
        });
        created('requestAnimationFrame', handle);
        return handle;
      }) as never),
      vi.spyOn(globalThis, 'cancelAnimationFrame').mockImplementation(((handle: unknown) => {
        cleared(handle);
        realCancelRaf(handle);
      }) as never),
    );
  }
  const fromLibrary = (entry: Live) => entry.stack.split('\n').some((line) => /[\\/]src[\\/](core|react|store)[\\/]/.test(line));
  return {
    counts,
    hasRaf: Boolean(realRaf),
    live: () => [...live.values()],
    libraryLive: () => [...live.values()].filter(fromLibrary),
    restore: () => spies.forEach((spy) => spy.mockRestore()),
  };
}

/** Counts window listeners per event type: added − removed (same type and listener). */
function trackWindowListeners() {
  const listeners = new Map<string, Set<unknown>>();
  const added: Record<string, number> = {};
  const add = vi.spyOn(window, 'addEventListener');
  const remove = vi.spyOn(window, 'removeEventListener');
  const balance = () => {
    for (const [type, listener] of add.mock.calls) {
      added[type] = (added[type] ?? 0) + 1;
      let set = listeners.get(type);
      if (!set) listeners.set(type, (set = new Set()));
      set.add(listener);
    }
    for (const [type, listener] of remove.mock.calls) listeners.get(type)?.delete(listener);
    return { added, live: Object.fromEntries([...listeners].map(([type, set]) => [type, set.size])) };
  };
  return { balance, restore: () => (add.mockRestore(), remove.mockRestore()) };
}

describe('leaks', () => {
  it(`${CYCLES} cycles of mount → start → first text → stop → unmount: no timer, window listener or connection left, no React warning`, async () => {
    const model = await startModelServer();
    server = model.server;
    const url = server.url;
    const client = quickClient();
    const timers = trackTimers();
    const windowListeners = trackWindowListeners();
    const startedAt = performance.now();
    // React 19 no longer warns about setState on an unmounted component, so also count renders
    // of a cycle's component after its unmount (there must be none).
    let rendersAfterUnmount = 0;
    try {
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        // Half the cycles hook-local, half in a store (its own conversation per cycle); default throttle ('frame', rAF).
        const store = cycle % 2 === 1 ? createMessageStore() : undefined;
        let handle!: UseModelStreamResult;
        let gone = false;
        const wrap = (children: ReactNode) => <QueryClientProvider client={client}>{children}</QueryClientProvider>;
        const view = render(wrap(<Chat url={url} store={store} conversationId={`k${cycle}`} onHandle={(chat) => {
          if (gone) rendersAfterUnmount++;
          handle = chat;
        }} />));
        let final!: Promise<unknown>;
        await act(async () => {
          final = handle.start(`cycle ${cycle}`);
        });
        await actUntil(() => handle.text === 'Hello', 10_000, `cycle ${cycle}: first text`);
        await act(async () => {
          const stopped = await bounded(handle.stop(), 10_000, `cycle ${cycle}: stop()`);
          expect(stopped).toEqual({ serverConfirmed: true });
          await bounded(final, 10_000, `cycle ${cycle}: start() resolved`);
        });
        expect(handle.status).toBe('incomplete');
        act(() => view.unmount());
        gone = true;
      }
      // Let the deferred unmount disconnect (setTimeout 0), the last frame and the gcTime-0 timers run.
      await act(async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
      });
      const elapsed = performance.now() - startedAt;

      const chats = model.chatRequests();
      expect(chats).toHaveLength(CYCLES);
      const closes = await bounded(Promise.all(chats.map((r) => r.closed)), 10_000, 'every stream connection closed');
      expect(closes.every((c) => c.aborted)).toBe(true);
      expect(model.log.filter((e) => e.startsWith('cancel '))).toHaveLength(CYCLES);

      const libraryLive = timers.libraryLive();
      // Node's fetch (undici) keeps idle keep-alive connections in its pool, each with a parser
      // timer (keep-alive timeout); they belong to the pool, not to a stream, and are allowed.
      const undiciLive = timers.live().filter((entry) => !libraryLive.includes(entry) && entry.stack.includes('undici'));
      const otherLive = timers.live().filter((entry) => !libraryLive.includes(entry) && !undiciLive.includes(entry));
      const { added, live } = windowListeners.balance();
      console.info(
        `[leaks] ${CYCLES} cycles in ${Math.round(elapsed)} ms (${(elapsed / CYCLES).toFixed(1)} ms/cycle); timers created ${timers.counts.created} ${JSON.stringify(timers.counts.byKind)}, ` +
          `fired ${timers.counts.fired}, cleared ${timers.counts.cleared}, live ${timers.live().length} (library ${libraryLive.length}, undici keep-alive ${undiciLive.length}); ` +
          `rAF ${timers.hasRaf ? 'spied' : 'absent'}; window listeners added ${JSON.stringify(added)}, live ${JSON.stringify(live)}`,
      );
      expect(libraryLive.map((entry) => `${entry.kind}\n${entry.stack}`), 'timers created by the library still pending').toEqual([]);
      expect(undiciLive.length, 'undici keep-alive timers (one per pooled connection at most)').toBeLessThanOrEqual(10);
      expect(otherLive.map((entry) => `${entry.kind}\n${entry.stack}`), 'any other timer still pending').toEqual([]);
      expect(rendersAfterUnmount, 'renders after unmount').toBe(0);
      expect(added.pagehide ?? 0).toBeGreaterThanOrEqual(CYCLES);
      expect(Object.values(live).reduce((a, b) => a + b, 0), `window listeners left: ${JSON.stringify(live)}`).toBe(0);
    } finally {
      timers.restore();
      windowListeners.restore();
      client.clear();
    }
  }, 180_000);
});
