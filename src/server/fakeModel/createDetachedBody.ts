import type { FakeModelRun } from './createFakeModel';
import type { Pace } from './createPacedBody';
import { nextPiece } from './nextPiece';
import type { Step } from './scriptSteps';

// A fake model's answer generated the way a provider's background response is (OpenAI
// `background: true`): the generation runs on its own. Aborting the request's signal or dropping
// the body only detaches the reader; the tokens keep coming (and are counted) until the script ends
// or `cancel()` (the provider's cancel endpoint) stops it.

/** One detached generation: the body a reader gets while it is attached, and the provider-side cancel. */
export type DetachedGeneration = {
  readonly body: ReadableStream<Uint8Array>;
  /** Stops the generation (`false`: it had ended or was cancelled already). An attached body then just closes. */
  cancel(): boolean;
};

/** The generation loop, on its own timers: each piece of output to `write`; `onEnd` once the script is over. `stop()`: `false` if it was over. */
function startGeneration(steps: readonly Step[], run: FakeModelRun, { interval, stall }: Pace, write: (out: string) => void, onEnd: () => void): { stop(): boolean } {
  let over = false;
  let stalled = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const cursor = { next: 0 };

  /** The steps up to and including the next token (as the paced body's); `false` once the script is over. */
  const emitUntilToken = (): boolean => {
    const out = nextPiece(steps, cursor, run);
    if (out) write(out);
    if (cursor.next < steps.length) return true;
    run.finished = true;
    over = true;
    onEnd();
    return false;
  };

  const tick = () => {
    timer = null;
    while (!over) {
      if (stall && !stalled && run.tokens >= stall.afterTokens) {
        stalled = true;
        if (stall.ms !== undefined && Number.isFinite(stall.ms)) timer = setTimeout(tick, Math.max(0, stall.ms));
        return;
      }
      if (!emitUntilToken()) return;
      if (interval > 0) {
        timer = setTimeout(tick, interval);
        return;
      }
    }
  };
  // The first step after the current task, as a provider answers once the request is sent.
  timer = setTimeout(tick, 0);

  return {
    stop() {
      if (over) return false;
      over = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      return true;
    },
  };
}

export function createDetachedBody(steps: readonly Step[], run: FakeModelRun, pace: Pace, signal?: AbortSignal): DetachedGeneration {
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let attached = true;
  let generation: { stop(): boolean } | null = null;

  const detach = (error?: unknown) => {
    if (!attached) return;
    attached = false;
    signal?.removeEventListener('abort', onAbort);
    try {
      if (error === undefined) controller.close();
      else controller.error(error);
    } catch {
      // the reader is gone already
    }
  };
  function onAbort() {
    run.abortedAt ??= performance.now();
    detach(signal?.reason ?? new DOMException('The operation was aborted.', 'AbortError'));
  }

  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
      generation = startGeneration(steps, run, pace, (out) => attached && controller.enqueue(encoder.encode(out)), () => detach());
    },
    cancel() {
      // The reader went away: the generation goes on (that is what "detached" means).
      attached = false;
      run.abortedAt ??= performance.now();
      signal?.removeEventListener('abort', onAbort);
    },
  });

  return {
    body,
    cancel() {
      if (!generation?.stop()) return false;
      run.cancelledAt = performance.now();
      detach();
      return true;
    },
  };
}
