import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStreamSession, type StreamSession, type StreamSessionOptions, type StreamSessionSnapshot } from '../../src/core/createStreamSession';
import { StreamAbortedError, StreamHttpError } from '../../src/core/errors';
import { PROTOCOLS, type Protocol } from '../../src/core/types';
import { createMockModelServer, tokenize, type MockCancelFault, type MockModelServer } from '../../src/testing/index';

// The kit end to end, with the library's own client (the stream session) on the other side: every
// wire format through both transports (MSW in Node, and the kit's `fetch`), the stop contract
// against its cancel endpoint, and each fault on demand.

const msw = setupServer();
beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }));
afterEach(() => msw.resetHandlers());
afterAll(() => msw.close());

const SCRIPT = {
  reasoning: 'Think first.',
  text: 'Hello there, how are you today?',
  toolCalls: [{ id: 'call_1', name: 'search_trains', argsFragments: ['{"from":', '"Gen', 'ève","to":"Lyon"}'] }],
  inputTokens: 12,
  outputTokens: 34,
};

type Transport = 'msw' | 'fetch';
const TRANSPORTS: Transport[] = ['msw', 'fetch'];

/** A session against `model` through `transport`; MSW needs an absolute URL in Node (any origin matches a path). */
function sessionFor(model: MockModelServer, transport: Transport, options: Partial<StreamSessionOptions> = {}): StreamSession {
  if (transport === 'msw') msw.use(...model.handlers);
  const origin = transport === 'msw' ? 'http://app.test' : '';
  return createStreamSession({
    api: `${origin}${model.api}`,
    cancelApi: `${origin}${model.cancelApi}`,
    body: JSON.stringify({ input: 'Hi' }),
    throttle: false,
    fetch: transport === 'fetch' ? model.fetch : undefined,
    ...options,
  });
}

/** Resolves with the snapshot once `predicate` holds. */
function until(session: StreamSession, predicate: (snapshot: StreamSessionSnapshot) => boolean): Promise<StreamSessionSnapshot> {
  return new Promise((resolve) => {
    const check = () => {
      const snapshot = session.getSnapshot();
      if (!predicate(snapshot)) return;
      unsubscribe();
      resolve(snapshot);
    };
    const unsubscribe = session.subscribe(check);
    check();
  });
}

const firstTokens = (text: string, n: number) => tokenize(text).slice(0, n).join('');

describe('createMockModelServer: scripted answers in every format, through MSW and through its fetch', () => {
  for (const transport of TRANSPORTS) {
    for (const protocol of PROTOCOLS) {
      it(`${transport}, ${protocol}: reasoning, text, tool arguments in fragments and usage reach the client as scripted`, async () => {
        const model = createMockModelServer({ protocol, script: SCRIPT });
        const session = sessionFor(model, transport);
        const final = await session.start();

        expect(final.status).toBe('complete');
        expect(final.message.text).toBe(SCRIPT.text);
        if (protocol !== 'text') {
          expect(final.message.reasoning).toBe(SCRIPT.reasoning);
          expect(final.message.toolCalls).toMatchObject([{ id: 'call_1', name: 'search_trains', argsText: '{"from":"Genève","to":"Lyon"}', args: { from: 'Genève', to: 'Lyon' } }]);
          expect(final.message.usage).toMatchObject({ inputTokens: 12, outputTokens: 34 });
        }
        const [request, ...more] = model.requests;
        expect(more).toEqual([]);
        expect(request).toMatchObject({ index: 0, body: { input: 'Hi' }, streamId: session.streamId, status: 200 });
        expect(request!.run).toMatchObject({ finished: true, abortedAt: null });
        expect(model.registry.counts().streams).toBe(0);
      });
    }
  }
});

