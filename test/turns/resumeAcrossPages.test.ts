/**
 * Resume across pages (docs/resume.md, "After a reload"), in Node against the library's own server
 * over real HTTP: a page that leaves mid-answer, and the next one (a reload) or one of the other
 * tabs resumes the stream into the same message. Each "page" is a fresh module graph
 * (`vi.resetModules`), so it has its own module state, as a page has; the pages share one
 * `localStorage` (a Map-backed stand-in: Node has none) and, for the two-tab case, one Web Locks
 * manager (a FIFO stand-in with the API's grant order). Chromium runs the real ones: e2e/resume.mjs.
 */
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MessageStore } from '../../src/store/types';
import type { TurnController } from '../../src/turns/createTurnController';
import { fifoLocks, leave, memoryStorage, recordingRunCancel, waitFor } from './helpers';

const WORDS = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen '.repeat(4).trim();

type Page = { store: MessageStore; controller: TurnController<string, string>; stopWatching: () => void };
type App = { url: string; server: Server; resumes: () => number; close(): Promise<void> };

let app: App | null = null;
let pages: Page[] = [];

beforeEach(() => {
  vi.stubGlobal('localStorage', memoryStorage());
  vi.stubGlobal('navigator', { locks: fifoLocks() });
});

afterEach(async () => {
  for (const page of pages) page.stopWatching();
  pages = [];
  await app?.close();
  app = null;
  vi.unstubAllGlobals();
});

async function startApp(resume: { detachedMs?: number; ttlMs?: number } = {}): Promise<App> {
  const { createStreamRegistry, createFakeModel, handleModelStream, handleResume, handleCancel, toNodeHandler } = await import('../../src/server/index');
  const registry = createStreamRegistry();
  const model = createFakeModel({ protocol: 'anthropic', intervalMs: 8, script: { text: WORDS }, id: 'msg_fixed' });
  let resumes = 0;
  const stream = toNodeHandler((request) => handleModelStream(request, { registry, resume, upstream: (signal) => model.stream(signal) }));
  const resumeHandler = toNodeHandler((request) => {
    resumes++;
    return handleResume(request, { registry });
  });
  const cancel = toNodeHandler((request) => handleCancel(request, { registry }));
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/resume') return resumeHandler(req, res);
    if (path === '/cancel') return cancel(req, res);
    return stream(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    resumes: () => resumes,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await registry.close();
    },
  };
}

/** A page: a fresh module graph, a persisted store over the shared storage, a controller that watches (as the hook's does). */
async function openPage(): Promise<Page> {
  vi.resetModules();
  const { createMessageStore } = await import('../../src/store/index');
  const { createTurnController } = await import('../../src/turns/createTurnController');
  const store = createMessageStore({ persist: { name: 'chat', throttleMs: 0 } });
  const { runCancel } = recordingRunCancel<string>();
  const controller = createTurnController<string, string>(
    { api: `${app!.url}/stream`, resumeApi: `${app!.url}/resume`, cancelApi: `${app!.url}/cancel`, store, conversationId: 'c1', throttle: false, reconnect: { minDelayMs: 1, maxDelayMs: 5 } },
    runCancel,
  );
  const page = { store, controller, stopWatching: controller.watch('client') };
  pages.push(page);
  return page;
}


const assistantOf = (store: MessageStore) => Object.values(store.getState().messages).find((m) => m.role === 'assistant')!;

