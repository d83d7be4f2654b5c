// @vitest-environment jsdom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, cleanup, render } from '@testing-library/react';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StopResult } from '../../src/core/createStreamSession';
import { useModelStream, type UseModelStreamResult } from '../../src/index';
import { createMessageStore, type Message, type MessageStore } from '../../src/store/index';
import { startHttpServer, type TestServer } from '../helpers/httpServer';
import { failOnConsole } from '../react/setup';
import { mutatedFixture, splitFixture } from './mutations';

// Fuzzing through the hook (docs/RELIABILITY.md, "Fuzzing"): every shared fixture mutated (bytes
// flipped, cut, a slice duplicated, two events swapped; test/faults/mutations.ts), served by a real
// node:http server on 127.0.0.1 in chunks split at random points, read by useModelStream in a
// mounted component, hook-local or into a createMessageStore() store, with `throttle` 'frame'
// (jsdom's rAF) or `false`, and in some runs a Stop at a random chunk (with or without a cancel
// endpoint). Whatever the bytes, the outcome is defined: start() resolves, nothing is thrown or
// rejected unhandled, no React warning, nothing is left streaming, and the store, the hook and
// the resolved message agree on the text.
//
// Short run in every `npm test`; FUZZ_RUNS=<n> for a long one (the same flag as fuzz.test.ts):
//   FUZZ_RUNS=2000 npx vitest run test/faults/hook-fuzz.test.tsx

failOnConsole();

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
/** Real-time bound on one run's start(); a hang fails the run with this message, not a test timeout. */
const GUARD_MS = 10_000;

type Case = { chunks: Uint8Array[]; contentType: string; written: number };
const cases = new Map<string, Case>();
let nextCase = 0;
let server: TestServer;

// Uncaught exceptions and unhandled rejections, in Node and in the jsdom window (reportError).
const uncaught: unknown[] = [];
const onProcessError = (error: unknown) => uncaught.push(error);
const onWindowError = (event: ErrorEvent) => uncaught.push(event.error ?? event.message);

beforeAll(async () => {
  process.on('uncaughtException', onProcessError);
  process.on('unhandledRejection', onProcessError);
  window.addEventListener('error', onWindowError);
  server = await startHttpServer(async ({ url, body, res, closed }) => {
    if (url === '/cancel') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'cancelled', usage: null, usageEstimated: false }));
      return;
    }
    const entry = cases.get((JSON.parse(body) as { input: string }).input);
    if (!entry) throw new Error('unknown case');
    let gone = false;
    void closed.then(() => (gone = true));
    res.writeHead(200, { 'content-type': entry.contentType, 'cache-control': 'no-cache' });
    res.flushHeaders();
    for (const chunk of entry.chunks) {
      // A turn of the event loop between chunks, so they leave as separate writes (noDelay).
      await new Promise((resolve) => setImmediate(resolve));
      if (gone) return;
      res.write(chunk);
      entry.written++;
    }
    res.end();
  });
});

afterAll(async () => {
  process.off('uncaughtException', onProcessError);
  process.off('unhandledRejection', onProcessError);
  window.removeEventListener('error', onWindowError);
  await server.close();
});

afterEach(() => {
  cases.clear();
});

/** act() turns of one `setImmediate` each until `done()`, bounded in real time. */
async function actUntil(done: () => boolean, what: string): Promise<void> {
  const end = performance.now() + GUARD_MS;
  while (!done()) {
    if (performance.now() > end) throw new Error(`${what}: not after ${GUARD_MS} ms`);
    await act(async () => {
      await new Promise((resolve) => setImmediate(resolve));
    });
  }
}

const TERMINAL = ['complete', 'incomplete'];