describe('the stop contract against the kit’s cancel endpoint', () => {
  for (const transport of TRANSPORTS) {
    for (const protocol of PROTOCOLS) {
      it(`${transport}, ${protocol}: Stop during a stall is confirmed by the server, and the model stops generating`, async () => {
        const model = createMockModelServer({ protocol, script: SCRIPT, faults: { stall: { afterTokens: 3 } } });
        const session = sessionFor(model, transport);
        const done = session.start();
        // Reasoning comes first in every format but plain text (which carries only the text).
        const tokens = protocol === 'text' ? tokenize(SCRIPT.text) : [...tokenize(SCRIPT.reasoning), ...tokenize(SCRIPT.text)];
        const shown = tokens.slice(0, 3).join('');
        await until(session, (s) => s.message.reasoning + s.message.text === shown);

        await expect(session.stop()).resolves.toEqual({ serverConfirmed: true });
        const final = await done;
        expect(final.status).toBe('incomplete');
        expect(final.incomplete).toMatchObject({ reason: 'cancelled', serverConfirmed: true });
        expect(final.message.reasoning + final.message.text).toBe(shown);

        expect(model.cancels).toEqual([{ index: 0, streamId: session.streamId, status: 200, answer: expect.objectContaining({ status: 'cancelled' }) }]);
        const run = model.requests[0]!.run!;
        expect(run.abortedAt).not.toBeNull();
        expect([run.finished, run.tokensAfterAbort, run.tokens]).toEqual([false, 0, 3]);
      });
    }
  }
});

describe('faults on demand', () => {
  for (const transport of TRANSPORTS) {
    it(`${transport}: drop mid-stream ends the message "disconnected" with the text so far; the server saw a disconnect`, async () => {
      const model = createMockModelServer({ protocol: 'openai-chat', script: { text: SCRIPT.text }, faults: { drop: { afterTokens: 2 } } });
      const session = sessionFor(model, transport);
      const final = await session.start();
      expect(final.status).toBe('incomplete');
      expect(final.incomplete).toMatchObject({ reason: 'disconnected' });
      expect(final.error).toBeInstanceOf(StreamAbortedError);
      expect(final.message.text).toBe(firstTokens(SCRIPT.text, 2));
      expect(model.cancels).toEqual([]);
      expect(model.registry.counts().streams).toBe(0);
    });

    it(`${transport}: an HTTP error answers that status and body; the model is never called`, async () => {
      const model = createMockModelServer({ faults: { http: 429 } });
      const final = await sessionFor(model, transport).start();
      expect(final.incomplete).toMatchObject({ reason: 'error' });
      expect(final.error).toBeInstanceOf(StreamHttpError);
      expect((final.error as StreamHttpError).status).toBe(429);
      expect((final.error as StreamHttpError).body).toContain('rate_limit_error');
      expect(model.requests[0]).toMatchObject({ status: 429, run: null });

      model.update({ faults: { http: { status: 401, body: 'no key' } } });
      const second = await sessionFor(model, transport).start();
      expect((second.error as StreamHttpError).body).toBe('no key');
    });

    it(`${transport}: a network error makes the stream request fail`, async () => {
      const model = createMockModelServer({ faults: { networkError: true } });
      const final = await sessionFor(model, transport).start();
      expect(final.incomplete).toMatchObject({ reason: 'error' });
      expect(final.error).toBeInstanceOf(TypeError);
      expect(model.requests[0]!.status).toBeNull();
    });

    it(`${transport}: a stall before the first byte trips the client's firstByteTimeoutMs`, async () => {
      const model = createMockModelServer({ faults: { stall: { afterTokens: 0 } } });
      const final = await sessionFor(model, transport, { firstByteTimeoutMs: 50 }).start();
      expect(final.incomplete).toMatchObject({ reason: 'error' });
      expect(final.error).toMatchObject({ name: 'StreamAbortedError', reason: 'timeout' });
      expect(model.requests[0]).toMatchObject({ status: 200, run: { tokens: 0 } });
      await expect.poll(() => model.requests[0]!.run!.abortedAt).not.toBeNull();
    });

    // A failing cancel, however it fails, leaves the stop unconfirmed, and the local abort still
    // stops the stream: the server takes the closed connection as a disconnect and stops the model.
    it.each<[failure: string, fault: MockCancelFault, options: Partial<StreamSessionOptions>, stopped: object, cancel: object]>([
      ['answers HTTP 500', { status: 500 }, {}, { serverConfirmed: false }, { status: 500, answer: { error: { type: 'server_error' } } }],
      [
        'hangs past cancelTimeoutMs',
        'hang',
        { cancelTimeoutMs: 100 },
        { serverConfirmed: false, error: expect.stringContaining('cancelTimeoutMs') },
        { status: null, answer: undefined },
      ],
      ['fails with a network error', 'network-error', {}, { serverConfirmed: false }, { status: null }],
    ])(`${transport}: a cancel that %s leaves the stop unconfirmed, and the local abort still stops the stream`, async (_failure, fault, options, stopped, cancel) => {
      const model = createMockModelServer({ faults: { stall: { afterTokens: 1 }, cancel: fault } });
      const session = sessionFor(model, transport, options);
      const done = session.start();
      await until(session, (s) => s.status === 'streaming');
      expect(await session.stop()).toMatchObject(stopped);
      expect((await done).incomplete).toMatchObject({ reason: 'cancelled', serverConfirmed: false });
      expect(model.cancels[0]).toMatchObject(cancel);
      await expect.poll(() => model.requests[0]!.run!.abortedAt).not.toBeNull();
    });
  }
});

