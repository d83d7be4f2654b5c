import { afterEach, describe, expect, test } from 'vitest';
import { collectStream } from '../../src/core/collectStream';
import { StreamProtocolError } from '../../src/core/errors';
import { startHttpServer, type TestServer } from '../helpers/httpServer';
import { FINISH, run, SSE, START, textPart } from './helpers';

// Big events and many events, over a real connection.

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

const BIG = 5 * 1024 * 1024;

describe('event sizes and counts', () => {
  test('one 5 MB event: decoded whole (default maxEventSize 16 MiB)', async () => {
    const big = 'x'.repeat(BIG);
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, SSE);
      res.end(START + textPart('before ') + textPart(big) + FINISH);
    });
    const { final } = await run({ api: `${server.url}/chat` });
    expect(final.status).toBe('complete');
    expect(final.message.text.length).toBe('before '.length + BIG);
    expect(final.message.text.startsWith('before xxx')).toBe(true);
  });

  test('an event past a small maxEventSize: StreamProtocolError buffer-overflow, text before kept', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, SSE);
      res.write(START + textPart('kept '));
      // The big event in pieces, so it grows in the parser's buffer across chunks.
      const big = textPart('y'.repeat(200_000));
      let offset = 0;
      const next = () => {
        if (offset >= big.length) {
          res.end(FINISH);
          return;
        }
        res.write(big.slice(offset, (offset += 16_384)), () => setImmediate(next));
      };
      next();
    });
    const { final } = await run({ api: `${server.url}/chat`, maxEventSize: 64 * 1024 });
    expect(final.status).toBe('incomplete');
    expect(final.incomplete?.reason).toBe('error');
    expect(final.error).toBeInstanceOf(StreamProtocolError);
    expect((final.error as StreamProtocolError).type).toBe('buffer-overflow');
    expect(final.message.text).toBe('kept ');
  });

  test('an event past maxEventSize arriving in one chunk: same outcome', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, SSE);
      res.end(START + textPart('kept ') + textPart('z'.repeat(100_000)) + FINISH);
    });
    const { final } = await run({ api: `${server.url}/chat`, maxEventSize: 64 * 1024 });
    expect(final.incomplete?.reason).toBe('error');
    expect((final.error as StreamProtocolError).type).toBe('buffer-overflow');
    expect(final.message.text).toBe('kept ');
  });

  test('100,000 tiny events: complete, exact text (time logged, not asserted)', async () => {
    const N = 100_000;
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, SSE);
      res.write(START);
      let i = 0;
      const next = () => {
        let batch = '';
        for (let k = 0; k < 1000 && i < N; k++, i++) batch += textPart(String(i % 10));
        if (i >= N) res.end(batch + FINISH);
        else res.write(batch, () => setImmediate(next));
      };
      next();
    });
    let expected = '';
    for (let i = 0; i < N; i++) expected += String(i % 10);

    let started = performance.now();
    const { final } = await run({ api: `${server.url}/chat` }, 60_000);
    const sessionMs = performance.now() - started;
    expect(final.status).toBe('complete');
    expect(final.message.text).toBe(expected);

    started = performance.now();
    const response = await fetch(`${server.url}/chat`, { method: 'POST' });
    const snapshot = await collectStream(response.body!, { contentType: response.headers.get('content-type') });
    const collectMs = performance.now() - started;
    expect(snapshot.text).toBe(expected);
    expect(snapshot.finishReason).toBe('stop');
    console.log(`[faults] 100k events: session ${sessionMs.toFixed(0)} ms, collectStream ${collectMs.toFixed(0)} ms`);
  }, 60_000);
});
