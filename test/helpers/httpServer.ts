import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the test server received. */
export type RecordedRequest = {
  /** 0-based order of arrival. */
  seq: number;
  method: string;
  /** Path and query, e.g. `/stream?x=1`. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The whole request body as UTF-8 text (read before the handler runs). */
  body: string;
  req: IncomingMessage;
  res: ServerResponse;
  /**
   * Resolves when the response's connection is done: `aborted: false` when the response ended
   * normally, `true` when the client closed the connection (or the socket was destroyed) first.
   */
  closed: Promise<{ aborted: boolean }>;
};

/** What a handler receives: the request with its body already read. */
export type TestHandler = (request: RecordedRequest) => void | Promise<void>;

export type TestServer = {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  url: string;
  /** Every request so far, in order of arrival. */
  requests: RecordedRequest[];
  /**
   * An ordered log of what the server saw, for asserting order without wall-clock time:
   * `'request POST /stream'`, `'end POST /stream'` (response finished), `'abort POST /stream'`
   * (connection closed before the response finished).
   */
  events: string[];
  /** Stops the server and destroys every open connection. */
  close(): Promise<void>;
};

/**
 * Starts a real `node:http` server on 127.0.0.1, port 0 (a free one), that reads each request's
 * body and hands it to `handler`. A handler that throws answers 500. Reusable by any test that
 * needs a real network peer (abort, dropped connections, slow answers).
 *
 * @example
 * ```ts
 * const server = await startHttpServer(({ res }) => {
 *   res.writeHead(200, { 'content-type': 'text/plain' });
 *   res.end('hello');
 * });
 * try {
 *   const text = await (await fetch(`${server.url}/x`)).text();
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export async function startHttpServer(handler: TestHandler): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const events: string[] = [];

  const server = createServer((req, res) => {
    const label = `${req.method} ${req.url}`;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => {});
    const closed = new Promise<{ aborted: boolean }>((resolve) => {
      // `res` 'close' fires once the connection is done with this response; `req` 'close' is not
      // a reliable abort signal (it fires after the body has been read).
      res.on('close', () => {
        const aborted = !res.writableFinished;
        events.push(`${aborted ? 'abort' : 'end'} ${label}`);
        resolve({ aborted });
      });
    });
    res.on('error', () => {});
    req.on('end', () => {
      const request: RecordedRequest = {
        seq: requests.length,
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        req,
        res,
        closed,
      };
      requests.push(request);
      events.push(`request ${label}`);
      Promise.resolve()
        .then(() => handler(request))
        .catch((error: unknown) => {
          if (!res.headersSent) {
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(`test handler failed: ${error instanceof Error ? error.message : String(error)}`);
          } else {
            res.destroy();
          }
        });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    events,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Waits `ms` milliseconds (for server handlers that pace their writes). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