describe('resume across pages', () => {
  it('a reload mid-answer resumes the stream into the same message, which ends complete and whole', async () => {
    app = await startApp();
    const first = await openPage();
    void first.controller.start('Count', 'client');
    await waitFor(() => (first.controller.get()?.session.getSnapshot().message.text.length ?? 0) > 20, 'some text');
    await new Promise((resolve) => setTimeout(resolve, 20)); // the record is written (lazily loaded module)
    expect(localStorage.getItem('chat:streams')).toContain(first.controller.get()!.session.getSnapshot().streamId);
    // The secret is in its own key, never in the messages.
    expect(localStorage.getItem('chat')).not.toContain(first.controller.get()!.secret!);
    const shownBefore = assistantOf(first.store).text;
    leave(first);

    const second = await openPage();
    const message = () => assistantOf(second.store);
    expect(message().text.startsWith(shownBefore.slice(0, 10))).toBe(true);
    await waitFor(() => message().status === 'complete', 'the resumed message completes');
    expect(message().text).toBe(WORDS);
    expect(message().incomplete).toBeUndefined();
    expect(app.resumes()).toBe(1);
    await waitFor(() => localStorage.getItem('chat:streams') === null, 'the record is forgotten');
  });

  it('a stream past its log lifetime leaves the message disconnected, unchanged, and its record forgotten', async () => {
    app = await startApp({ detachedMs: 50, ttlMs: 100 });
    const first = await openPage();
    void first.controller.start('Count', 'client');
    await waitFor(() => (first.controller.get()?.session.getSnapshot().message.text.length ?? 0) > 20, 'some text');
    await new Promise((resolve) => setTimeout(resolve, 20));
    leave(first);
    await new Promise((resolve) => setTimeout(resolve, 500)); // detached bound, then the log's TTL
    const second = await openPage();
    const before = assistantOf(second.store);
    expect(before.incomplete?.reason).toBe('disconnected');
    await waitFor(() => app!.resumes() === 1 && localStorage.getItem('chat:streams') === null, 'the resume answered 404 and the record went');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(assistantOf(second.store)).toEqual(before);
  });

  it('two other tabs: exactly one takes the stream over when the tab that ran it closes', async () => {
    app = await startApp();
    const owner = await openPage();
    void owner.controller.start('Count', 'client');
    await waitFor(() => (owner.controller.get()?.session.getSnapshot().message.text.length ?? 0) > 20, 'some text');
    await new Promise((resolve) => setTimeout(resolve, 20));
    owner.store.flushPersisted();
    // Two tabs open meanwhile: they wait for the owner's lock.
    const b = await openPage();
    const c = await openPage();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(app.resumes()).toBe(0);
    leave(owner);
    await waitFor(() => [b, c].some((tab) => assistantOf(tab.store).status === 'complete'), 'one tab completes the message');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(app.resumes()).toBe(1);
    const winner = [b, c].find((tab) => assistantOf(tab.store).status === 'complete')!;
    expect(assistantOf(winner.store).text).toBe(WORDS);
  });

  it('a stream\'s record is written only once its page holds the stream\'s lock, so a tab that sees the record always waits', async () => {
    // The browser grants a lock after a round trip to its lock manager, while another tab gets the
    // record's storage event on its own: a record written before the lock is held lets that tab
    // take the free lock and resume a stream its owner still runs (seen in Chromium: e2e/run.mjs,
    // two tabs, tab B resumed tab A's running answer "from the start").
    const held = new Set<string>();
    const unlockedWrites: string[] = [];
    vi.stubGlobal('navigator', {
      locks: {
        async request(name: string, callback: () => Promise<unknown>) {
          await new Promise((resolve) => setTimeout(resolve, 10));
          held.add(name);
          try {
            return await callback();
          } finally {
            held.delete(name);
          }
        },
      },
    });
    const storage = localStorage;
    const setItem = storage.setItem.bind(storage);
    storage.setItem = (key: string, value: string) => {
      if (key === 'chat:streams') {
        for (const record of JSON.parse(value) as { streamId: string }[]) {
          if (!held.has(`react-model-stream:${record.streamId}`)) unlockedWrites.push(record.streamId);
        }
      }
      setItem(key, value);
    };
    app = await startApp();
    const owner = await openPage();
    void owner.controller.start('Count', 'client');
    await waitFor(() => localStorage.getItem('chat:streams') !== null, 'the record is written');
    expect(unlockedWrites).toEqual([]);
    await waitFor(() => assistantOf(owner.store).status === 'complete', 'the answer completes');
    await waitFor(() => localStorage.getItem('chat:streams') === null, 'the record is forgotten');
  });

  it('a tab waiting for the lock does not resume a stream that ended, though the record\'s removal reaches its storage late', async () => {
    // Chromium syncs `localStorage` between tabs on its own, later than the lock manager grants the
    // freed lock: seen in e2e/run.mjs, two tabs, tab B resumed tab A's complete answer "from the
    // start" (1 run in 4). Here the storage shows the records as they were for 100 ms after a change.
    const storage = localStorage;
    const { getItem, setItem, removeItem } = { getItem: storage.getItem.bind(storage), setItem: storage.setItem.bind(storage), removeItem: storage.removeItem.bind(storage) };
    let stale: { value: string | null; until: number } | null = null;
    const lagging = (change: () => void) => {
      const value = getItem('chat:streams');
      change();
      stale = { value, until: Date.now() + 100 };
    };
    storage.getItem = (key: string) => (key === 'chat:streams' && stale && Date.now() < stale.until ? stale.value : getItem(key));
    storage.setItem = (key: string, value: string) => (key === 'chat:streams' ? lagging(() => setItem(key, value)) : setItem(key, value));
    storage.removeItem = (key: string) => (key === 'chat:streams' ? lagging(() => removeItem(key)) : removeItem(key));
    app = await startApp();
    const owner = await openPage();
    void owner.controller.start('Count', 'client');
    await waitFor(() => getItem('chat:streams') !== null && Date.now() > stale!.until, 'the record is written and shown');
    // Another tab opens: it finds the record and waits for the owner's lock.
    const b = await openPage();
    await waitFor(() => assistantOf(owner.store).status === 'complete', 'the answer completes');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(getItem('chat:streams')).toBeNull();
    expect(app.resumes()).toBe(0);
    expect(b.controller.get()).toBeNull();
  });

  it('Stop on a resumed stream cancels it on the server: confirmed', async () => {
    app = await startApp();
    const first = await openPage();
    void first.controller.start('Count', 'client');
    await waitFor(() => (first.controller.get()?.session.getSnapshot().message.text.length ?? 0) > 20, 'some text');
    await new Promise((resolve) => setTimeout(resolve, 20));
    leave(first);
    const second = await openPage();
    await waitFor(() => second.controller.get()?.session.getSnapshot().status === 'streaming', 'the resumed stream is streaming');
    const result = await second.controller.stop();
    expect(result.serverConfirmed).toBe(true);
    await waitFor(() => assistantOf(second.store).status === 'incomplete', 'marked');
    expect(assistantOf(second.store).incomplete).toMatchObject({ reason: 'cancelled', serverConfirmed: true });
    await waitFor(() => localStorage.getItem('chat:streams') === null, 'the record is forgotten');
  });
});
