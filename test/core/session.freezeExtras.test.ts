import { afterEach, expect, test, vi } from 'vitest';
import { createStreamSession } from '../../src/core/createStreamSession';
import type { StreamSession } from '../../src/core/session/types';
import { createMessageStore } from '../../src/store/createMessageStore';
import { startHttpServer, type RecordedRequest, type TestServer } from '../helpers/httpServer';
import { SSE_HEADERS as SSE } from '../helpers/sse';
import { manualScheduler } from '../helpers/manualScheduler';

// The stop contract keeps the message as it was painted. What the provider said beyond text —
// a refusal, citations, thinking blocks with their signatures — is content too: what arrived after
// the last frame is left out, at a stop and at a disconnect, in the session and in the store.
// Usage (with its details) and the finish (with its stop sequence) are what a stop still reads
// (DESIGN.md, the stop contract, step 1).

const WAIT = { timeout: 10_000, interval: 5 };

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

/** One provider SSE event, `event:` line and JSON data. */
const sse = (data: { type: string } & Record<string, unknown>) => `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
/** One OpenAI Chat chunk. */
const chat = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: null }], ...extra })}\n\n`;

/**
 * Writes `first` and holds the stream; the test writes the rest. `/cancel` answers `cancelled`
 * and ends the stream with `tail` (the provider's last words, read during the stop's drain).
 */
function streamServer(contentType: string, first: string, tail = '') {
  let stream: RecordedRequest | null = null;
  return {
    handler: (request: RecordedRequest) => {
      if (request.url === '/cancel') {
        request.res.writeHead(200, { 'content-type': 'application/json' });
        request.res.end(JSON.stringify({ status: 'cancelled' }));
        stream?.res.end(tail);
        return;
      }
      stream = request;
      request.res.writeHead(200, { ...SSE, 'content-type': contentType });
      request.res.write(first);
    },
    write: (text: string) => stream!.res.write(text),
  };
}

/** Starts a session with a hand-flushed scheduler and paints its first frame. */
async function startPainted(url: string, withCancel: boolean) {
  const { scheduler, frame, pending } = manualScheduler();
  const session = createStreamSession({ api: `${url}/chat`, ...(withCancel && { cancelApi: `${url}/cancel` }), scheduler });
  const done = session.start();
  await vi.waitFor(() => expect(pending()).toBeGreaterThan(0), WAIT);
  frame();
  return { session, done, pending };
}

/** The store message a session's snapshots are applied to, as the hook does. */
function storeFor(session: StreamSession) {
  const store = createMessageStore();
  const conversation = store.getState().createConversation();
  const message = store.getState().appendMessage(conversation.id, { role: 'assistant', status: 'streaming' });
  session.subscribe(() => store.getState().applySessionSnapshot(message.id, session.getSnapshot()));
  return () => store.getState().messages[message.id]!;
}

