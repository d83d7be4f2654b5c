import { unrefTimer, withTimeout } from '../../core/internal/withTimeout';
import type { ModelStreamContext } from './modelStreamContext';

/**
 * With a resume log, how far the client may fall behind before its pace holds the stream up, and
 * for how long it may then read nothing before it is cut (docs/resume.md, "The bounds").
 */
export enum ClientQueue {
  MAX_BYTES = 65_536,
  STALL_MS = 2_000,
}

/**
 * The pump of a streaming response: reads the upstream only once the client asked for a chunk
 * (nothing is buffered between them), or without waiting when no client reads any more
 * (`onDisconnect: 'continue'`), until the stream leaves `streaming`. With a resume log, see
 * `waitForClient`.
 */
export async function pumpUpstream(stream: ModelStreamContext, reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  const { state, forwarder } = stream;
  try {
    for (;;) {
      if (forwarder.logging) await waitForClient(stream);
      else while (state.attached && !forwarder.wanted && state.phase === 'streaming') await forwarder.demand();
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
 * With a resume log, the client's pace holds the stream up only when it is `ClientQueue.MAX_BYTES`
 * behind: a connection that died without the server knowing must not stall the log (every resume
 * reader waits on it), and a client far behind must not make the server hold the whole answer in
 * its body's queue (unbounded memory, and Node's web-stream queue slows down as it grows: 0.6× the
 * throughput of resume off at 20 MB). Past the bound it waits for the client to read; a client that
 * reads nothing for `ClientQueue.STALL_MS` is cut (its body errors: to it, a dropped connection,
 * which it resumes from the log) and the stream goes on for its log as after any disconnect.
 */
async function waitForClient(stream: ModelStreamContext): Promise<void> {
  const { state, forwarder } = stream;
  while (state.attached && state.phase === 'streaming' && !forwarder.wanted && forwarder.queued > ClientQueue.MAX_BYTES) {
    const read = await withTimeout(forwarder.demand().then(() => true), ClientQueue.STALL_MS, () => false, unrefTimer);
    if (!read && state.attached && state.phase === 'streaming' && !forwarder.wanted) {
      forwarder.cut(new Error(`The client read nothing for ${ClientQueue.STALL_MS} ms with ${forwarder.queued} bytes waiting: cut, it resumes from the log.`));
      stream.onClientGone();
    }
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