describe('the kit’s own API', () => {
  it('script as a function of the request; update() and reset(); requests and cancels are recorded', async () => {
    const model = createMockModelServer({
      protocol: 'anthropic',
      script: ({ body, index }) => ({ text: `Answer ${index} to ${(body as { input: string }).input}` }),
    });
    expect((await sessionFor(model, 'fetch').start()).message.text).toBe('Answer 0 to Hi');
    model.update({ script: { text: 'Changed' }, protocol: 'ndjson' });
    const changed = await sessionFor(model, 'fetch').start();
    expect([changed.message.text, changed.protocol]).toEqual(['Changed', 'ndjson']);
    expect(model.requests.map((r) => r.index)).toEqual([0, 1]);
    model.reset();
    expect([model.requests, model.cancels]).toEqual([[], []]);
    expect((await sessionFor(model, 'fetch').start()).message.text).toBe('Answer 0 to Hi');
  });

  it('fetch: answers 404 for other URLs, rejects when aborted, and an abort errors the body being read', async () => {
    const model = createMockModelServer({ faults: { stall: { afterTokens: 1 } } });
    const other = await model.fetch('/api/other');
    expect(other.status).toBe(404);
    await expect(model.handle(new Request('http://localhost/api/other'))).resolves.toBeNull();

    const aborted = new AbortController();
    aborted.abort();
    await expect(model.fetch(model.api, { method: 'POST', signal: aborted.signal })).rejects.toMatchObject({ name: 'AbortError' });

    const controller = new AbortController();
    const response = await model.fetch(model.api, {
      method: 'POST',
      signal: controller.signal,
      headers: { 'x-stream-id': 'stream-1', 'x-stream-cancel-secret': 'a'.repeat(32) },
    });
    const reader = response.body!.getReader();
    await reader.read();
    const pending = reader.read();
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    // The server saw the client go: the model was stopped.
    await expect.poll(() => model.requests[0]!.run!.abortedAt).not.toBeNull();
  });

  it('an absolute api matches its own origin only; a path matches any origin', async () => {
    const model = createMockModelServer({ api: 'https://models.test/v1/chat', cancelApi: '/cancel' });
    expect(await model.handle(new Request('https://other.test/v1/chat', { method: 'POST' }))).toBeNull();
    expect(await model.handle(new Request('https://models.test/v1/chat?x=1', { method: 'POST' }))).not.toBeNull(); // 400: no stream id
    expect(await model.handle(new Request('https://anywhere.test/cancel', { method: 'POST' }))).not.toBeNull();
  });
});

// Type-level: the protocol list is the library's.
const _protocols: readonly Protocol[] = PROTOCOLS;
void _protocols;
