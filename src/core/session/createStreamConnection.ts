import { ErrorBody, readTextUpTo } from '../createCancelRequest';
import { createDecoder, type LazyDecoder } from '../decoders/createDecoder';
import { StreamAbortedError, StreamHttpError } from '../errors';
import { Header } from '../ids';
import { createDeferred } from '../internal/createDeferred';
import { trackOpenStream } from '../openStreams';
import type { Protocol, StreamEvent } from '../types';
import { loadHandler, loadHandlersBeforeRequest } from './loadHandler';
import type { StreamSessionOptions } from './types';

/** How the read loop ended: the end of the stream, a dropped connection, or an error (fetch failed, non-2xx, undecodable). */
export type CloseReason = 'eof' | 'dropped' | 'error';

/** What the session hears from its connection. */
export type ConnectionSink = {
  /** The session has ended: read no further (asked after every wait). */
  ended(): boolean;
  /** Each decoded event, as it is decoded. */
  event(event: StreamEvent): void;
  /** A non-empty chunk arrived; the session decodes it (`decode`), with its first-byte bookkeeping around it. */
  chunk(chunk: Uint8Array): void;
  /** The read loop is over (once); `failure` for `dropped` and `error`. */
  closed(how: CloseReason, failure?: unknown): void;
  /**
   * A body ended (`eof`) or broke (`dropped`, with the read error): `true` when the session
   * resumes the stream (docs/resume.md); else the connection closes as it says.
   */
  lost(how: 'eof' | 'dropped', failure?: unknown): boolean;
};

/** What {@link createStreamConnection} returns: one request, its decoder, and how it closes. */
export type StreamConnection = {
  /** The wire format, once the decoder knows it (`null` before a 2xx answer, and until then). */
  readonly protocol: Protocol | null;
  /**
   * The stream's response has started (its headers arrived): from then on a `pending` cancel
   * answer cannot be true. Not for the answer to a stream whose cancel arrived first (its header
   * says so): that is the pending cancel taking effect.
   */
  started: boolean;
  /** The read loop is over. */
  done: boolean;
  /** Resolves once `done`. */
  readonly closed: Promise<void>;
  /**
   * Sends the request (the session's `x-stream-id` and `x-stream-cancel-secret` override user
   * headers of the same name) and reads the answer until the stream closes.
   */
  read(ids: { streamId: string; cancelSecret: string }): Promise<void>;
  /** Feeds a chunk to the decoder, or ends its input; `false` (after closing with the error) when the stream is undecodable. */
  decode(chunk?: Uint8Array): boolean;
  /** Closes the read loop (once), with no resume: an `eof` first ends the decoder's input (which may close it with an error instead). */
  finish(how: CloseReason, failure?: unknown): void;
  /** The decoder, once a 2xx answer came (it carries over into a resumed body: docs/resume.md). */
  decoder?: LazyDecoder;
  /** The stream request's headers (the user's, `x-stream-id`, `x-stream-cancel-secret`), once sent: a resume request sends them too. */
  headers?: Headers;
  /**
   * Reads an answer: a non-2xx one closes with its `StreamHttpError` (the first-byte bound covers
   * its body); a 2xx one goes through the decoder, chunk by chunk, until its body ends or breaks
   * (`sink.lost`, then the close) or the session ended.
   */
  readFrom(response: Response): Promise<void>;
  /** The signal `abort` aborts: the stream request's, and every resume request's (docs/resume.md). */
  readonly signal: AbortSignal;
  /** Closes the connection: aborts the fetch (the server sees the request close) and lets go of the reader. */
  abort(reason: 'cancelled' | 'disconnected'): void;
  /** Stops counting this stream among the page's open streams (see `openStreams.ts`); once. */
  release(): void;
};

const noop = () => {};

/**
 * A page that goes away (a reload, a closed tab, a navigation) paints no more frames, then cuts its
 * requests while it dispatches `pagehide`: their promises settle between that event's listeners,
 * before the page's own `disconnect()` (useModelStream's listener) has run. So a drop, or a request
 * that failed, is decided a task later, once that dispatch is over: a page that leaves ends its
 * message as it showed it (`disconnected`), never `reconnecting` or `error` with text received
 * after its last frame (docs/resume.md, "A page that leaves"). A message, not a timer: a hidden
 * page's timers wait up to a second, and fake timers not at all.
 */
const afterThisTask = () =>
  new Promise<void>((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(0);
  });

/**
 * How a read ends: an end or a drop may be resumed (`sink.lost`), else it closes (`finish`). An end
 * or a drop once the protocol's handler (still loading on a page's first stream) applied the events
 * it holds: a resume's cursor, the finish and the end count them. A failure, a task later
 * (`afterThisTask`). Nothing, if the session ended meanwhile.
 */
