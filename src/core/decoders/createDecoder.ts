import type { DecodeOptions } from '../types';
import { createTextFeed } from './createTextFeed';
import type { EmitEvent, HandlerSource } from './handler';
import type { StreamDecoder } from './createStreamDecoder';

/** The decoder with its handlers from a source that may load them: the session's (`ready`, see below). */
export type LazyDecoder = StreamDecoder & {
  /**
   * While the protocol's handler loads (the session's lazily loaded chunks, `session/loadHandler.ts`),
   * its events are held: settles once it arrived and applied them, rejects if it could not load (or a
   * held event broke the format). `null` when nothing is pending: the session's read loop awaits it
   * before it hands on the end or a drop, so that a cursor, a finish or a resume sees every event.
   */
  readonly ready: Promise<void> | null;
};

/**
 * `createStreamDecoder` with the protocol handlers from `handlers`: the bytes and the push/end
 * lifecycle around `createTextFeed`. The public `createStreamDecoder` passes the static map; the
 * stream session, its lazily loaded chunks.
 */
export function createDecoder(options: DecodeOptions, emit: EmitEvent, handlers: HandlerSource): LazyDecoder {
  const text = createTextFeed(options, emit, handlers);
  // The default TextDecoder drops a leading BOM and, with `stream: true`, keeps a character split
  // across chunks until its last byte arrives.
  const utf8 = new TextDecoder('utf-8');
  let ended = false;
  let failure: unknown = null;
  let bytes = 0;

  /** Runs a feed; its first error is the decoder's for good, thrown again by every later call. */
  const guard = (run: () => void) => {
    if (failure) throw failure;
    try {
      run();
    } catch (error) {
      failure = error;
      throw error;
    }
  };

  return {
    push(chunk) {
      if (ended) throw new Error('createStreamDecoder: push() after end()');
      guard(() => text.feed(typeof chunk === 'string' ? chunk : ((bytes += chunk.length), utf8.decode(chunk, { stream: true })), false));
    },
    end() {
      if (ended) return;
      ended = true;
      guard(() => text.feed(utf8.decode(), true));
    },
    get protocol() {
      return text.protocol;
    },
    get ready() {
      return text.ready;
    },
    get cursor() {
      return text.cursor(bytes);
    },
    resumeFraming() {
      // An SSE resume starts at an event (or the stream's) start: the character the old
      // connection split is dropped (`decode()` without input ends it), and no byte counts yet.
      if (text.resume()) {
        utf8.decode();
        bytes = 0;
      }
    },
  };
}
