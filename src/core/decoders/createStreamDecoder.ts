import type { DecodeOptions, Protocol } from '../types';
import { createTextFeed } from './createTextFeed';
import type { EmitEvent } from './handler';

export { STREAM_CANCELLED_EVENT } from './streamCancelled';

/** Bytes (or already decoded text) in, normalized events out. Errors are thrown from `push`/`end`. */
export type StreamDecoder = {
  /** Feeds the next network chunk. Multi-byte characters split across chunks are handled. */
  push(chunk: Uint8Array | string): void;
  /** Ends the input. An SSE event or NDJSON line left incomplete at this point is discarded. */
  end(): void;
  /** The protocol in use, once known (`'auto'` decides on the first event). */
  readonly protocol: Protocol | null;
  /**
   * Where a resume of this stream continues from (docs/resume.md), `null` for the start: for SSE
   * the `id:` of the last event applied; for text and NDJSON the number of bytes pushed.
   */
  readonly cursor: string | null;
  /**
   * Readies the decoder for the resumed body (from `cursor`): the SSE framing and a character
   * it split are dropped (the resume starts at an event's start), while the protocol's state (open
   * blocks, tool calls, usage) stays, so the result is the uninterrupted stream's. Text and NDJSON
   * keep everything, their partial line and character included: the resume continues at that byte.
   */
  resumeFraming(): void;
};

/**
 * Creates the decoder behind `decodeStream`, `collectStream` and the stream session: UTF-8
 * decoding, SSE framing (eventsource-parser), NDJSON framing, protocol detection, and the
 * protocol handlers. Synchronous and allocation-light, because it runs on every network chunk.
 * This is the bytes and the push/end lifecycle; the rest is `createTextFeed`.
 *
 * @example
 * ```ts
 * const events: StreamEvent[] = [];
 * const decoder = createStreamDecoder({ protocol: 'anthropic' }, (e) => events.push(e));
 * decoder.push(new TextEncoder().encode('event: ping\ndata: {"type":"ping"}\n\n'));
 * decoder.end();
 * ```
 */
export function createStreamDecoder(options: DecodeOptions, emit: EmitEvent): StreamDecoder {
  const text = createTextFeed(options, emit);
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