async function closeRead(connection: StreamConnection, sink: ConnectionSink, how: CloseReason, failure?: unknown) {
  const ready = how !== 'error' && connection.decoder?.ready;
  try {
    if (ready) await ready;
    if (how !== 'eof') await afterThisTask();
  } catch (error) {
    how = 'error';
    failure = error;
  }
  if (!sink.ended() && (how === 'error' || !sink.lost(how, failure))) connection.finish(how, failure);
}

/**
 * The loop over a body, chunk by chunk into `sink`, until it ends (`close`) or the session ended.
 * getReader, not async iteration: Safari's ReadableStream is not async-iterable. The loop never
 * waits for the end's decision: a body that errors drops what it queued unread, so every chunk is
 * read at once.
 */
async function readBody(reader: ReadableStreamDefaultReader<Uint8Array> | undefined, sink: ConnectionSink, connection: StreamConnection, close: (how: CloseReason, failure?: unknown) => Promise<void>) {
  try {
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        // No body at all reads as an empty stream.
        result = reader ? await reader.read() : { done: true, value: undefined };
      } catch (failure) {
        return close('dropped', failure);
      }
      if (sink.ended()) return;
      if (result.done) return close('eof');
      if (result.value.byteLength === 0) continue;
      sink.chunk(result.value);
      if (connection.done) return;
    }
  } finally {
    try {
      reader?.releaseLock();
    } catch {
      // already released
    }
  }
}

/**
 * Reading a response, on its own: the `fetch` (with one `AbortController`), a non-2xx answer read
 * into a `StreamHttpError`, the decoder for a 2xx one, and the read loop that hands each chunk to
 * the session. Every way the loop ends reaches `sink.closed` once; the session decides what it
 * means. The stream counts among the page's open streams from the request until it closes or the
 * session releases it (docs/session.md, "The browser's connection pool").
 */
export function createStreamConnection(options: StreamSessionOptions, fetchFn: typeof fetch, sink: ConnectionSink): StreamConnection {
  // A protocol named: its handler's chunk loads now, in parallel with the request ('auto': at detection).
  const { protocol } = options;
  if (protocol && protocol !== 'auto' && protocol !== 'text') loadHandler(protocol);
  const controller = new AbortController();
  const closing = createDeferred<void>();
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;

  const close = (how: CloseReason, failure?: unknown) => closeRead(connection, sink, how, failure);

  const connection: StreamConnection = {
    get protocol() {
      return connection.decoder?.protocol ?? null;
    },
    started: false,
    done: false,
    closed: closing.promise,
    release: noop,
    async read(ids) {
      const headers = (connection.headers = new Headers(options.headers));
      headers.set('x-stream-id', ids.streamId);
      headers.set('x-stream-cancel-secret', ids.cancelSecret);
      const handlers = protocol === 'auto' || !protocol ? loadHandlersBeforeRequest(options) : null;
      connection.release = trackOpenStream(options.api);
      // Stopped while it waited for the handlers: the session ended (and released it); nothing to send.
      if (handlers && (await handlers, sink.ended())) return;
      const { method = 'POST', body, credentials } = options;
      let response: Response;
      try {
        response = await fetchFn(options.api, { method, headers, body, credentials, signal: controller.signal });
      } catch (failure) {
        return close('error', failure);
      }
      if (sink.ended()) return void response.body?.cancel().catch(noop);
      if (response.ok) {
        connection.started = !response.headers.has(Header.STREAM_CANCELLED);
        // The decoder's options (`protocol`, `aiSdkUsagePath`, `maxEventSize`) are the session's own,
        // under the same names: passed as they are, with the answer's content type.
        connection.decoder = createDecoder({ ...options, contentType: response.headers.get('content-type') }, sink.event, loadHandler);
      }
      return connection.readFrom(response);
    },
    finish(how, failure) {
      if (connection.done || (how === 'eof' && !connection.decode())) return;
      // The end's last line or event started the handler's load: its events first (see `readBody`).
      const ready = how === 'eof' && connection.decoder!.ready;
      if (ready) return void ready.then(() => connection.finish(how), (error) => connection.finish('error', error));
      connection.done = true;
      closing.resolve();
      connection.release();
      sink.closed(how, failure);
    },
    async readFrom(response) {
      if (response.ok) return readBody((reader = response.body?.getReader()), sink, connection, close);
      close('error', new StreamHttpError(response.status, response.statusText, await readTextUpTo(response, ErrorBody.MAX_BYTES)));
    },
    signal: controller.signal,
    decode(chunk) {
      try {
        if (chunk) connection.decoder!.push(chunk);
        else connection.decoder!.end();
        return true;
      } catch (failure) {
        // Events decoded before the bad one were applied: the text before it is kept.
        connection.finish('error', failure);
        return false;
      }
    },
    abort(reason) {
      if (!controller.signal.aborted) controller.abort(new StreamAbortedError(reason));
      reader?.cancel().catch(noop);
    },
  };
  return connection;
}
