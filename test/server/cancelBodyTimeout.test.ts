import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createStreamRegistry, type InMemoryStreamRegistry } from '../../src/server/createStreamRegistry';
import { handleCancel, type HandleCancelOptions } from '../../src/server/handleCancel';
import { toNodeHandler } from '../../src/server/toNodeHandler';

// Issue point 6, "A cancel body that never finishes is cut": the body read is bounded in time
// (`bodyTimeoutMs`), answered 408, and the stalled connection is closed, not held until Node's
// own 300 s request timeout.

const SECRET = 's'.repeat(32);

let server: Server | null = null;
const registries: InMemoryStreamRegistry[] = [];
afterEach(async () => {
  if (server) {
    server.closeAllConnections();
    await new Promise((resolve) => server!.close(resolve));
    server = null;
  }
  await Promise.all(registries.splice(0).map((registry) => registry.close()));
});

function newRegistry() {
  const registry = createStreamRegistry();
  registries.push(registry);
  return registry;
}

/** A plain node:http server, default timeouts, serving handleCancel through toNodeHandler. */
async function listen(options: Omit<HandleCancelOptions, 'registry'> = {}): Promise<number> {
  const registry = newRegistry();
  const cancel = toNodeHandler((request) => handleCancel(request, { registry, ...options }));
  server = createServer(cancel);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

type RawResult = { text: string; answeredAfterMs: number | null; closedAfterMs: number | null };

/**
 * A raw TCP client: writes `head` and `bodyStart`, then stalls (never sends the rest), and records
 * when the answer arrives and when the server closes the connection. Gives up after `giveUpMs`.
 */
function stalledRequest(port: number, head: string, bodyStart: string, giveUpMs: number): Promise<RawResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let answeredAfterMs: number | null = null;
    let settled = false;
    const settle = (closedAfterMs: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ text, answeredAfterMs, closedAfterMs });
    };
    const giveUp = setTimeout(() => settle(null), giveUpMs);
    socket.on('connect', () => socket.write(head + bodyStart));
    socket.on('data', (chunk) => {
      if (answeredAfterMs === null) answeredAfterMs = Date.now() - started;
      text += chunk.toString('utf8');
    });
    socket.on('error', () => {});
    socket.on('close', () => settle(Date.now() - started));
  });
}

const head = (contentLength: number) =>
  'POST /cancel HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n' +
  `content-type: application/json\r\nx-stream-cancel-secret: ${SECRET}\r\ncontent-length: ${contentLength}\r\n\r\n`;

/** The status line, headers and body of a raw HTTP/1.1 answer (content-length or chunked); `complete` once it all arrived. */
function parseRaw(text: string) {
  const end = text.indexOf('\r\n\r\n');
  const [statusLine, ...headerLines] = (end < 0 ? text : text.slice(0, end)).split('\r\n');
  const headers: Record<string, string> = Object.fromEntries(
    headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  let rest = end < 0 ? '' : text.slice(end + 4);
  let body = '';
  let complete = false;
  if (headers['transfer-encoding'] === 'chunked') {
    for (;;) {
      const lineEnd = rest.indexOf('\r\n');
      if (lineEnd < 0) break;
      const size = parseInt(rest.slice(0, lineEnd), 16);
      if (!Number.isInteger(size)) break; // not a chunk: a malformed answer
      if (size === 0) {
        complete = true;
        break;
      }
      if (rest.length < lineEnd + 2 + size + 2) break;
      body += rest.slice(lineEnd + 2, lineEnd + 2 + size);
      rest = rest.slice(lineEnd + 2 + size + 2);
    }
  } else {
    body = rest;
    complete = end >= 0 && Buffer.byteLength(rest) >= Number(headers['content-length'] ?? 0);
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, body, complete };
}

/** A Request whose body sends `first` and then never another byte (nor its end). */
function stalledBodyRequest(first: string | null, headers: Record<string, string> = {}) {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first !== null) controller.enqueue(new TextEncoder().encode(first));
    },
  });
  return new Request('http://app.test/cancel', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-stream-cancel-secret': SECRET, ...headers },
    body,
    duplex: 'half',
  } as RequestInit);
}

/** `promise`, or `'still waiting'` after `ms`. */
const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), ms))]);

