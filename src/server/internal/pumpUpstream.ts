import type { ModelStreamContext } from './modelStreamContext';

/**
 * The pump of a streaming response: reads the upstream only once the client asked for a chunk
 * (nothing is buffered between them), or without waiting when no client reads any more
 * (`onDisconnect: 'continue'`) or the stream has a resume log, until the stream leaves `streaming`.
 */
export async function pumpUpstream(stream: ModelStreamContext, reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  const { state, forwarder } = stream;
  try {
    for (;;) {
      // With a resume log the client's pace does not hold the stream up: a connection that died
      // without the server knowing would stall every resume reader behind it. The bytes are held
      // once, by the log; the client's queue holds views of the same buffers.
      while (state.attached && !forwarder.logging && !forwarder.wanted && state.phase === 'streaming') await forwarder.demand();
      if (state.phase !== 'streaming') return;
      const { done, value } = await reader.read();
      if (state.phase !== 'streaming') return; // cancelled or disconnected while reading
      if (done) {
        endUpstream(stream);
        return;
      }
      feed(stream, value);
    }
  } catch (error) {
    if (state.phase !== 'streaming') return;
    // The upstream broke mid-stream: the client sees a broken stream too, not a clean end.
    stream.finish.failed();
    stream.end('ended');
    stream.forwarder.fail(error);
  }
}

/**
 * One upstream chunk: decoded first (the usage, the framing, whether the model finished), then
 * forwarded, up to its last complete event, while a client reads. Decoding and forwarding happen in
 * the same task: by the time a cancel can run, a finish the decoder saw went out with its event.
 */
function feed(stream: ModelStreamContext, chunk: Uint8Array): void {
  stream.decoder.push(chunk);
  // Without a client the bytes still go to the resume log, if there is one.
  if (!stream.state.attached && !stream.forwarder.logging) return;
  stream.forwarder.push(chunk, stream.decoder.framing());
}

/** The upstream ended on its own: the stream is over, and the upstream's last bytes pass through as they are. */
export function endUpstream(stream: ModelStreamContext): void {
  stream.end('ended');
  stream.decoder.end();
  stream.forwarder.end(stream.state.attached);
}
