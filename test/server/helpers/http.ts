import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from '../../../src/server/toNodeHandler';

export type TestServer = { url: string; server: Server; close(): Promise<void> };

/** A real node:http server on 127.0.0.1 (free port) serving `handler` through `toNodeHandler`. */
export async function startServer(routes: Record<string, (request: Request) => Promise<Response>>): Promise<TestServer> {
  const handlers = Object.fromEntries(Object.entries(routes).map(([path, handler]) => [path, toNodeHandler(handler)]));
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const handler = handlers[path];
    if (handler) handler(req, res);
    else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A fresh stream id and cancel secret, as the client makes them. */
export function newStream(): { streamId: string; secret: string } {
  return { streamId: randomUUID(), secret: randomBytes(24).toString('base64url') };
}

export function streamHeaders(ids: { streamId: string; secret: string }): Record<string, string> {
  return { 'x-stream-id': ids.streamId, 'x-stream-cancel-secret': ids.secret, 'content-type': 'application/json' };
}

/** POSTs a cancel like the client does. */
export async function postCancel(url: string, ids: { streamId: string; secret: string }): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-stream-cancel-secret': ids.secret },
    body: JSON.stringify({ streamId: ids.streamId }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Reads a body as text chunk by chunk; `until` waits for the text to satisfy a condition. */
export function textReader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let done = false;
  const chunks: string[] = [];
  const readOne = async (): Promise<boolean> => {
    const result = await reader.read();
    if (result.done) {
      done = true;
      text += decoder.decode();
      return false;
    }
    const chunk = decoder.decode(result.value, { stream: true });
    chunks.push(chunk);
    text += chunk;
    return true;
  };
  return {
    get text() {
      return text;
    },
    get done() {
      return done;
    },
    chunks,
    /** Reads until `predicate(text)` holds; throws if the stream ends first. */
    async until(predicate: (text: string) => boolean): Promise<string> {
      while (!predicate(text)) {
        if (!(await readOne())) throw new Error(`stream ended before the condition held; text so far:\n${text}`);
      }
      return text;
    },
    /** Reads to the end. */
    async rest(): Promise<string> {
      while (await readOne());
      return text;
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` until it holds (or fails after `timeoutMs`, with `message`). */
export async function waitFor(condition: () => boolean | Promise<boolean>, message: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${message}`);
    await sleep(5);
  }
}
