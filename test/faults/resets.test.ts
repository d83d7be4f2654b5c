import { afterEach, describe, expect, test } from 'vitest';
import { StreamAbortedError } from '../../src/core/errors';
import { startHttpServer, type TestServer } from '../helpers/httpServer';
import { part, run, SSE, START, textPart } from './helpers';

// Connection resets at every point of a response, against a real node:http server on 127.0.0.1.

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('connection reset', () => {
  test('before headers: ends incomplete/error with fetch’s own error, not stuck', async () => {
    server = await startHttpServer(({ req }) => {
      req.socket.destroy();
    });
    const { final } = await run({ api: `${server.url}/chat` });
    expect(final.status).toBe('incomplete');
    expect(final.incomplete?.reason).toBe('error');
    expect(final.error).toBeInstanceOf(TypeError); // undici: "fetch failed", cause ECONNRESET / SocketError
    expect(final.error).not.toBeInstanceOf(StreamAbortedError);
    expect(final.message.text).toBe('');
  });

  test('after headers, before any body byte: incomplete/disconnected, StreamAbortedError', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, SSE);
      res.flushHeaders();
      setTimeout(() => res.socket?.destroy(), 50);
    });
    const { final } = await run({ api: `${server.url}/chat` });
    expect(final.status).toBe('incomplete');
    expect(final.incomplete?.reason).toBe('disconnected');
    expect(final.error).toBeInstanceOf(StreamAbortedError);
    expect((final.error as StreamAbortedError).reason).toBe('disconnected');
    expect(final.message.text).toBe('');
  });

  test('mid-event: text of complete events kept, the half event not applied', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, SSE);
      const half = textPart(' HALF');
      res.write(START + textPart('Hello') + textPart(' world') + half.slice(0, half.length - 12), () => {
        setTimeout(() => res.socket?.destroy(), 50);
      });
    });
    const { final } = await run({ api: `${server.url}/chat` });
    expect(final.status).toBe('incomplete');
    expect(final.incomplete?.reason).toBe('disconnected');
    expect(final.error).toBeInstanceOf(StreamAbortedError);
    expect(final.message.text).toBe('Hello world');
  });

  test('mid-UTF-8 character: text before kept exactly, no replacement character', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      const e = Buffer.from('é', 'utf8'); // c3 a9
      res.write(Buffer.concat([Buffer.from('café au lait, caf', 'utf8'), e.subarray(0, 1)]), () => {
        setTimeout(() => res.socket?.destroy(), 50);
      });
    });
    const { final } = await run({ api: `${server.url}/chat` });
    expect(final.status).toBe('incomplete');
    expect(final.incomplete?.reason).toBe('disconnected');
    expect(final.error).toBeInstanceOf(StreamAbortedError);
    expect(final.protocol).toBe('text');
    expect(final.message.text).toBe('café au lait, caf');
    expect(final.message.text).not.toContain('\uFFFD');
  });

  test('mid-UTF-8 character inside an SSE event: the cut event is dropped, earlier text exact', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, SSE);
      const event = Buffer.from(textPart('é'), 'utf8');
      const cut = event.indexOf(0xc3);
      res.write(Buffer.concat([Buffer.from(START + textPart('déjà vu '), 'utf8'), event.subarray(0, cut + 1)]), () => {
        setTimeout(() => res.socket?.destroy(), 50);
      });
    });
    const { final } = await run({ api: `${server.url}/chat` });
    expect(final.incomplete?.reason).toBe('disconnected');
    expect(final.message.text).toBe('déjà vu ');
  });

  test('mid-tool-call: the call is kept incomplete with its argsText and partial args', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, SSE);
      res.write(
        START +
          textPart('Checking.') +
          part({ type: 'tool-input-start', toolCallId: 'call_1', toolName: 'getWeather' }) +
          part({ type: 'tool-input-delta', toolCallId: 'call_1', inputTextDelta: '{"city":"Par' }) +
          part({ type: 'tool-input-delta', toolCallId: 'call_1', inputTextDelta: 'is","days":' }),
        () => setTimeout(() => res.socket?.destroy(), 50),
      );
    });
    const { final } = await run({ api: `${server.url}/chat` });
    expect(final.status).toBe('incomplete');
    expect(final.incomplete?.reason).toBe('disconnected');
    expect(final.message.text).toBe('Checking.');
    expect(final.message.toolCalls).toHaveLength(1);
    const call = final.message.toolCalls[0]!;
    expect(call.id).toBe('call_1');
    expect(call.name).toBe('getWeather');
    expect(call.state).toBe('incomplete');
    expect(call.argsText).toBe('{"city":"Paris","days":');
    expect(call.args).toEqual({ city: 'Paris' });
  });
});
