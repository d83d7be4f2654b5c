import { afterEach, describe, expect, it } from 'vitest';
import { createStreamRegistry, type InMemoryStreamRegistry } from '../../src/server/createStreamRegistry';
import { handleCancel, type CancelCorsOptions, type HandleCancelOptions } from '../../src/server/handleCancel';
import { handleModelStream } from '../../src/server/handleModelStream';
import { createManualUpstream, deltaOf } from './helpers/fakeUpstream';
import { newStream, startServer, streamHeaders, textReader, type TestServer } from './helpers/http';

// The cancel endpoint on its own origin: `cors` answers the browser's preflight and labels every
// answer for an allowed page origin. Real node:http server; the requests carry the `Origin` and
// preflight headers a browser sends (Node's fetch sends them as given).

const APP = 'https://app.example';

let server: TestServer | null = null;
let registry: InMemoryStreamRegistry | null = null;
afterEach(async () => {
  await server?.close();
  await registry?.close();
  server = registry = null;
});

async function start(cors?: CancelCorsOptions, rateLimit?: HandleCancelOptions['rateLimit']) {
  registry = createStreamRegistry();
  const reg = registry;
  const fake = createManualUpstream();
  server = await startServer({
    '/stream': (request) => handleModelStream(request, { registry: reg, upstream: fake.upstream }),
    '/cancel': (request) => handleCancel(request, { registry: reg, ...(cors ? { cors } : {}), ...(rateLimit !== undefined ? { rateLimit } : {}) }),
  });
  return { fake, streamUrl: `${server.url}/stream`, cancelUrl: `${server.url}/cancel` };
}

const preflight = (url: string, origin: string) =>
  fetch(url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-stream-cancel-secret' },
  });

const cancelFrom = (url: string, origin: string, ids: { streamId: string; secret: string }) =>
  fetch(url, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json', 'x-stream-cancel-secret': ids.secret },
    body: JSON.stringify({ streamId: ids.streamId }),
  });

const corsHeaders = (res: Response) => Object.fromEntries([...res.headers].filter(([name]) => name.startsWith('access-control-')));

