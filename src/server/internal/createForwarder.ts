import type { ResumeLogEnd, ResumeLogWriter } from '../types';
import { createBoundaryBuffer, type Framing } from './createBoundaryBuffer';
import { createPassThroughOutput, type PassThroughOutput } from './createPassThroughOutput';
import type { LogEntries } from './resume/createLogEntries';

/**
 * The way of the upstream's bytes to the client: held until they end at an event boundary
 * (`createBoundaryBuffer`), then written to the body the client reads (`createPassThroughOutput`)
 * and, with resume on, to the stream's log. Every byte the client gets, the cancel terminal too,
 * goes out through one function (`forward` below), so the log and the client never differ.
 */
export type Forwarder = Pick<PassThroughOutput, 'readable' | 'wanted' | 'queued' | 'demand' | 'wake'> & {
  /** From now on every forwarded byte is logged too (cut into entries, SSE events given their id). */
  log(writer: ResumeLogWriter, entries: LogEntries): void;
  /** Bytes are logged: they are forwarded even with no client attached. */
  readonly logging: boolean;
  /** An upstream chunk: forwarded up to its last complete event (`framing`: where it may be cut). */
  push(chunk: Uint8Array, framing: Framing | null): void;
  /** The upstream ended: what is held goes out as it is (if `forwardRest`), then the body closes. */
  end(forwardRest: boolean): void;
  /** A cancel: the half-written event, if any, is never sent; `terminal` (if any) ends the body. */
  cancel(terminal: Uint8Array | null): void;
  /** The client went away while the stream goes on for its log: the client's body closes. */
  detach(): void;
  /** The client fell too far behind (resume on): its body errors, a broken connection it resumes from. */
  cut(reason: Error): void;
  /** The client went away and the stream stops: what is held is dropped and the body closes. */
  abandon(): void;
  /** The upstream broke: what is held is dropped and the body errors (a broken stream, not a clean end). */
  fail(error: unknown): void;
};

export function createForwarder(): Forwarder {
  const boundary = createBoundaryBuffer();
  const output = createPassThroughOutput();
  let logged: { writer: ResumeLogWriter; entries: LogEntries } | null = null;

  const forward = (bytes: Uint8Array) => {
    if (logged === null) return output.enqueue(bytes);
    const { entries, wire } = logged.entries(bytes);
    for (const entry of entries) logged.writer.append(entry);
    output.enqueue(wire);
  };
  const endLog = (reason: ResumeLogEnd) => logged?.writer.end(reason);

  return {
    readable: (open, onConsumerCancel) => output.readable(open, onConsumerCancel),
    get wanted() {
      return output.wanted;
    },
    get queued() {
      return output.queued;
    },
    demand: () => output.demand(),
    wake: () => output.wake(),
    log(writer, entries) {
      logged = { writer, entries };
    },
    get logging() {
      return logged !== null;
    },
    push(chunk, framing) {
      boundary.push(chunk);
      const ready = boundary.take(framing);
      if (ready) forward(ready);
    },
    end(forwardRest) {
      const rest = boundary.flush(); // the upstream's own last bytes, passed through as they are
      if (rest && (forwardRest || logged)) forward(rest);
      output.close();
      endLog('complete');
    },
    cancel(terminal) {
      boundary.drop();
      if (terminal) forward(terminal);
      output.close();
      endLog('cancelled');
    },
    detach() {
      output.close();
    },
    cut(reason) {
      output.error(reason);
    },
    abandon() {
      boundary.drop();
      output.close();
      endLog('disconnected');
    },
    fail(error) {
      boundary.drop();
      output.error(error);
      endLog('error');
    },
  };
}
