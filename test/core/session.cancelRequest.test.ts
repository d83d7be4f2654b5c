import { webcrypto } from 'node:crypto';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createCancelRequest } from '../../src/core/createCancelRequest';
import { StreamHttpError } from '../../src/core/errors';
import { createCancelSecret, createStreamId } from '../../src/core/ids';
import { startHttpServer, type TestServer } from '../helpers/httpServer';

// Stream identity (ids.ts) and the default cancel request (createCancelRequest.ts) against a real server.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
  vi.unstubAllGlobals();
});

describe('ids', () => {
  test('createStreamId returns distinct v4 UUIDs', () => {
    const ids = new Set(Array.from({ length: 100 }, () => createStreamId()));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(UUID);
  });

  test('createStreamId builds a v4 UUID from getRandomValues where randomUUID is missing (insecure origins)', () => {
    vi.stubGlobal('crypto', { getRandomValues: <T extends ArrayBufferView>(array: T) => webcrypto.getRandomValues(array as any) as T });
    const ids = new Set(Array.from({ length: 50 }, () => createStreamId()));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id).toMatch(UUID);
  });

  test('createCancelSecret is 256 random bits as unpadded base64url', () => {
    const secrets = new Set(Array.from({ length: 100 }, () => createCancelSecret()));
    expect(secrets.size).toBe(100);
    for (const secret of secrets) {
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const bytes = Buffer.from(secret, 'base64url');
      expect(bytes).toHaveLength(32);
    }
  });
});

describe('createCancelRequest', () => {
  const request = { streamId: 'stream-1', cancelSecret: 'secret-1', signal: new AbortController().signal };

  test('POSTs {"streamId"} as JSON with the secret header', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"cancelled","usage":{"inputTokens":3,"outputTokens":4},"usageEstimated":false}');
    });
    const cancel = createCancelRequest(`${server.url}/api/cancel`, { headers: { authorization: 'Bearer t' } });
    await expect(cancel(request)).resolves.toEqual({ confirmed: true, usage: { inputTokens: 3, outputTokens: 4 } });
    const received = server.requests[0]!;
    expect(received.method).toBe('POST');
    expect(received.url).toBe('/api/cancel');
    expect(received.headers['content-type']).toBe('application/json');
    expect(received.headers['x-stream-cancel-secret']).toBe('secret-1');
    expect(received.headers.authorization).toBe('Bearer t');
    expect(JSON.parse(received.body)).toEqual({ streamId: 'stream-1' });
  });

  test.each<[answer: string, body: string, outcome: unknown]>([
    [
      'estimated usage',
      '{"status":"cancelled","usage":{"inputTokens":10,"outputTokens":null},"usageEstimated":true}',
      { confirmed: true, usage: { inputTokens: 10, outputTokens: null, estimated: true } },
    ],
    ['null usage', '{"status":"cancelled","usage":null,"usageEstimated":false}', { confirmed: true, usage: null }],
    ['already-finished', '{"status":"already-finished"}', { confirmed: false, alreadyFinished: true }],
  ])('maps %s', async (_answer, body, outcome) => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
    await expect(createCancelRequest(`${server.url}/cancel`)(request)).resolves.toEqual(outcome);
  });

  test.each([403, 404, 500])('rejects with a StreamHttpError on %i, with its status and body', async (status) => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(`{"error":"status ${status}"}`);
    });
    const failure = await createCancelRequest(`${server.url}/cancel`)(request).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StreamHttpError);
    expect((failure as StreamHttpError).status).toBe(status);
    expect((failure as StreamHttpError).body).toBe(`{"error":"status ${status}"}`);
  });

  test('a 404 "pending" (no such stream yet; the server will cancel it on arrival) is confirmed and flagged pending (the session decides)', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"status":"pending","error":"No stream with this id is running yet"}');
    });
    const cancel = createCancelRequest(`${server.url}/cancel`);
    const outcome = await cancel({ streamId: 's', cancelSecret: 'x'.repeat(43), signal: new AbortController().signal });
    expect(outcome).toEqual({ confirmed: true, pending: true, usage: null });
  });

  test('rejects on a 2xx answer it does not understand', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>login</html>');
    });
    await expect(createCancelRequest(`${server.url}/cancel`)(request)).rejects.toThrow(/unexpected body/);
  });

  test('reads a chunked answer (no content-length) whole; a 2xx page declared over 64 KB (read through the bounded reader) is an unexpected body', async () => {
    server = await startHttpServer(({ res, url }) => {
      if (url === '/chunked') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"status":"canc');
        setTimeout(() => res.end('elled","usage":{"inputTokens":3,"outputTokens":4}}'), 20);
        return;
      }
      // A broken cancel endpoint answering a huge page: its size is declared, so it is read bounded.
      const page = 'x'.repeat(200_000);
      res.writeHead(200, { 'content-type': 'text/html', 'content-length': String(page.length) });
      res.end(page);
    });
    await expect(createCancelRequest(`${server.url}/chunked`)(request)).resolves.toMatchObject({ confirmed: true, usage: { inputTokens: 3, outputTokens: 4 } });
    const huge = createCancelRequest(`${server.url}/huge`)(request);
    await expect(huge).rejects.toThrow(/unexpected body/);
    const message = await huge.then(
      () => '',
      (error: Error) => error.message,
    );
    expect(message.length).toBeLessThan(500);
  });

  test('accepts a fetch as second argument and honours the signal', async () => {
    server = await startHttpServer(() => {
      // never answers
    });
    const fetchSpy = vi.fn((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
    const controller = new AbortController();
    const pending = createCancelRequest(`${server.url}/cancel`, fetchSpy as typeof fetch)({ ...request, signal: controller.signal });
    await vi.waitFor(() => expect(server!.requests).toHaveLength(1), { timeout: 10_000, interval: 5 });
    controller.abort();
    await expect(pending).rejects.toThrow();
    expect(fetchSpy).toHaveBeenCalledTimes(1);
    await expect(server.requests[0]!.closed).resolves.toEqual({ aborted: true });
  });
});
