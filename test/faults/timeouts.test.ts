import { afterEach, describe, expect, test } from 'vitest';
import { StreamAbortedError } from '../../src/core/errors';
import { startHttpServer, type TestServer } from '../helpers/httpServer';
import { run, SSE, START, textPart } from './helpers';

// A server that stalls: the session's own timers end the stream; nothing stays `streaming`.

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('a stalled server', () => {
  test('stalls forever after the first event: idleTimeoutMs ends it error/timeout, text kept', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, SSE);
      res.write(START + textPart('first words'));
      // …and never another byte.
    });
    const started = performance.now();
    const { final } = await run({ api: `${server.url}/chat`, idleTimeoutMs: 300 });
    const elapsed = performance.now() - started;
    expect(final.status).toBe('incomplete');
    expect(final.incomplete?.reason).toBe('error');
    expect(final.error).toBeInstanceOf(StreamAbortedError);
    expect((final.error as StreamAbortedError).reason).toBe('timeout');
    expect(final.message.text).toBe('first words');
    expect(elapsed).toBeGreaterThanOrEqual(250); // not before the bound (no upper bound: loaded box)
    // The client closed the connection: the server saw an abort.
    await expect(server.requests[0]!.closed).resolves.toEqual({ aborted: true });
  });

  test('headers sent, no body byte ever: firstByteTimeoutMs ends it error/timeout', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, SSE);
      res.flushHeaders();
    });
    const { final } = await run({ api: `${server.url}/chat`, firstByteTimeoutMs: 300 });
    expect(final.status).toBe('incomplete');
    expect(final.incomplete?.reason).toBe('error');
    expect(final.error).toBeInstanceOf(StreamAbortedError);
    expect((final.error as StreamAbortedError).reason).toBe('timeout');
    expect(final.error?.message).toContain('firstByteTimeoutMs');
    expect(final.message.text).toBe('');
    await expect(server.requests[0]!.closed).resolves.toEqual({ aborted: true });
  });

  test('no headers ever: firstByteTimeoutMs also bounds the wait for headers', async () => {
    server = await startHttpServer(() => {
      // never answers
    });
    const { final } = await run({ api: `${server.url}/chat`, firstByteTimeoutMs: 300 });
    expect(final.status).toBe('incomplete');
    expect(final.incomplete?.reason).toBe('error');
    expect(final.error).toBeInstanceOf(StreamAbortedError);
    expect((final.error as StreamAbortedError).reason).toBe('timeout');
  });
});