describe('a cancel body that never finishes', () => {
  it('5 of 100 declared bytes, then a stall: 408 JSON within bodyTimeoutMs, and the socket is closed (raw TCP, node:http + toNodeHandler)', async () => {
    const port = await listen({ bodyTimeoutMs: 300 });
    const result = await stalledRequest(port, head(100), '{"str', 3000);
    expect(result.answeredAfterMs).not.toBeNull();
    expect(result.answeredAfterMs!).toBeGreaterThanOrEqual(250);
    expect(result.answeredAfterMs!).toBeLessThan(1500);
    const answer = parseRaw(result.text);
    expect(answer.status).toBe(408);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(answer.headers['connection']).toBe('close');
    expect(JSON.parse(answer.body).error).toMatch(/did not arrive within 300 ms/);
    // Released: the server closed the connection right after the answer.
    expect(result.closedAfterMs).not.toBeNull();
    expect(result.closedAfterMs!).toBeLessThan(1500);
  });

  it('headers and no body byte at all (the time to first byte counts too): 408, socket closed', async () => {
    const port = await listen({ bodyTimeoutMs: 300 });
    const result = await stalledRequest(port, head(100), '', 3000);
    expect(parseRaw(result.text).status).toBe(408);
    expect(result.closedAfterMs).not.toBeNull();
    expect(result.closedAfterMs!).toBeLessThan(1500);
  });

  it('the default bound is 5 s', async () => {
    const port = await listen();
    const result = await stalledRequest(port, head(100), '{"str', 8000);
    expect(parseRaw(result.text).status).toBe(408);
    expect(result.answeredAfterMs!).toBeGreaterThanOrEqual(4900);
    expect(result.answeredAfterMs!).toBeLessThan(6500);
    expect(result.closedAfterMs!).toBeLessThan(6500);
  }, 15_000);

  it('an answer sent before the body (400: not JSON) while the client stalls: the idle socket is closed by node:http within seconds, not 300 s', async () => {
    const port = await listen();
    const result = await stalledRequest(port, head(100).replace('application/json', 'text/plain'), '{"str', 12_000);
    expect(parseRaw(result.text).status).toBe(400);
    expect(result.answeredAfterMs!).toBeLessThan(1000);
    // Node's keep-alive timeout (5 s, plus its 1 s buffer on Node 20) ends the connection.
    expect(result.closedAfterMs).not.toBeNull();
    expect(result.closedAfterMs!).toBeLessThan(8000);
  }, 15_000);

  it('a slow but complete body within the bound is answered normally, and the connection stays usable', async () => {
    const port = await listen({ bodyTimeoutMs: 1000 });
    const body = JSON.stringify({ streamId: 'not-started-yet' });
    const result = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      socket.on('connect', async () => {
        socket.write(head(body.length) + body.slice(0, 5));
        await new Promise((r) => setTimeout(r, 200));
        socket.write(body.slice(5));
      });
      socket.on('data', (chunk) => {
        text += chunk.toString('utf8');
        if (parseRaw(text).complete) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.on('error', reject);
    });
    const answer = parseRaw(result);
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body).status).toBe('pending');
    expect(answer.headers['connection']).toBe('keep-alive');
  });

  it('handleCancel alone (any fetch runtime): a stalled body answers 408 after bodyTimeoutMs', async () => {
    const registry = newRegistry();
    const started = Date.now();
    const res = await within(handleCancel(stalledBodyRequest('{"stre'), { registry, bodyTimeoutMs: 200 }), 3000);
    expect(res).not.toBe('still waiting');
    const response = res as Response;
    expect(response.status).toBe(408);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(await response.json()).toEqual({ error: expect.stringMatching(/did not arrive within 200 ms/) });
    expect(registry.counts().tombstones).toBe(0);
  });

  it('with cors, the 408 is labelled for the page', async () => {
    const registry = newRegistry();
    const res = await within(
      handleCancel(stalledBodyRequest(null, { origin: 'https://app.example' }), { registry, bodyTimeoutMs: 100, cors: { origin: 'https://app.example' } }),
      3000,
    );
    expect(res).not.toBe('still waiting');
    const response = res as Response;
    expect(response.status).toBe(408);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example');
  });

  it('rejects a bodyTimeoutMs that is not a positive number (500, nothing read)', async () => {
    const registry = newRegistry();
    const res = await within(handleCancel(stalledBodyRequest('{'), { registry, bodyTimeoutMs: 0 }), 3000);
    expect(res).not.toBe('still waiting');
    expect((res as Response).status).toBe(500);
  });
});
