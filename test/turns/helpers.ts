import type { MessageStore } from '../../src/store/types';
import type { TurnController } from '../../src/turns/createTurnController';
import type { RunCancel } from '../../src/turns/types';

/** One AI SDK UI message stream part as an SSE event. */
export const part = (value: unknown): string => `data: ${JSON.stringify(value)}\n\n`;

/** What the fake `fetch` was asked, one entry per stream request. */
export type FetchCall = { url: string; init: RequestInit; write: (text: string) => void; end: () => void };

/**
 * A `fetch` in the same process: each call answers an SSE stream the test writes to (`write`,
 * `end`), aborted with the request's signal. No server and no React: the turns run in plain Node.
 */
export function createFakeFetch() {
  const calls: FetchCall[] = [];
  const encoder = new TextEncoder();
  const fetch = ((input: string | URL | Request, init: RequestInit = {}) => {
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
    init.signal?.addEventListener('abort', () => {
      try {
        controller.error(init.signal!.reason);
      } catch {
        // already closed
      }
    });
    calls.push({
      url: String(input),
      init,
      write: (text) => controller.enqueue(encoder.encode(text)),
      end: () => controller.close(),
    });
    return Promise.resolve(new Response(body, { headers: { 'content-type': 'text/event-stream' } }));
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

/** Sends `text` as a whole answer on `call` and ends it. */
export function answer(call: FetchCall, text: string): void {
  call.write(part({ type: 'start' }) + part({ type: 'text-delta', id: '0', delta: text }) + part({ type: 'finish' }));
  call.end();
}

/** A `runCancel` that records which client each cancel ran on, and answers cancelled. */
export function recordingRunCancel<Client>(): { runCancel: RunCancel<Client>; clients: Client[] } {
  const clients: Client[] = [];
  const runCancel: RunCancel<Client> = (client) => async () => {
    clients.push(client());
    return { confirmed: true, usage: null };
  };
  return { runCancel, clients };
}

/** A `localStorage` of one test's own (a page's storage, shared by the pages of a test). */
export function memoryStorage(): Storage {
  const data = new Map<string, string>();
  return {
    get length() {
      return data.size;
    },
    key: (i) => [...data.keys()][i] ?? null,
    getItem: (key) => data.get(key) ?? null,
    setItem: (key, value) => void data.set(key, String(value)),
    removeItem: (key) => void data.delete(key),
    clear: () => data.clear(),
  };
}

/** Web Locks as the browser grants them: one holder per name, waiters in request order; `query()` names the held ones. */
export function fifoLocks() {
  const tails = new Map<string, Promise<unknown>>();
  const held: string[] = [];
  return {
    request(name: string, callback: () => Promise<unknown>) {
      const run = (tails.get(name) ?? Promise.resolve()).then(async () => {
        held.push(name);
        try {
          return await callback();
        } finally {
          held.splice(held.indexOf(name), 1);
        }
      });
      tails.set(name, run.catch(() => {}));
      return run;
    },
    query: async () => ({ held: held.map((name) => ({ name })), pending: [] }),
  };
}

/** A page of the resume tests: its persisted store, its controller and its watch. */
export type ResumePage = { store: MessageStore; controller: TurnController<string, string>; stopWatching: () => void };

/** The page goes away: its pagehide disconnects the stream, its last state is written. */
export function leave(page: ResumePage): void {
  page.controller.get()?.session.disconnect();
  page.store.flushPersisted();
  page.stopWatching();
}

/** Polls `condition` every 5 ms until it holds, or fails naming `what` after `ms`. */
export const waitFor = async (condition: () => boolean, what: string, ms = 8000) => {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};
