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
  /** Resolves on the next pull or `wake()`. */
  demand(): Promise<void>;
  /** Lets a waiting pump look at the state again (after a cancel or a disconnect). */
  wake(): void;
  enqueue(bytes: Uint8Array): void;
  close(): void;
  /** Errors the body, so the client sees a broken stream (not a clean end). */
  error(reason: unknown): void;
};

export function createPassThroughOutput(): PassThroughOutput {
  let controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  let open = false;
  let wanted = false;
  let wake: (() => void) | null = null;

  const wakeUp = () => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };

  return {
    readable(openNow, onConsumerCancel) {
      return new ReadableStream<Uint8Array>(
        {
          start(c) {
            controller = c;
            open = openNow;
            if (!openNow) c.close();
          },
          pull() {
            wanted = true;
            wakeUp();
          },
          cancel() {
            open = false;
            onConsumerCancel();
          },
        },
        { highWaterMark: 0 },
      );
    },
    get wanted() {
      return wanted;
    },
    demand() {
      return new Promise<void>((resolve) => {
        wake = resolve;
      });
    },
    wake: wakeUp,
    enqueue(bytes) {
      if (!open || controller === null) return;
      try {
        controller.enqueue(bytes);
        wanted = false;
      } catch {
        open = false;
      }
    },
    close() {
      if (!open || controller === null) return;
      open = false;
      try {
        controller.close();
      } catch {
        // already closed or cancelled by the consumer
      }
    },
    error(reason) {
      if (!open || controller === null) return;
      open = false;
      try {
        controller.error(reason);
      } catch {
        // consumer already gone
      }
    },
  };
}
