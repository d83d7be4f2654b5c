import { StreamAbortedError } from '../errors';

/**
 * After the model's finish event or an in-stream error, the stream is read until it closes (an
 * OpenAI usage chunk follows the finish chunk; an AI SDK error part is followed by `[DONE]`), but
 * a server that keeps the connection open after that must not leave the message `streaming`.
 */
export enum Bound {
  AFTER_FINISH_MS = 2000,
}

/** What {@link createSessionTimers} returns. */
export type SessionTimers = {
  /** The request goes out: the first-byte bound starts. */
  start(): void;
  /** A non-empty chunk arrived: the first-byte bound is met, the idle bound starts again. */
  received(): void;
  /** The finish or an in-stream error was read: the stream has `Bound.AFTER_FINISH_MS` to close (armed once). */
  finish(): void;
  /** Every timer off, for good: from a stop on, the stop contract bounds the end; after the end, nothing does. */
  clear(): void;
};

/**
 * The three clocks of a live stream, on their own: the first-byte timeout (`firstByteMs`, no
 * byte in time), the idle timeout (`idleMs`, silence between chunks; 0 = off) and the after-finish
 * bound. A timeout calls `onTimeout` with `StreamAbortedError('timeout')` naming the option; the
 * after-finish bound calls `onWindDownOver`. Once cleared, nothing arms them again, so the session
 * needs no guard of its own for "stopping" or "ended" here.
 */
export function createSessionTimers(
  firstByteMs: number,
  idleMs: number,
  onTimeout: (failure: StreamAbortedError) => void,
  onWindDownOver: () => void,
): SessionTimers {
  let firstByte: ReturnType<typeof setTimeout> | undefined;
  let idle: ReturnType<typeof setTimeout> | undefined;
  let afterFinish: ReturnType<typeof setTimeout> | undefined;
  let off = false;

  /** Ends the stream with `StreamAbortedError('timeout')` after `ms` milliseconds of silence (`option` names the setting). */
  const timeoutAfter = (ms: number, option: string) =>
    setTimeout(() => onTimeout(new StreamAbortedError('timeout', `No data for ${ms} ms (${option}); the stream was aborted.`)), ms);

  return {
    start() {
      if (firstByteMs > 0) firstByte = timeoutAfter(firstByteMs, 'firstByteTimeoutMs');
    },
    received() {
      if (off) return;
      clearTimeout(firstByte);
      if (idleMs > 0) {
        clearTimeout(idle);
        idle = timeoutAfter(idleMs, 'idleTimeoutMs');
      }
    },
    finish() {
      // For when the answer is over but the server holds the connection open.
      if (!off && !afterFinish) afterFinish = setTimeout(onWindDownOver, Bound.AFTER_FINISH_MS);
    },
    clear() {
      off = true;
      clearTimeout(firstByte);
      clearTimeout(idle);
      clearTimeout(afterFinish);
    },
  };
}
