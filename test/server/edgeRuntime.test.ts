/**
 * The Stop of an edge route handler, at the level where Next.js's edge sandbox fails
 * (docs/server.md, "Edge runtime").
 *
 * Next.js 16.4.6 runs `runtime = 'edge'` route handlers behind a node:http server. For a POST it
 * buffers the request body and then grafts that buffer's stream members, its listener table
 * included, onto the IncomingMessage. When the client closes the connection while the response is
 * still streaming, Node destroys the request with `Error: aborted` (ECONNRESET), which then has no
 * listener: Next logs `uncaughtException`. No code inside the route can reach that request object.
 * So the helpers avoid the log only by ending the response before the client closes: a Stop whose
 * cancel reaches the stream does; a Stop whose cancel lands in another isolate cannot, and the
 * client reports it as not confirmed (its `404 pending` answer came after the response started).
 *
 * Here that condition is observed directly: the `aborted` error Node raises on the stream's request
 * (captured with a listener, where Next has none). Two in-memory registries stand for the two
 * isolates of an edge stream route and its cancel route. The client is the real stream session.
 * `node e2e/next-edge.mjs` shows the same against a real `next build && next start`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createStreamSession } from '../../src/core/createStreamSession';
import { StreamCancelError } from '../../src/core/errors';
import { createFakeModel } from '../../src/server/fakeModel/createFakeModel';
import { createStreamRegistry } from '../../src/server/createStreamRegistry';
import { handleCancel } from '../../src/server/handleCancel';
import { handleModelStream, type DisconnectPolicy } from '../../src/server/handleModelStream';
import { toNodeHandler } from '../../src/server/toNodeHandler';
import { waitFor } from './helpers/http';

type StreamRequestLog = { aborted: Error | null; finishedBeforeClose: boolean | null };

let server: Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

/**
 * `/chat` and `/cancel` on one node:http server. `isolates: 'shared'`: one registry, as a registry
 * that reaches the stream's isolate (Node runtime, or a shared store); `'separate'`: one each, as
 * two edge routes with `createStreamRegistry()` in their own isolates.
 */
async function startApp(isolates: 'shared' | 'separate', onDisconnect: DisconnectPolicy) {
  const streamRegistry = createStreamRegistry();
  const cancelRegistry = isolates === 'shared' ? streamRegistry : createStreamRegistry();
  const model = createFakeModel({ protocol: 'openai-chat', tokensPerSecond: 150 });
  const chat = toNodeHandler((request) =>
    handleModelStream(request, { registry: streamRegistry, protocol: 'openai-chat', onDisconnect, upstream: (signal) => model.stream(signal) }),
  );
  const cancel = toNodeHandler((request) => handleCancel(request, { registry: cancelRegistry }));
  const streamRequests: StreamRequestLog[] = [];
  server = createServer((req: IncomingMessage, res) => {
    if (req.url === '/cancel') return cancel(req, res);
    const log: StreamRequestLog = { aborted: null, finishedBeforeClose: null };
    streamRequests.push(log);
    // Node emits this error only to listeners; Next's grafted request has none, hence its log.
    req.on('error', (error) => (log.aborted = error));
    res.on('close', () => (log.finishedBeforeClose = res.writableFinished));
    return chat(req, res);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, model, streamRequests, streamRegistry };
}

/** The client's Stop (`useModelStream`'s, with its defaults) once some text has arrived. */
async function stopMidStream(base: string) {
  const session = createStreamSession({
    api: `${base}/chat`,
    cancelApi: `${base}/cancel`,
    body: JSON.stringify({ input: 'hi' }),
    headers: { 'content-type': 'application/json' },
    protocol: 'openai-chat',
    throttle: false,
  });
  const final = session.start();
  await new Promise<void>((resolve) => {
    const unsubscribe = session.subscribe(() => {
      if (session.getSnapshot().message.text.length > 20) {
        unsubscribe();
        resolve();
      }
    });
  });
  const stop = await session.stop();
  const snapshot = await final;
  return { stop, snapshot };
}

describe('Stop under the conditions of a Next.js edge route handler', () => {
  for (const onDisconnect of ['abort', 'continue'] as const) {
    it(`a cancel that reaches the stream ends the response before the client closes it: no 'aborted' request (onDisconnect '${onDisconnect}')`, async () => {
      const app = await startApp('shared', onDisconnect);
      const { stop } = await stopMidStream(app.base);
      expect(stop).toEqual({ serverConfirmed: true });
      await waitFor(() => app.streamRequests[0]?.finishedBeforeClose !== null, 'the stream response to close');
      expect(app.streamRequests).toEqual([{ aborted: null, finishedBeforeClose: true }]);
      const run = app.model.runs[0]!;
      expect(run.abortedAt).not.toBeNull();
      expect(run.finished).toBe(false);
      expect(run.tokensAfterAbort).toBe(0);
    });

    it(`a cancel that lands in another isolate's in-memory registry: 404 pending for a running stream, reported as not confirmed ('unknown-stream'), then the client cuts the response: 'aborted' (onDisconnect '${onDisconnect}')`, async () => {
      const app = await startApp('separate', onDisconnect);
      const { stop, snapshot } = await stopMidStream(app.base);
      // 404 {"status":"pending"} after the stream's response started: the cancel endpoint does not
      // know the running stream, so the stop is not confirmed.
      expect(stop).toEqual({ serverConfirmed: false, error: expect.stringContaining('does not know this running stream') });
      expect(snapshot.incomplete).toMatchObject({ reason: 'cancelled', serverConfirmed: false });
      expect(snapshot.error).toBeInstanceOf(StreamCancelError);
      expect(snapshot.error).toMatchObject({ type: 'unknown-stream' });
      await waitFor(() => app.streamRequests[0]?.aborted !== null, "the stream request's 'aborted' error");
      const log = app.streamRequests[0]!;
      expect(log.finishedBeforeClose).toBe(false);
      expect(log.aborted).toMatchObject({ message: 'aborted', code: 'ECONNRESET' });
      const run = app.model.runs[0]!;
      if (onDisconnect === 'abort') {
        // Stopped by the disconnect, not by the cancel.
        await waitFor(() => run.abortedAt !== null, 'the upstream to be aborted by the disconnect');
        expect(run.finished).toBe(false);
      } else {
        // Nothing stops it: the model runs to its end, read and discarded by the server.
        await waitFor(() => run.finished, 'the upstream to run to its end');
        expect(run.abortedAt).toBeNull();
      }
      await waitFor(() => app.streamRegistry.size() === 0, 'the stream to unregister');
    });
  }
});
