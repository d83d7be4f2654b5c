import { MAX_ERROR_BODY_BYTES, readTextUpTo } from '../createCancelRequest';
import { createStreamDecoder, type StreamDecoder } from '../decoders/createStreamDecoder';
import { StreamAbortedError, StreamHttpError } from '../errors';
import { STREAM_CANCELLED_HEADER } from '../ids';
import { createDeferred } from '../internal/createDeferred';
import { trackOpenStream } from '../openStreams';
import type { StreamEvent } from '../types';
import type { StreamSessionOptions } from './types';

/** How the read loop ended: the end of the stream, a dropped connection, or an error (fetch failed, non-2xx, undecodable). */
export type CloseReason = 'eof' | 'dropped' | 'error';

/** What the session hears from its connection. */
export type ConnectionSink = {
  /** The session has ended: read no further (asked after every wait). */
  isOver(): boolean;
  /** Each decoded event, as it is decoded. */
  event(event: StreamEvent): void;
  /** A non-empty chunk arrived; the session decodes it (`decode`), with its first-byte bookkeeping around it. */
  chunk(chunk: Uint8Array): void;
  /** The read loop is over (once); `failure` for `dropped` and `error`. */
  closed(how: CloseReason, failure?: unknown): void;
};

/** What {@link createStreamConnection} returns: one request, its decoder, and how it closes. */
export type StreamConnection = {
  /** The decoder, once a 2xx answer arrived. */
  decoder: StreamDecoder | null;
  /**
   * The stream's response has started (its headers arrived): from then on a `pending` cancel
   * answer cannot be true. Not for the answer to a stream whose cancel arrived first (its header
   * says so): that is the pending cancel taking effect.
   */
  responseStarted: boolean;
  /** The read loop is over. */
  closed: boolean;
  /** Resolves once `closed`. */
  readonly whenClosed: Promise<void>;
  /**
   * Sends the request (the session's `x-stream-id` and `x-stream-cancel-secret` override user
   * headers of the same name) and reads the answer until the stream closes.
   */
  read(streamId: string, cancelSecret: string): Promise<void>;
  /** Feeds a chunk to the decoder, or ends its input; `false` (after closing with the error) when the stream is undecodable. */
  decode(chunk?: Uint8Array): boolean;
  /** Closes the connection: aborts the fetch (the server sees the request close) and lets go of the reader. */
  abort(reason: 'cancelled' | 'disconnected'): void;
  /** Stops counting this stream among the page's open streams (see `openStreams.ts`); once. */
  release(): void;
};

const noop = () => {};

/**
 * Reading a response, on its own: the `fetch` (with one `AbortController`), a non-2xx answer read
 * into a `StreamHttpError`, the decoder for a 2xx one, and the read loop that hands each chunk to
 * the session. Every way the loop ends reaches `sink.closed` once; the session decides what it
 * means. The stream counts among the page's open streams from the request until it closes or the
 * session releases it (docs/session.md, "The browser's connection pool").
 */
export function createStreamConnection(options: StreamSessionOptions, fetchFn: typeof fetch, sink: ConnectionSink): StreamConnection {
  const controller = new AbortController();
  const closing = createDeferred<void>();
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;

  const close = (how: CloseReason, failure?: unknown) => {
    connection.closed = true;
    closing.resolve();
    connection.release();
    sink.closed(how, failure);
  };

  /** The loop over the body: getReader, not async iteration (Safari's ReadableStream is not async-iterable). */
  const readBody = async (response: Response) => {
    const activeReader = (reader = response.body?.getReader());
    try {
      for (;;) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          // No body at all reads as an empty stream.
          result = activeReader ? await activeReader.read() : { done: true, value: undefined };
        } catch (failure) {
          return close('dropped', failure);
        }
        if (sink.isOver()) return;
        if (result.done) {
          if (connection.decode()) close('eof');
          return;
        }
        if (result.value.byteLength === 0) continue;
        sink.chunk(result.value);
        if (connection.closed) return;
      }
    } finally {
      try {
        activeReader?.releaseLock();
      } catch {
        // already released
      }
    }
  };

  const connection: StreamConnection = {
    decoder: null,
    responseStarted: false,
    closed: false,
    whenClosed: closing.promise,
    release: noop,
    async read(streamId, cancelSecret) {
      const headers = new Headers(options.headers);
      headers.set('x-stream-id', streamId);
      headers.set('x-stream-cancel-secret', cancelSecret);
      connection.release = trackOpenStream(options.api);
      let response: Response;
      try {
        response = await fetchFn(options.api, {
          method: options.method ?? 'POST',
          headers,
          body: options.body,
          credentials: options.credentials,
          signal: controller.signal,
        });
      } catch (failure) {
        return close('error', failure);
      }
      if (sink.isOver()) return void response.body?.cancel().catch(noop);
      if (!response.ok) {
        // The first-byte timer still runs: it bounds an error body that never ends.
        const text = await readTextUpTo(response, MAX_ERROR_BODY_BYTES);
        return close('error', new StreamHttpError(response.status, response.statusText, text));
      }
      connection.responseStarted = !response.headers.has(STREAM_CANCELLED_HEADER);
      connection.decoder = createStreamDecoder(
        { protocol: options.protocol, contentType: response.headers.get('content-type'), aiSdkUsagePath: options.aiSdkUsagePath, maxEventSize: options.maxEventSize },
        sink.event,
      );
      return readBody(response);
    },
    decode(chunk) {
      try {
        if (chunk) connection.decoder!.push(chunk);
        else connection.decoder!.end();
        return true;
      } catch (failure) {
        // Events decoded before the bad one were applied: the text before it is kept.
        close('error', failure);
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