const scenario = fc.record({
  /** Mostly mutated; one run in three a fixture as recorded, so Stop and `complete` are exercised on healthy streams too. */
  fixture: fc.oneof({ arbitrary: mutatedFixture, weight: 2 }, { arbitrary: splitFixture, weight: 1 }),
  inStore: fc.boolean(),
  throttle: fc.constantFrom<'frame' | false>('frame', false),
  /** Stop after the server wrote this many chunks (0: before the first byte); null: no Stop. */
  stopAfter: fc.option(fc.nat({ max: 14 }), { nil: null, freq: 2 }),
  withCancelApi: fc.boolean(),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/** Counts of what the runs did, so the log shows the property was exercised (not vacuous). */
const seen = { runs: 0, store: 0, stops: 0, confirmed: 0, byOutcome: {} as Record<string, number> };

async function runOnce({ fixture, inStore, throttle, stopAfter, withCancelApi }: Scenario) {
  const id = `case-${nextCase++}`;
  const uncaughtBefore = uncaught.length;
  const entry: Case = { chunks: fixture.chunks, contentType: fixture.contentType, written: 0 };
  cases.set(id, entry);
  const store: MessageStore | undefined = inStore ? createMessageStore() : undefined;
  const client = new QueryClient({ defaultOptions: { mutations: { gcTime: 0 }, queries: { gcTime: 0 } } });
  const url = server.url;
  let chat!: UseModelStreamResult;
  function Chat() {
    chat = useModelStream({
      api: `${url}/chat`,
      cancelApi: withCancelApi ? `${url}/cancel` : undefined,
      store,
      conversationId: id,
      throttle,
      drainMs: 20,
    });
    return <p data-testid="text">{chat.text}</p>;
  }
  const view = render(
    <QueryClientProvider client={client}>
      <Chat />
    </QueryClientProvider>,
  );
  try {
    let final: Message | null = null;
    let stopped: StopResult | null = null;
    await act(async () => {
      void chat.start(id).then((message) => (final = message));
    });
    if (stopAfter !== null) {
      await actUntil(() => entry.written >= Math.min(stopAfter, entry.chunks.length) || final !== null, `${id}: chunk ${stopAfter} written`);
      await act(async () => {
        void chat.stop().then((result) => (stopped = result));
      });
      seen.stops++;
    }
    await actUntil(() => final !== null, `${id}: start() resolved`);
    await actUntil(() => TERMINAL.includes(chat.status), `${id}: terminal status rendered`);
    if (stopAfter !== null) await actUntil(() => stopped !== null, `${id}: stop() resolved`);

    const message = final! as Message;
    // Nothing left streaming: the resolved message, the hook, its tool calls.
    expect(TERMINAL).toContain(message.status);
    expect(chat.status).toBe(message.status);
    if (message.status === 'incomplete') expect(message.incomplete?.reason).toBeTruthy();
    for (const call of [...message.toolCalls, ...chat.toolCalls]) expect(call.state).not.toBe('streaming');
    // The hook's text is the resolved message's text and what is rendered.
    expect(chat.text).toBe(message.text);
    expect(view.getByTestId('text').textContent).toBe(chat.text);
    // The message the app reads (store or hook-local) is the same, and ended.
    expect(chat.message).not.toBeNull();
    expect(chat.message!.status).toBe(message.status);
    expect(chat.message!.text).toBe(chat.text);
    for (const call of chat.message!.toolCalls) expect(call.state).not.toBe('streaming');
    if (store) {
      const stored = store.getState().messages[message.id];
      expect(stored, 'the answer is in the store').toBeDefined();
      expect(stored!.status).toBe(message.status);
      expect(stored!.text).toBe(chat.text);
      for (const call of stored!.toolCalls) expect(call.state).not.toBe('streaming');
      for (const m of Object.values(store.getState().messages)) expect(['streaming', 'stopping']).not.toContain(m.status);
      seen.store++;
    }
    // A Stop the server confirmed ends the message cancelled and confirmed.
    const stopResult = stopped as StopResult | null;
    if (stopResult?.serverConfirmed) {
      expect(message.incomplete).toMatchObject({ reason: 'cancelled', serverConfirmed: true });
      seen.confirmed++;
    }
    expect(uncaught.slice(uncaughtBefore), 'uncaught exceptions / unhandled rejections').toEqual([]);
    const outcome = message.status === 'complete' ? 'complete' : `incomplete/${message.incomplete?.reason}`;
    seen.byOutcome[outcome] = (seen.byOutcome[outcome] ?? 0) + 1;
    seen.runs++;
  } finally {
    // cleanup(), not view.unmount(): it also takes the container out of the document and out of
    // RTL's list of mounted roots, which would otherwise keep every run's fiber tree (and its
    // stream) alive; over a long FUZZ_RUNS run that is gigabytes.
    cleanup();
    client.clear();
    cases.delete(id);
    // The test server logs every request; a long run needs none of them.
    server.requests.length = 0;
    server.events.length = 0;
  }
}

describe(`fuzzing through useModelStream over a real socket (${RUNS} runs; FUZZ_RUNS raises it)`, () => {
  it(
    'mutated fixtures, random splits, random Stop: start() resolves, nothing thrown, nothing left streaming, store = hook = resolved text',
    async () => {
      const started = performance.now();
      await fc.assert(fc.asyncProperty(scenario, runOnce), { numRuns: RUNS });
      // Late ones (after their run) too.
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(uncaught, 'uncaught exceptions / unhandled rejections').toEqual([]);
      console.info(`[hook-fuzz] ${JSON.stringify(seen)} in ${Math.round(performance.now() - started)} ms`);
      expect(seen.runs).toBeGreaterThanOrEqual(RUNS);
      // The short run is large enough to hit each branch (else the property says little).
      if (RUNS >= 60) {
        expect(seen.store).toBeGreaterThan(0);
        expect(seen.stops).toBeGreaterThan(0);
        expect(seen.byOutcome.complete ?? 0).toBeGreaterThan(0);
      }
    },
    20_000 + RUNS * 500,
  );
});
