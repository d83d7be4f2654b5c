import type { DecodeOptions, Protocol } from '../types';
import { createDecoder } from './createDecoder';
import type { EmitEvent } from './handler';
import { staticHandlers } from './staticHandlers';

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
 * Creates the decoder behind `decodeStream`, `collectStream` and the server helpers: UTF-8
 * decoding, SSE framing (eventsource-parser), NDJSON framing, protocol detection, and the
 * protocol handlers (all four, imported statically: the stream session loads only the one it
 * needs, see `createDecoder`). Synchronous and allocation-light, because it runs on every network chunk.
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
  return createDecoder(options, emit, staticHandlers);
}
