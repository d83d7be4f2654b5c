// @vitest-environment jsdom
import type { ServerResponse } from 'node:http';
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useModelStream, type UseModelStreamResult } from '../../src/index';
import { createMessageStore, type Message, type MessageStore } from '../../src/store/index';
import { startHttpServer, type TestServer } from '../helpers/httpServer';
import { createConsumptionTrackingFetch, failOnConsole } from '../react/setup';
import { FINISH, KEEPALIVE_COMMENT, KEEPALIVE_GAP_MS, KEEPALIVE_IDLE_MS, pollUntil, SSE, START, textPart } from './helpers';

// Keep-alive comments only, through useModelStream (docs/RELIABILITY.md, row 15f): 60 s of
// `: keep-alive` comments (fake `setTimeout`/`clearTimeout`; real socket, real server, real
// `setImmediate`) cause no re-render and no store write; then the answer ends the message
// `complete`, or silence ends it through `idleTimeoutMs`. `throttle: false`, the strictest
// setting: every session notification would be a render. failOnConsole(): any React warning fails.

failOnConsole();

const COMMENT = KEEPALIVE_COMMENT;
const GAP_MS = KEEPALIVE_GAP_MS;
const IDLE_MS = KEEPALIVE_IDLE_MS;

let server: TestServer | null = null;
afterEach(async () => {
  cleanup();
  vi.useRealTimers();
  await server?.close();
  server = null;
});

/** act() turns of one real `setImmediate` each until `done()`, bounded in real time. */
const actUntil = (done: () => boolean, what: string) =>
  pollUntil(done, what, (step) =>
    act(async () => {
      await step();
    }),
  );

const advance = (ms: number) =>
  act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });

async function mount(store: MessageStore | undefined) {
  let response: ServerResponse | null = null;
  server = await startHttpServer(({ res }) => {
    res.writeHead(200, SSE);
    res.flushHeaders();
    response = res;
  });
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  const tracking = createConsumptionTrackingFetch();
  const url = server.url;
  const counts = { renders: 0, storeWrites: 0 };
  let chat!: UseModelStreamResult;
  function Chat() {
    chat = useModelStream({ api: `${url}/chat`, fetch: tracking.fetch, store, idleTimeoutMs: IDLE_MS, throttle: false });
    counts.renders++;
    return <p data-testid="text">{chat.text}</p>;
  }
  render(<Chat />);
  store?.subscribe(() => counts.storeWrites++);
  let final: Message | null = null;
  await act(async () => {
    void chat.start('Hi').then((message) => (final = message));
  });
  await actUntil(() => response !== null, 'the request reached the server');
  const res = response as unknown as ServerResponse;
  let sent = '';
  const send = async (text: string) => {
    sent += text;
    res.write(text);
    await actUntil(() => tracking.consumed() === sent, `the session read ${JSON.stringify(text)}`);
  };
  /** The assistant message as the app sees it: the store's in store mode, the hook's own otherwise. */
  const shown = () => chat.message!;
  return { res, counts, send, chat: () => chat, final: () => final as Message | null, shown };
}

type Mounted = Awaited<ReturnType<typeof mount>>;

/** 60 s of comments every 15 s; after the first, no render and no store write. */
async function keepAlives(m: Mounted) {
  await m.send(COMMENT);
  expect(m.chat().status).toBe('streaming');
  const renders = m.counts.renders;
  const writes = m.counts.storeWrites;
  for (let elapsed = GAP_MS; elapsed <= 60_000; elapsed += GAP_MS) {
    await advance(GAP_MS);
    await m.send(COMMENT);
    expect(m.chat().status).toBe('streaming');
  }
  expect(m.counts.renders - renders, 'renders caused by 4 more keep-alives').toBe(0);
  expect(m.counts.storeWrites - writes, 'store writes caused by 4 more keep-alives').toBe(0);
  expect(m.final()).toBeNull();
  expect(m.shown().status).toBe('streaming');
}

describe('keep-alive comments only, for 60 s, through useModelStream (fake timers, real socket)', () => {
  for (const mode of ['hook-local', 'store'] as const) {
    it(`${mode}: no render or store write per keep-alive; then the answer → complete with exactly that text`, async () => {
      const store = mode === 'store' ? createMessageStore() : undefined;
      const m = await mount(store);
      await keepAlives(m);
      const before = m.shown();
      expect(before.text).toBe('');

      await advance(GAP_MS - 1);
      m.res.end(START + textPart('Here is') + textPart(' the answer.') + FINISH);
      await actUntil(() => m.final() !== null && m.chat().status === 'complete', 'the hook rendered the end');
      const final = m.final()!;
      expect(final.status).toBe('complete');
      expect(final.text).toBe('Here is the answer.');
      expect(m.chat().text).toBe('Here is the answer.');
      expect(screen.getByTestId('text').textContent).toBe('Here is the answer.');
      expect(m.shown().status).toBe('complete');
      expect(m.shown().text).toBe('Here is the answer.');
      if (store) {
        const answers = Object.values(store.getState().messages).filter((x) => x.role === 'assistant');
        expect(answers.map((x) => [x.status, x.text])).toEqual([['complete', 'Here is the answer.']]);
      }
    });

    it(`${mode}: content, 60 s of keep-alives, then silence → idleTimeoutMs: incomplete / error (timeout), the text kept`, async () => {
      const store = mode === 'store' ? createMessageStore() : undefined;
      const m = await mount(store);
      await m.send(START + textPart('partial answer, kept'));
      await advance(GAP_MS);
      await keepAlives(m);
      await advance(IDLE_MS - 1);
      expect(m.final()).toBeNull();
      expect(m.chat().status).toBe('streaming');
      await advance(1);
      await actUntil(() => m.final() !== null && m.chat().status === 'incomplete', 'the hook rendered the end');
      const final = m.final()!;
      expect(final.status).toBe('incomplete');
      expect(final.incomplete?.reason).toBe('error');
      expect(final.incomplete?.error).toContain('idleTimeoutMs');
      expect(final.text).toBe('partial answer, kept');
      expect(m.shown()).toMatchObject({ status: 'incomplete', text: 'partial answer, kept', incomplete: { reason: 'error' } });
      expect(screen.getByTestId('text').textContent).toBe('partial answer, kept');
      await expect(server!.requests[0]!.closed).resolves.toEqual({ aborted: true });
    });
  }
});
