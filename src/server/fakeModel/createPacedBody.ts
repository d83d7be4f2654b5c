import type { FakeModelRun } from './createFakeModel';
import { nextPiece } from './nextPiece';
import type { Step } from './scriptSteps';

// The fake model's response body: its steps sent at a pace, with a stall if asked, stopped at once
// by the abort signal or by the reader going away, and every token recorded in the run.

/** How the body paces its tokens. */
export type Pace = {
  /** Milliseconds between two tokens (0: as fast as possible). */
  interval: number;
  /** See `FakeModelOptions.stall`. */
  stall: { afterTokens: number; ms?: number } | undefined;
};

/**
 * A byte stream of `steps`, one token per tick (framing steps go out with the token that follows
 * them). Aborting `signal` errors the stream with the abort reason, as a provider's fetch body does.
 */
export function createPacedBody(steps: readonly Step[], run: FakeModelRun, { interval, stall }: Pace, signal?: AbortSignal): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const cursor = { next: 0 };
  let onAbort: (() => void) | null = null;
  /** Unpaced (`interval` 0): waiting for the reader's next pull. */
  let waiting = false;
  let tick: () => void = () => {};

  return new ReadableStream<Uint8Array>({
    start(controller) {
      const emitUntilToken = () => {
        const out = nextPiece(steps, cursor, run);
        if (out) controller.enqueue(encoder.encode(out));
        if (cursor.next >= steps.length) {
          run.finished = true;
          signal?.removeEventListener('abort', onAbort!);
          controller.close();
          return false;
        }
        return true;
      };
      let stalled = false;
      tick = () => {
        timer = null;
        for (;;) {
          if (stall && !stalled && run.tokens >= stall.afterTokens && cursor.next < steps.length) {
            stalled = true;
            if (stall.ms !== undefined && Number.isFinite(stall.ms)) timer = setTimeout(tick, Math.max(0, stall.ms));
            return;
          }
          if (!emitUntilToken()) return;
          if (interval > 0) {
            timer = setTimeout(tick, interval);
            return;
          }
          // Unpaced: as fast as the reader reads, the next token at its next pull. Enqueued all at
          // once, a long answer would sit whole in the body's queue (memory, and Node's web-stream
          // queue slows down as it grows: a 40,000-token answer read at a third of the speed).
          if ((controller.desiredSize ?? 0) <= 0) {
            waiting = true;
            return;
          }
        }
      };
      onAbort = () => {
        run.abortedAt = performance.now();
        if (timer !== null) clearTimeout(timer);
        timer = null;
        controller.error(signal?.reason ?? new DOMException('The operation was aborted.', 'AbortError'));
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      tick();
    },
    pull() {
      if (!waiting) return;
      waiting = false;
      tick();
    },
    cancel() {
      // The reader went away (the proxy aborted or the client disconnected): stop generating.
      if (timer !== null) clearTimeout(timer);
      timer = null;
      run.abortedAt ??= performance.now();
      signal?.removeEventListener('abort', onAbort!);
    },
  });
}
