import { createDeferred } from '../../core/internal/createDeferred';

/**
 * The client's side of the pass-through: the body `handleModelStream` answers with. It has
 * `highWaterMark: 0`, so nothing is buffered between the upstream and the client; the pump reads
 * the upstream only after the client asked for a chunk (`wanted`), and waits in `demand()`
 * otherwise. Every write is a no-op once the body is closed, errored or cancelled, so the handler's
 * paths (end, cancel, disconnect, a broken upstream) can all write without asking which came first.
 */
export type PassThroughOutput = {
  /**
   * Creates the body, once. `open: false` (the client left before it existed) gives a closed body.
   * `onConsumerCancel` runs when the runtime cancels the body: the client went away.
   */
  readable(open: boolean, onConsumerCancel: () => void): ReadableStream<Uint8Array>;
  /** The client asked for a chunk (pull) that has not been delivered yet. */
  readonly wanted: boolean;
  /** Bytes written to the body that the client has not read yet. */
  readonly queued: number;
  /** Resolves on the next pull or `wake()`. */
  demand(): Promise<void>;
  /** Lets a waiting pump look at the state again (after a cancel or a disconnect). */
  wake(): void;
  enqueue(bytes: Uint8Array): void;
  close(): void;
  /** Errors the body, so the client sees a broken stream (not a clean end). */
  error(reason: unknown): void;
};

type OutputState = {
  controller: ReadableStreamDefaultController<Uint8Array> | null;
  /** the body still takes writes (not closed, errored or cancelled) */
  open: boolean;
  /** a pull not yet answered with a chunk */
  wanted: boolean;
  /** settles the pump's `demand()` */
  wake: (() => void) | null;
};

export function createPassThroughOutput(): PassThroughOutput {
  const state: OutputState = { controller: null, open: false, wanted: false, wake: null };

  const wakeUp = () => {
    const resolve = state.wake;
    state.wake = null;
    resolve?.();
  };

  return {
    readable(openNow, onConsumerCancel) {
      return new ReadableStream<Uint8Array>(
        {
          start(c) {
            state.controller = c;
            state.open = openNow;
            if (!openNow) c.close();
          },
          pull() {
            state.wanted = true;
            wakeUp();
          },
          cancel() {
            state.open = false;
            onConsumerCancel();
          },
        },
        // Counted in bytes, so that `queued` says how much the client is behind.
        { highWaterMark: 0, size: (chunk) => chunk.byteLength },
      );
    },
    get wanted() {
      return state.wanted;
    },
    get queued() {
      return state.open && state.controller ? -(state.controller.desiredSize ?? 0) : 0;
    },
    demand() {
      const next = createDeferred<void>();
      state.wake = next.resolve;
      return next.promise;
    },
    wake: wakeUp,
    enqueue(bytes) {
      if (!state.open || state.controller === null) return;
      try {
        state.controller.enqueue(bytes);
        state.wanted = false;
      } catch {
        state.open = false;
      }
    },
    close() {
      if (!state.open || state.controller === null) return;
      state.open = false;
      try {
        state.controller.close();
      } catch {
        // already closed or cancelled by the consumer
      }
    },
    error(reason) {
      if (!state.open || state.controller === null) return;
      state.open = false;
      try {
        state.controller.error(reason);
      } catch {
        // consumer already gone
      }
    },
  };
}
