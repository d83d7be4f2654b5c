import { afterEach, describe, expect, test } from 'vitest';
import { createStreamSession, type StreamSession } from '../../src/core/createStreamSession';
import { startHttpServer, sleep, type TestServer } from '../helpers/httpServer';
import { FINISH, SSE, START, textPart } from './helpers';

// Cancel against servers that misbehave or race.

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

/** Resolves once the session's text contains `needle`. */
const waitForText = (session: StreamSession, needle: string) =>
  new Promise<void>((resolve) => {
    if (session.getSnapshot().message.text.includes(needle)) return resolve();
    const off = session.subscribe(() => {
      if (session.getSnapshot().message.text.includes(needle)) {
        off();
        resolve();
      }
    });
  });

describe('cancel', () => {
  test('server answers "cancelled" but keeps streaming: local abort after drainMs, no text after the click', async () => {
    let streamClosed: Promise<{ aborted: boolean }> | null = null;
    server = await startHttpServer(async ({ url, res, closed }) => {
      if (url === '/cancel') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'cancelled' }));
        return;
      }
      streamClosed = closed;
      res.writeHead(200, SSE);
      res.write(START + textPart('tick '));
      // Ignores the cancel: keeps writing until the client goes away.
      while (!res.destroyed && !res.writableEnded) {
        await sleep(10);
        if (!res.destroyed) res.write(textPart('tick '));
      }
    });
    const session = createStreamSession({
      api: `${server.url}/chat`,
      cancelApi: `${server.url}/cancel`,
      drainMs: 200,
      cancelTimeoutMs: 5000,
      throttle: false,
    });
    const finalPromise = session.start();
    await waitForText(session, 'tick tick ');
    const textAtClick = session.getSnapshot().message.text;
    const stopped = await session.stop();
    const final = await finalPromise;
    expect(stopped).toEqual({ serverConfirmed: true });
    expect(final.status).toBe('incomplete');
    expect(final.incomplete).toEqual({ reason: 'cancelled', serverConfirmed: true });
    expect(final.error).toBeNull();
    expect(final.message.text).toBe(textAtClick);
    // The client really closed the connection, although the server never ended it.
    await expect(streamClosed!).resolves.toEqual({ aborted: true });
  });

  test('the stream ends naturally exactly when the cancel arrives: the server says already-finished, so the message is the whole answer, complete', async () => {
    let endStream: (() => void) | null = null;
    server = await startHttpServer(({ url, res }) => {
      if (url === '/cancel') {
        // End the stream with its finish in the same tick the cancel is answered.
        endStream?.();
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'already-finished' }));
        return;
      }
      res.writeHead(200, SSE);
      res.write(START + textPart('almost done'));
      endStream = () => res.end(textPart(' — the end') + FINISH);
    });
    const session = createStreamSession({ api: `${server.url}/chat`, cancelApi: `${server.url}/cancel`, drainMs: 2000, throttle: false });
    const finalPromise = session.start();
    await waitForText(session, 'almost done');
    const stopped = await session.stop();
    const final = await finalPromise;
    // docs/session.md: the cancel answer and the message tell one story. `already-finished` means
    // the model's finish went out before the cancel: the stop came after the end.
    expect(stopped).toEqual({ serverConfirmed: false });
    expect(final.status).toBe('complete');
    expect(final.incomplete).toBeNull();
    expect(final.error).toBeNull();
    expect(final.message.text).toBe('almost done — the end');
    expect(final.message.finishReason).toBe('stop');
  });
});
