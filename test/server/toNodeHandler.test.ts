import { afterEach, describe, expect, it } from 'vitest';
import { startServer, waitFor, type TestServer } from './helpers/http';

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('toNodeHandler', () => {
  it('builds a Web Request: method, URL, headers and a streamed body', async () => {
    let seen: { method: string; url: string; header: string | null; body: string } | null = null;
    server = await startServer({
      '/echo': async (request) => {
        seen = { method: request.method, url: request.url, header: request.headers.get('x-thing'), body: await request.text() };
        return new Response('ok');
      },
    });
    const res = await fetch(`${server.url}/echo?a=1`, { method: 'POST', headers: { 'x-thing': 'yes' }, body: 'héllo' });
    expect(await res.text()).toBe('ok');
    expect(seen).toEqual({ method: 'POST', url: `${server.url}/echo?a=1`, header: 'yes', body: 'héllo' });
  });

  it('writes status, headers (several set-cookie) and body', async () => {
    server = await startServer({
      '/h': async () => {
        const headers = new Headers({ 'content-type': 'application/json', 'x-a': '1' });
        headers.append('set-cookie', 'a=1');
        headers.append('set-cookie', 'b=2');
        return new Response('{"x":1}', { status: 201, headers });
      },
    });
    const res = await fetch(`${server.url}/h`);
    expect(res.status).toBe(201);
    expect(res.headers.get('x-a')).toBe('1');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await res.json()).toEqual({ x: 1 });
  });

  it('answers 500 JSON when the handler throws', async () => {
    server = await startServer({
      '/boom': async () => {
        throw new Error('secret internals');
      },
    });
    const res = await fetch(`${server.url}/boom`);
    expect(res.status).toBe(500);
    const body = await res.json();
    expect(body.error).toMatch(/handler failed/);
    expect(JSON.stringify(body)).not.toContain('secret internals');
  });

  it('aborts request.signal and cancels the body when the client goes away mid-response, not after a complete one', async () => {
    const signals: AbortSignal[] = [];
    let bodyCancelled = false;
    server = await startServer({
      '/slow': async (request) => {
        signals.push(request.signal);
        return new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode('first'));
            },
            cancel() {
              bodyCancelled = true;
            },
          }),
        );
      },
      '/fast': async (request) => {
        signals.push(request.signal);
        return new Response('done');
      },
    });
    expect(await (await fetch(`${server.url}/fast`)).text()).toBe('done');
    const client = new AbortController();
    const res = await fetch(`${server.url}/slow`, { signal: client.signal });
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('first');
    client.abort();
    await waitFor(() => signals[1]!.aborted && bodyCancelled, 'the request signal to abort and the body to be cancelled');
    expect(signals[0]!.aborted).toBe(false);
  });

  it('errors the connection when the body errors mid-way (no clean end)', async () => {
    server = await startServer({
      '/broken': async () =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode('part'));
              setTimeout(() => controller.error(new Error('upstream reset')), 10);
            },
          }),
        ),
    });
    const res = await fetch(`${server.url}/broken`);
    await expect(res.text()).rejects.toThrow();
  });
});
