import { describe, expect, test } from 'vitest';
import { createDecoder } from '../../src/core/decoders/createDecoder';
import { createStreamDecoder } from '../../src/core/decoders/createStreamDecoder';
import type { HandlerFactory, HandlerSource } from '../../src/core/decoders/handler';
import { staticHandlers } from '../../src/core/decoders/staticHandlers';
import { StreamProtocolError } from '../../src/core/errors';
import type { StreamEvent } from '../../src/core/types';

// The decoder with a handler that is still loading (the session's lazily loaded chunks): its
// events are held in order, the cursor counts only applied ones, a resume drops what was held.

const chat = (delta: string, id: string) =>
  `id: ${id}\ndata: ${JSON.stringify({ object: 'chat.completion.chunk', id: 'c1', choices: [{ index: 0, delta: { content: delta }, finish_reason: null }] })}\n\n`;
const BODY = chat('Hel', 'e1') + chat('lo', 'e2') + chat(' you', 'e3') + `id: e4\ndata: ${JSON.stringify({ object: 'chat.completion.chunk', id: 'c1', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`;

/** A source whose handlers arrive when the test says (`arrive`), or fail (`fail`). */
function pendingSource() {
  let arrive!: () => void;
  let fail!: (error: unknown) => void;
  const loading = new Promise<void>((resolve, reject) => ((arrive = resolve), (fail = reject)));
  const requested: string[] = [];
  const source: HandlerSource = (protocol) => {
    requested.push(protocol);
    return loading.then(() => staticHandlers(protocol) as HandlerFactory);
  };
  return { source, arrive, fail, requested };
}

function staticEvents(body: string, protocol?: 'openai-chat'): StreamEvent[] {
  const events: StreamEvent[] = [];
  const decoder = createStreamDecoder({ protocol }, (event) => events.push(event));
  decoder.push(body);
  decoder.end();
  return events;
}

describe('a decoder whose handler loads', () => {
  for (const protocol of ['openai-chat', undefined] as const) {
    test(`${protocol ?? "'auto'"}: events held in order, the cursor only past applied ones, the same events once it arrived`, async () => {
      const { source, arrive, requested } = pendingSource();
      const events: StreamEvent[] = [];
      const decoder = createDecoder({ protocol, contentType: 'text/event-stream' }, (event) => events.push(event), source);
      decoder.push(BODY.slice(0, 200));
      decoder.push(BODY.slice(200));
      expect(events).toEqual([]);
      expect(decoder.cursor).toBeNull();
      expect(decoder.ready).toBeInstanceOf(Promise);
      arrive();
      await decoder.ready;
      expect(decoder.ready).toBeNull();
      expect(decoder.cursor).toBe('e4');
      decoder.end();
      expect(events).toEqual(staticEvents(BODY, protocol));
      expect(requested).toEqual(['openai-chat']);
    });
  }

  test('a resume while held drops the held events: the resumed body, from the cursor, gives every event once', async () => {
    const { source, arrive } = pendingSource();
    const events: StreamEvent[] = [];
    const decoder = createDecoder({ protocol: 'openai-chat' }, (event) => events.push(event), source);
    decoder.push(BODY.slice(0, 150)); // the first event whole, the second cut
    expect(decoder.cursor).toBeNull(); // nothing applied: a resume from the start
    decoder.resumeFraming();
    decoder.push(BODY); // the resumed body from the cursor (the start)
    arrive();
    await decoder.ready;
    decoder.end();
    expect(events).toEqual(staticEvents(BODY, 'openai-chat'));
  });

  test('a handler that fails to load: `ready` rejects with its error, the next push throws it', async () => {
    const { source, fail } = pendingSource();
    const decoder = createDecoder({ protocol: 'anthropic' }, () => {}, source);
    decoder.push('event: ping\ndata: {"type":"ping"}\n\n');
    const error = new StreamProtocolError('handler-unavailable', 'gone');
    fail(error);
    await expect(decoder.ready).rejects.toBe(error);
    expect(() => decoder.push('x')).toThrow(error);
  });

  test('a malformed held event: the events before it are applied, `ready` rejects with the malformed-event error', async () => {
    const { source, arrive } = pendingSource();
    const events: StreamEvent[] = [];
    const decoder = createDecoder({ protocol: 'openai-chat' }, (event) => events.push(event), source);
    decoder.push(chat('Hel', 'e1') + 'data: {not json\n\n' + chat('lo', 'e3'));
    arrive();
    await expect(decoder.ready).rejects.toMatchObject({ name: 'StreamProtocolError', type: 'malformed-event' });
    expect(events).toEqual(staticEvents(chat('Hel', 'e1'), 'openai-chat'));
    expect(decoder.cursor).toBe('e1');
  });
});
