import { afterEach, describe, expect, it, vi } from 'vitest';
import { collectStream } from '../../src/core/collectStream';
import { createStreamSession } from '../../src/core/createStreamSession';
import { decodeStream } from '../../src/core/decodeStream';
import type { StreamEvent } from '../../src/core/types';
import { loadFixtures, streamOf } from '../helpers/fixtures';
import { startHttpServer, type TestServer } from '../helpers/httpServer';

// An SSE stream with CR-only line ends whose complete event ends, `\r\r`, exactly at a network
// chunk's end, followed by an event the stream cuts off. The complete event must be read: at
// once (not only when more input comes) and also when the stream then ends. eventsource-parser
// 3.1.1 held that event back, waiting to see whether an LF followed the last CR, and lost it when
// the next chunk had no line end.

const chat = loadFixtures().find((f) => f.name === 'a-openai-chat/1-text-usage')!;
const events = new TextDecoder().decode(chat.bytes).split('\n\n');
/** The fixture's first content chunk (`"content":"Sure"`), now carrying the text "A". */
const contentA = events.find((e) => e.includes('"content":"Sure"'))!.replace('"content":"Sure"', '"content":"A"');

/** Role chunk and the "A" chunk, CR-only, ending with the `\r\r` of the "A" event. */
const COMPLETE = `${events[0]}\r\r${contentA}\r\r`;
/** The next event, cut off half-way: no line end at all. */
const CUT_OFF = events[2]!.slice(0, 120);

describe('SSE with CR-only line ends, an event ending exactly at a chunk boundary', () => {
  it('the fixture pieces are what this test needs', () => {
    expect(contentA).toContain('"content":"A"');
    expect(COMPLETE).not.toContain('\n');
    expect(CUT_OFF).not.toMatch(/[\r\n]/);
  });

  it('collectStream reads the complete event when a cut-off event follows and the stream ends', async () => {
    const snapshot = await collectStream(streamOf([COMPLETE, CUT_OFF]), { contentType: 'text/event-stream' });
    expect(snapshot.text).toBe('A');
    expect(snapshot.id).toBe(chat.expected.id);
    expect(snapshot.finishReason).toBeNull();
  });

  it('at the end of input, an event ending in \\r\\r (or \\r\\n\\r) is read; one ending in a single \\r has no blank line and is discarded', async () => {
    const read = async (last: string) => (await collectStream(streamOf([`${events[0]}\r\r`, `${contentA}${last}`]), { protocol: 'openai-chat' })).text;
    expect(await read('\r\r')).toBe('A');
    expect(await read('\r\n\r')).toBe('A');
    expect(await read('\r')).toBe('');
    expect(await read('\r\n')).toBe('');
  });

  it('the same through a real Response, with the protocol detected from the first line', async () => {
    const response = new Response(streamOf([COMPLETE, CUT_OFF]));
    expect((await collectStream(response.body!)).text).toBe('A');
  });

  it('decodeStream yields the text delta with the chunk that completes the event, before any more input', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode(COMPLETE));
        else if (sent === 1) {
          await gate; // the cut-off event only comes once "A" was seen
          controller.enqueue(new TextEncoder().encode(CUT_OFF));
        } else controller.close();
        sent++;
      },
    });
    const seen: StreamEvent[] = [];
    const reading = (async () => {
      for await (const event of decodeStream(body, { contentType: 'text/event-stream' })) {
        seen.push(event);
        if (event.type === 'text-delta') release();
      }
    })();
    const texts = () => seen.flatMap((e) => (e.type === 'text-delta' ? [e.delta] : []));
    const shownBeforeMoreInput = await vi.waitFor(() => expect(texts()).toEqual(['A']), { timeout: 1000, interval: 5 }).then(
      () => true,
      () => false,
    );
    release();
    await reading;
    expect({ shownBeforeMoreInput, texts: texts() }).toEqual({ shownBeforeMoreInput: true, texts: ['A'] });
  });

  describe('through a stream session reading a real HTTP response', () => {
    let server: TestServer | null = null;
    afterEach(async () => {
      await server?.close();
      server = null;
    });

    it('shows "A" as soon as its chunk arrives, and keeps it when the stream then ends cut off', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      server = await startHttpServer(async ({ res }) => {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.write(COMPLETE);
        await gate;
        res.end(CUT_OFF);
      });
      const session = createStreamSession({ api: `${server.url}/chat`, throttle: false });
      const done = session.start();
      const shownBeforeMoreInput = await vi.waitFor(() => expect(session.getSnapshot().message.text).toBe('A'), { timeout: 1000, interval: 5 }).then(
        () => true,
        () => false,
      );
      release();
      const final = await done;
      expect({ shownBeforeMoreInput, text: final.message.text }).toEqual({ shownBeforeMoreInput: true, text: 'A' });
      expect(final.protocol).toBe('openai-chat');
      expect(final.responseId).toBe(chat.expected.id);
    });
  });
});
