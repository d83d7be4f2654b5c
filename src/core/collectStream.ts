import { createAccumulator } from './accumulator';
import { createStreamDecoder } from './decoders/createStreamDecoder';
import type { DecodeOptions, StreamSnapshot } from './types';

/**
 * Reads a whole model stream and returns its normalized snapshot: id, visible text, tool calls
 * (raw argument text and parsed arguments), usage, normalized and raw finish reason, and the
 * error the stream reported. The protocol is detected unless given.
 *
 * Rejects with a `StreamProtocolError` when the stream breaks its wire format, and with the
 * stream's own error when reading fails (a dropped connection, an abort).
 *
 * @example
 * ```ts
 * import { collectStream } from 'react-model-stream/core';
 *
 * const res = await fetch('/api/chat', { method: 'POST', body: JSON.stringify({ prompt }) });
 * const snapshot = await collectStream(res.body!, { contentType: res.headers.get('content-type') ?? undefined });
 * console.log(snapshot.text, snapshot.usage, snapshot.finishReason);
 * ```
 */
export async function collectStream(
  body: ReadableStream<Uint8Array>,
  options: DecodeOptions = {},
): Promise<StreamSnapshot> {
  const accumulator = createAccumulator();
  const decoder = createStreamDecoder(options, accumulator.apply);
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      decoder.push(value);
    }
    decoder.end();
  } catch (error) {
    // Stop the producer: nothing more will be read.
    reader.cancel(error).catch(() => {});
    throw error;
  } finally {
    reader.releaseLock();
  }
  return accumulator.snapshot();
}
