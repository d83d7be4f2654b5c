import type { IncomingMessage, ServerResponse } from 'node:http';
import { setPeerAddress } from './internal/peerAddress';

/**
 * Adapts a Web-standard handler (`(request: Request) => Promise<Response>`, as `handleModelStream`
 * and `handleCancel` are used in route handlers) to a `node:http` listener, for plain Node servers,
 * Express and tests.
 *
 * - The Request gets an `AbortSignal` that aborts when the client closes the connection before the
 *   response finished (a disconnect), which is what `onDisconnect` reacts to.
 * - The Response body is written chunk by chunk as it arrives, with headers flushed first and
 *   backpressure honoured (`drain`); a client that goes away cancels the body.
 * - A handler that throws answers `500` JSON if nothing was sent yet, else the connection is reset.
 * - The socket's remote address is kept with the Request: `handleCancel`'s default rate limit key
 *   (see `defaultRateLimitKey`; behind a reverse proxy it is the proxy's, so set `trustProxy`).
 *
 * Only `import type` from `node:http`: nothing Node-specific is loaded at run time.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createStreamRegistry, handleCancel, handleModelStream, toNodeHandler } from 'react-model-stream/server';
 *
 * const registry = createStreamRegistry();
 * const chat = toNodeHandler((request) => handleModelStream(request, { registry, upstream: (signal) => callModel(signal) }));
 * const cancel = toNodeHandler((request) => handleCancel(request, { registry }));
 * createServer((req, res) => (req.url === '/api/cancel' ? cancel(req, res) : chat(req, res))).listen(3000);
 * ```
 */
export function toNodeHandler(handler: (request: Request) => Promise<Response>): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort(new DOMException('The client disconnected.', 'AbortError'));
    });
    let request: Request;
    try {
      request = toRequest(req, abort.signal);
      // The cancel endpoint's default rate limit key: the socket's address, which no client writes.
      setPeerAddress(request, req.socket?.remoteAddress);
    } catch {
      sendError(res, 400, 'The request could not be read.');
      return;
    }
    Promise.resolve()
      .then(() => handler(request))
      .then((response) => writeResponse(response, res, abort.signal))
      .catch(() => {
        if (!res.headersSent) sendError(res, 500, 'The request handler failed.');
        else res.destroy();
      });
  };
}

function toRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const host = req.headers.host ?? 'localhost';
  const url = new URL(req.url ?? '/', `http://${host}`);
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    // HTTP/2 pseudo-headers (":path") are not valid Fetch header names.
    if (name.startsWith(':')) continue;
    headers.append(name, req.rawHeaders[i + 1]!);
  }
  const method = req.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  let body: ReadableStream<Uint8Array> | null = null;
  if (hasBody) {
    // Pull-based: the socket is paused until the handler reads, so a handler that reads only the
    // first 4 KB (the cancel endpoint) never buffers a large upload.
    body = new ReadableStream<Uint8Array>(
      {
        start(controller) {
          req.on('data', (chunk: Uint8Array) => {
            controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
            if ((controller.desiredSize ?? 0) <= 0) req.pause();
          });
          req.on('end', () => {
            try {
              controller.close();
            } catch {
              // cancelled by the handler
            }
          });
          req.on('error', (error) => {
            try {
              controller.error(error);
            } catch {
              // cancelled by the handler
            }
          });
          req.pause();
        },
        pull() {
          req.resume();
        },
        cancel() {
          req.resume(); // drain and discard the rest so the connection can answer
          req.removeAllListeners('data');
          req.on('data', () => {});
        },
      },
      { highWaterMark: 1 },
    );
  }
  return new Request(url, {
    method,
    headers,
    body,
    signal,
    // Required by Node's fetch for a streaming request body.
    ...(body ? { duplex: 'half' } : {}),
  } as RequestInit);
}

async function writeResponse(response: Response, res: ServerResponse, signal: AbortSignal): Promise<void> {
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  const cookies = response.headers.getSetCookie();
  for (const [name, value] of response.headers) {
    if (name === 'set-cookie') continue;
    res.setHeader(name, value);
  }
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  if (response.body === null) {
    res.end();
    return;
  }
  // Headers go out now, not with the first chunk: the client learns the stream started.
  res.flushHeaders();
  const reader = response.body.getReader();
  const onAbort = () => reader.cancel(signal.reason).catch(() => {});
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) {
        await reader.cancel().catch(() => {});
        return;
      }
      if (!res.write(value)) {
        await new Promise<void>((resolve) => {
          const settle = () => {
            res.off('drain', settle);
            res.off('close', settle);
            resolve();
          };
          res.on('drain', settle);
          res.on('close', settle);
        });
      }
    }
    if (!res.destroyed) res.end();
  } catch {
    // The body errored mid-way (the upstream broke): reset the connection so the client sees a
    // broken stream, not a clean end.
    res.destroy();
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function sendError(res: ServerResponse, status: number, message: string) {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ error: message }));
}
