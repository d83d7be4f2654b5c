import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createStreamSession, type StreamSession } from '../../src/core/createStreamSession';
import { createMockModelServer, type MockModelServer } from '../../src/testing/index';

// Every delay of the kit is a setTimeout: with fake timers, the pace, a stall of set length and a
// slow cancel land on exact milliseconds, through MSW as through the kit's fetch.

const msw = setupServer();
beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }));
beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  vi.useRealTimers();
  msw.resetHandlers();
});
afterAll(() => msw.close());

const TEXT = 'one two three four five';

function sessionFor(model: MockModelServer, transport: 'msw' | 'fetch'): StreamSession {
  if (transport === 'msw') msw.use(...model.handlers);
  const origin = transport === 'msw' ? 'http://app.test' : '';
  return createStreamSession({
    api: `${origin}${model.api}`,
    cancelApi: `${origin}${model.cancelApi}`,
    body: '{}',
    throttle: false,
    fetch: transport === 'fetch' ? model.fetch : undefined,
  });
}

for (const transport of ['msw', 'fetch'] as const) {
  describe(`fake timers, ${transport}`, () => {
    it('pace: one token every `pace` ms, the first at once; a stall with ms delays the next token by exactly that', async () => {
      const model = createMockModelServer({ protocol: 'openai-chat', script: { text: TEXT }, pace: 100, faults: { stall: { afterTokens: 2, ms: 1000 } } });
      const session = sessionFor(model, transport);
      const done = session.start();
      await model.streamStarted(); // its clock starts when its model does
      await vi.advanceTimersByTimeAsync(0);
      expect(session.getSnapshot().message.text).toBe('one');
      await vi.advanceTimersByTimeAsync(100);
      expect(session.getSnapshot().message.text).toBe('one two');
      await vi.advanceTimersByTimeAsync(1099); // token 3 is due at 200 + 1000 ms
      expect(session.getSnapshot().message.text).toBe('one two');
      await vi.advanceTimersByTimeAsync(1);
      expect(session.getSnapshot().message.text).toBe('one two three');
      await vi.advanceTimersByTimeAsync(300); // four, five, then the finish
      const final = await done;
      expect([final.status, final.message.text]).toEqual(['complete', TEXT]);
    });

    it('a slow cancel answers after exactly delayMs, and the model runs until then', async () => {
      const model = createMockModelServer({ protocol: 'anthropic', script: { text: TEXT }, pace: 100, faults: { cancel: { delayMs: 250 } } });
      const session = sessionFor(model, transport);
      const done = session.start();
      await model.streamStarted(); // its clock starts when its model does
      await vi.advanceTimersByTimeAsync(0);
      let stopped: { serverConfirmed: boolean } | null = null;
      void session.stop().then((result) => (stopped = result));
      await vi.advanceTimersByTimeAsync(249);
      expect(stopped).toBeNull();
      expect(model.cancels[0]!.status).toBeNull();
      expect(model.requests[0]!.run!.tokens).toBe(3); // at 0, 100 and 200 ms: generating while the cancel is slow
      await vi.advanceTimersByTimeAsync(1);
      expect(await model.cancelAnswered()).toMatchObject({ status: 200, answer: { status: 'cancelled' } });
      await vi.advanceTimersByTimeAsync(250); // the drain
      expect(stopped).toEqual({ serverConfirmed: true });
      const final = await done;
      // What the user saw at the click is kept: the text of the first token only.
      expect([final.message.text, final.incomplete?.reason]).toEqual(['one', 'cancelled']);
      expect(model.requests[0]!.run!).toMatchObject({ tokens: 3, tokensAfterAbort: 0, finished: false });
    });

    it('a dropped connection ends the message at once: fake timers need no extra tick (the drop waits for a task, not a timer)', async () => {
      const model = createMockModelServer({ protocol: 'ai-sdk', script: { text: TEXT }, pace: 100, faults: { drop: { afterTokens: 2 } } });
      const session = sessionFor(model, transport);
      const done = session.start();
      await model.streamStarted();
      await vi.advanceTimersByTimeAsync(100); // 'one', ' two', then the body errors
      const final = await done;
      expect([final.status, final.incomplete?.reason, final.message.text]).toEqual(['incomplete', 'disconnected', 'one two']);
    });
  });
}