const ANTHROPIC_START =
  sse({ type: 'message_start', message: { id: 'msg_1', usage: { input_tokens: 40, output_tokens: 1, cache_read_input_tokens: 30 } } }) +
  sse({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } }) +
  sse({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Weigh it.' } });

test('stop during thinking: the signature (and the block) that arrived after the last frame are not kept', async () => {
  const fake = streamServer('text/event-stream', ANTHROPIC_START);
  server = await startHttpServer(fake.handler);
  const { session, done, pending } = await startPainted(server.url, true);
  const stored = storeFor(session);
  expect(session.getSnapshot().message.reasoning).toBe('Weigh it.');
  expect(session.getSnapshot().message.reasoningParts).toBeUndefined();
  fake.write(
    sse({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQBsig' } }) +
      sse({ type: 'content_block_stop', index: 0 }) +
      sse({ type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }) +
      sse({ type: 'content_block_delta', index: 1, delta: { type: 'citations_delta', citation: { type: 'char_location', cited_text: 'x' } } }),
  );
  await vi.waitFor(() => expect(pending()).toBeGreaterThan(0), WAIT); // received, not painted
  await session.stop();
  const final = await done;
  expect(final.incomplete).toEqual({ reason: 'cancelled', serverConfirmed: true });
  expect(final.message.reasoning).toBe('Weigh it.');
  expect(final.message.reasoningParts).toBeUndefined();
  expect(final.message.annotations).toBeUndefined();
  expect(stored()).toMatchObject({ status: 'incomplete', reasoning: 'Weigh it.' });
  expect(stored()).not.toHaveProperty('reasoningParts');
  expect(stored()).not.toHaveProperty('annotations');
});

test('stop after a painted thinking block: its signature and the painted citation are kept, later ones are not', async () => {
  const fake = streamServer(
    'text/event-stream',
    ANTHROPIC_START +
      sse({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQBsig' } }) +
      sse({ type: 'content_block_stop', index: 0 }) +
      sse({ type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }) +
      sse({ type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Yes.' } }) +
      sse({ type: 'content_block_delta', index: 1, delta: { type: 'citations_delta', citation: { cited_text: 'painted' } } }),
  );
  server = await startHttpServer(fake.handler);
  const { session, done, pending } = await startPainted(server.url, true);
  const stored = storeFor(session);
  const parts = [{ type: 'thinking', text: 'Weigh it.', signature: 'EqQBsig', textOffset: 0, toolCallsBefore: 0 }];
  expect(session.getSnapshot().message.reasoningParts).toEqual(parts);
  fake.write(
    sse({ type: 'content_block_delta', index: 1, delta: { type: 'citations_delta', citation: { cited_text: 'never painted' } } }) +
      sse({ type: 'content_block_stop', index: 1 }) +
      sse({ type: 'content_block_start', index: 2, content_block: { type: 'redacted_thinking', data: 'EmwK' } }),
  );
  await vi.waitFor(() => expect(pending()).toBeGreaterThan(0), WAIT);
  await session.stop();
  const final = await done;
  expect(final.message.text).toBe('Yes.');
  expect(final.message.reasoningParts).toEqual(parts);
  expect(final.message.annotations).toEqual([{ cited_text: 'painted' }]);
  expect(stored().reasoningParts).toEqual(parts);
  expect(stored().annotations).toEqual([{ cited_text: 'painted' }]);
});

test('stop during a refusal: the refusal is kept as painted', async () => {
  const fake = streamServer('text/event-stream', chat({ role: 'assistant', refusal: "I can't" }));
  server = await startHttpServer(fake.handler);
  const { session, done, pending } = await startPainted(server.url, true);
  const stored = storeFor(session);
  expect(session.getSnapshot().message.refusal).toBe("I can't");
  fake.write(chat({ refusal: ' help with that.' }));
  await vi.waitFor(() => expect(pending()).toBeGreaterThan(0), WAIT);
  const stopping = session.stop();
  expect(session.getSnapshot().message.refusal).toBe("I can't");
  await stopping;
  const final = await done;
  expect(final.message.refusal).toBe("I can't");
  expect(stored()).toMatchObject({ status: 'incomplete', refusal: "I can't" });
});

test('a disconnect ends the refusal as painted', async () => {
  const fake = streamServer('text/event-stream', chat({ role: 'assistant', refusal: 'No' }));
  server = await startHttpServer(fake.handler);
  const { session, done, pending } = await startPainted(server.url, false);
  const stored = storeFor(session);
  fake.write(chat({ refusal: ', sorry.' }));
  await vi.waitFor(() => expect(pending()).toBeGreaterThan(0), WAIT);
  session.disconnect();
  const final = await done;
  expect(final.incomplete?.reason).toBe('disconnected');
  expect(final.message.refusal).toBe('No');
  expect(stored()).toMatchObject({ status: 'incomplete', refusal: 'No' });
});

test('a disconnect leaves out a thinking signature that arrived after the last frame', async () => {
  const fake = streamServer('text/event-stream', ANTHROPIC_START);
  server = await startHttpServer(fake.handler);
  const { session, done, pending } = await startPainted(server.url, false);
  const stored = storeFor(session);
  fake.write(
    sse({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQBsig' } }) +
      sse({ type: 'content_block_stop', index: 0 }),
  );
  await vi.waitFor(() => expect(pending()).toBeGreaterThan(0), WAIT);
  session.disconnect();
  const final = await done;
  expect(final.message.reasoningParts).toBeUndefined();
  expect(stored()).not.toHaveProperty('reasoningParts');
});

test('usage details and the stop sequence are read after the click, as usage and the finish are', async () => {
  // The provider's last words, during the stop's drain: the finish with its stop sequence, and the
  // final usage with its details. They say what the request cost and how the model ended, not
  // what the user saw, so the stop keeps them (the text stays as painted).
  const tail =
    sse({ type: 'message_delta', delta: { stop_reason: 'stop_sequence', stop_sequence: '###' }, usage: { output_tokens: 12, cache_creation_input_tokens: 5 } }) +
    sse({ type: 'message_stop' });
  const fake = streamServer('text/event-stream', ANTHROPIC_START, tail);
  server = await startHttpServer(fake.handler);
  const { session, done, pending } = await startPainted(server.url, true);
  const stored = storeFor(session);
  fake.write(sse({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: ' Never painted.' } }));
  await vi.waitFor(() => expect(pending()).toBeGreaterThan(0), WAIT);
  await session.stop();
  const final = await done;
  expect(final.message.reasoning).toBe('Weigh it.');
  expect(final.message.stopSequence).toBe('###');
  expect(final.message.usage).toEqual({ inputTokens: 40, outputTokens: 12, cachedInputTokens: 30, cacheWriteInputTokens: 5 });
  expect(stored()).toMatchObject({ reasoning: 'Weigh it.', stopSequence: '###', usage: final.message.usage });
});
