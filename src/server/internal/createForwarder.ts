import { createBoundaryBuffer, type Framing } from './createBoundaryBuffer';
import { createPassThroughOutput, type PassThroughOutput } from './createPassThroughOutput';

/**
 * The way of the upstream's bytes to the client: held until they end at an event boundary
 * (`createBoundaryBuffer`), then written to the body the client reads (`createPassThroughOutput`).
 * Every byte the client gets, the cancel terminal too, goes out through one function (`forward`
 * below): the place to record them, for a log that a reconnecting client could resume from.
 */
export type Forwarder = Pick<PassThroughOutput, 'readable' | 'wanted' | 'demand' | 'wake'> & {
  /** An upstream chunk: forwarded up to its last complete event (`framing`: where it may be cut). */
  push(chunk: Uint8Array, framing: Framing | null): void;
  /** The upstream ended: what is held goes out as it is (if `forwardRest`), then the body closes. */
  end(forwardRest: boolean): void;
  /** A cancel: the half-written event, if any, is never sent; `terminal` (if any) ends the body. */
  cancel(terminal: Uint8Array | null): void;
  /** The client went away: what is held is dropped and the body closes. */
  abandon(): void;
  /** The upstream broke: what is held is dropped and the body errors (a broken stream, not a clean end). */
  fail(error: unknown): void;
};

export function createForwarder(): Forwarder {
  const boundary = createBoundaryBuffer();
  const output = createPassThroughOutput();

  const forward = (bytes: Uint8Array) => output.enqueue(bytes);

  return {
    readable: (open, onConsumerCancel) => output.readable(open, onConsumerCancel),
    get wanted() {
      return output.wanted;
    },
    demand: () => output.demand(),
    wake: () => output.wake(),
    push(chunk, framing) {
      boundary.push(chunk);
      const ready = boundary.take(framing);
      if (ready) forward(ready);
    },
    end(forwardRest) {
      const rest = boundary.flush(); // the upstream's own last bytes, passed through as they are
      if (rest && forwardRest) forward(rest);
      output.close();
    },
    cancel(terminal) {
      boundary.drop();
      if (terminal) forward(terminal);
      output.close();
    },
    abandon() {
      boundary.drop();
      output.close();
    },
    fail(error) {
      boundary.drop();
      output.error(error);
    },
  };
}