describe('handleCancel: cors', () => {
  it('answers the preflight of an allowed origin with 204 and what a JSON POST with the secret header needs', async () => {
    const { cancelUrl } = await start({ origin: APP, maxAgeSeconds: 120 });
    const res = await preflight(cancelUrl, APP);
    expect(res.status).toBe(204);
    expect(corsHeaders(res)).toEqual({
      'access-control-allow-origin': APP,
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'content-type, x-stream-cancel-secret',
      'access-control-max-age': '120',
      'access-control-expose-headers': 'retry-after',
    });
    expect(res.headers.get('vary')).toBe('origin, access-control-request-headers');
  });

  it("allows the app's own request headers the preflight asks for (useModelStream sends the stream's headers with the cancel)", async () => {
    const { cancelUrl } = await start({ origin: APP });
    const res = await fetch(cancelUrl, {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-stream-cancel-secret,x-tenant' },
    });
    expect(res.status).toBe(204);
    const allowed = res.headers.get('access-control-allow-headers')!.split(',').map((h) => h.trim().toLowerCase());
    expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'x-stream-cancel-secret', 'x-tenant']));
    expect(res.headers.get('vary')).toBe('origin, access-control-request-headers');
  });

  it('an authorize hook that throws: the 500 is readable cross-origin', async () => {
    registry = createStreamRegistry();
    const reg = registry;
    server = await startServer({
      '/cancel': (request) =>
        handleCancel(request, {
          registry: reg,
          cors: { origin: APP },
          authorize: () => {
            throw new Error('session store down');
          },
        }),
    });
    const res = await cancelFrom(`${server.url}/cancel`, APP, newStream());
    expect(res.status).toBe(500);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
  });

  it('refuses the preflight of another origin (403, no CORS headers): the browser never sends the POST', async () => {
    const { cancelUrl } = await start({ origin: [APP, 'https://admin.example'] });
    const res = await preflight(cancelUrl, 'https://evil.example');
    expect(res.status).toBe(403);
    expect(corsHeaders(res)).toEqual({});
    expect(res.headers.get('vary')).toBe('origin');
    expect((await preflight(cancelUrl, 'https://admin.example')).status).toBe(204);
  });

  it('a cancel from an allowed origin stops the stream and its answer is readable cross-origin', async () => {
    const { fake, streamUrl, cancelUrl } = await start({ origin: (origin) => origin.endsWith('.example'), credentials: true });
    const ids = newStream();
    const res = await fetch(streamUrl, { method: 'POST', headers: streamHeaders(ids) });
    const reader = textReader(res.body!);
    fake.send(deltaOf('openai-chat', 0));
    await reader.until((text) => text.includes('w00'));

    const cancel = await cancelFrom(cancelUrl, APP, ids);
    expect(cancel.status).toBe(200);
    expect(corsHeaders(cancel)).toMatchObject({ 'access-control-allow-origin': APP, 'access-control-allow-credentials': 'true' });
    expect(cancel.headers.get('vary')).toBe('origin');
    expect(await cancel.json()).toMatchObject({ status: 'cancelled' });
    expect(fake.signal!.aborted).toBe(true);
    expect(await reader.rest()).toContain('stream-cancelled');
  });

  it('error answers carry the headers too, and expose Retry-After on a 429', async () => {
    // Keyed on the address our (one) proxy appended to x-forwarded-for.
    const { cancelUrl } = await start({ origin: '*' }, { trustProxy: 1 });
    const ids = newStream();
    const res = await fetch(cancelUrl, {
      method: 'POST',
      headers: { origin: APP, 'content-type': 'application/json', 'x-stream-cancel-secret': ids.secret, 'x-forwarded-for': '9.9.9.9' },
      body: JSON.stringify({ streamId: ids.streamId }),
    });
    expect(res.status).toBe(404);
    expect(corsHeaders(res)).toMatchObject({ 'access-control-allow-origin': '*', 'access-control-expose-headers': 'retry-after' });
    let last: Response | null = null;
    for (let i = 0; i < 31; i++) {
      last = await fetch(cancelUrl, {
        method: 'POST',
        headers: { origin: APP, 'content-type': 'application/json', 'x-stream-cancel-secret': ids.secret, 'x-forwarded-for': '9.9.9.9' },
        body: JSON.stringify({ streamId: `guess-${i}` }),
      });
    }
    expect(last!.status).toBe(429);
    expect(last!.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(last!.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('a cancel from an origin not allowed is still answered (CORS is not access control; the secret is), without CORS headers', async () => {
    const { cancelUrl } = await start({ origin: APP });
    const res = await cancelFrom(cancelUrl, 'https://evil.example', newStream());
    expect(res.status).toBe(404);
    expect(corsHeaders(res)).toEqual({});
  });

  it("'*' with credentials echoes the origin (browsers refuse '*' with credentials), but never the opaque 'null' origin", async () => {
    const { cancelUrl } = await start({ origin: '*', credentials: true });
    const res = await preflight(cancelUrl, APP);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect((await preflight(cancelUrl, 'null')).status).toBe(403);
  });

  it('a predicate that throws allows nothing', async () => {
    const { cancelUrl } = await start({
      origin: () => {
        throw new Error('boom');
      },
    });
    expect((await preflight(cancelUrl, APP)).status).toBe(403);
  });

  it('without cors: OPTIONS is 405 and no answer has CORS headers (same-origin only)', async () => {
    const { cancelUrl } = await start();
    const res = await preflight(cancelUrl, APP);
    expect(res.status).toBe(405);
    expect(corsHeaders(res)).toEqual({});
    expect(corsHeaders(await cancelFrom(cancelUrl, APP, newStream()))).toEqual({});
  });
});
