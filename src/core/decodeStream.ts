import { createStreamDecoder } from './decoders/createStreamDecoder';
import type { DecodeOptions, StreamEvent } from './types';

/**
 * Reads a model stream event by event, as normalized `StreamEvent`s. Breaking out of the loop
 * cancels the stream.
 *
 * @example
 * ```ts
 * import { decodeStream } from 'react-model-stream/core';
 *
 * for await (const event of decodeStream(res.body!, { protocol: 'anthropic' })) {
 *   if (event.type === 'text-delta') output.append(event.delta);
 * }
 * ```
 */
export async function* decodeStream(
  body: ReadableStream<Uint8Array>,
  options: DecodeOptions = {},
): AsyncGenerator<StreamEvent, void, undefined> {
  // Events of one network chunk are yielded together after it is decoded, so the decoder stays
  // synchronous and fast.
  let pending: StreamEvent[] = [];
  const decoder = createStreamDecoder(options, (event) => pending.push(event));
  const reader = body.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      let failure: unknown = null;
      try {
        if (done) {
          decoder.end();
          finished = true;
        } else {
          decoder.push(value);
        }
      } catch (error) {
        failure = error;
      }
      // What was decoded before a malformed event is still delivered, then the error.
      const batch = pending;
      pending = [];
      for (const event of batch) yield event;
      if (failure) throw failure;
      if (finished) return;
    }
  } finally {
    if (!finished) reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
