import { AbortError, ClientClosedError, ClientOfflineError, ErrorReply, type RedisArgument } from 'redis';
import type { RepairQueue } from './createRepairQueue';
import type { Connection } from './openConnection';
import { unrefTimer, withTimeout } from '../../core/internal/withTimeout';

/** Undoes a command answered 503: called with its late reply, or `undefined` if it may have run but its reply was lost. */
export type Undo<T> = (late: T | undefined) => Promise<unknown> | void;

export type CommandRunner = {
  /** Resolves once connected and subscribed; rejects after `commandTimeoutMs`. Retries a failed first connection. */
  connected(): Promise<void>;
  /**
   * Runs one command; `firstKey` routes it on a cluster (a random node when undefined, e.g. PUBLISH).
   * Fails at once while disconnected (no offline queue) and after `commandTimeoutMs`. A command
   * not yet written when it times out is dropped (never runs). `undo`, for a command whose effect
   * must not outlive a failure: called with the reply when the command ran after it timed out, or
   * with `undefined` when it may have run but its reply was lost; it must be safe in both cases.
   * `buffers`: bulk strings come back as Buffers (the resume log's bytes).
   */
  command<T = unknown>(firstKey: string | undefined, args: RedisArgument[], undo?: Undo<T>, buffers?: boolean): Promise<T>;
};

type CommandRunnerOptions = {
  connection: Connection;
  commandTimeoutMs: number;
  isClosed(): boolean;
  /** Where the undo steps of commands answered 503 go, to be retried until they succeed. */
  repairs: Pick<RepairQueue, 'add'>;
};

class CommandTimeoutError extends Error {}

/** Errors after which the command certainly never reached Redis (or ran and failed): nothing to undo. */
const neverRan = (error: unknown) =>
  error instanceof ClientOfflineError || error instanceof ClientClosedError || error instanceof AbortError || error instanceof ErrorReply;

/** `promise`, or a `CommandTimeoutError` naming `what` once `ms` have passed (the timer never keeps the process alive). */
const bounded = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  withTimeout(promise, ms, () => {
    throw new CommandTimeoutError(`Redis did not answer ${what} within ${ms} ms.`);
  }, unrefTimer);

/**
 * Runs the registry's Redis commands so that a command answered 503 never takes effect later:
 * each waits at most `commandTimeoutMs`, one still unwritten when it times out is dropped, and
 * one that may have run anyway is undone (its undo step queued in `repairs`). Starts
 * connecting at once.
 */
export function createCommandRunner(options: CommandRunnerOptions): CommandRunner {
  const { connection, commandTimeoutMs, isClosed, repairs } = options;

  // A failed connection attempt (a cluster whose root nodes were all unreachable: node-redis gives
  // up on those) is retried by the next operation, at most every 500 ms; a standalone client keeps
  // reconnecting by itself, so its first attempt simply takes longer.
  let failedAt = 0;
  const connect = (): Promise<void> => {
    const attempt = connection.connect();
    attempt.catch(() => {
      // Reported by every operation (and by ready()); an unhandled rejection here would crash Node.
      failedAt = Date.now();
    });
    return attempt;
  };
  let connecting = connect();
  const connected = (): Promise<void> => {
    if (failedAt !== 0 && !isClosed() && Date.now() - failedAt >= 500) {
      failedAt = 0;
      connecting = connect();
    }
    return bounded(connecting, commandTimeoutMs, 'the connection');
  };

  const command = async <T = unknown>(firstKey: string | undefined, args: RedisArgument[], undo?: Undo<T>, buffers?: boolean): Promise<T> => {
    if (isClosed()) throw new Error('The Redis stream registry is closed.');
    await connected();
    const abort = new AbortController();
    const sent = connection.send<T>(firstKey, args, abort.signal, buffers);
    sent.catch(() => {}); // settled below or, after a timeout, here
    try {
      return await bounded(sent, commandTimeoutMs, String(args[0]));
    } catch (error) {
      if (error instanceof CommandTimeoutError) {
        abort.abort(); // still in node-redis's queue: removed, so it never runs
        if (undo) {
          sent.then(
            (late) => repairs.add(() => undo(late)),
            (late) => (neverRan(late) ? undefined : repairs.add(() => undo(undefined))),
          );
        }
      } else if (undo && !neverRan(error)) repairs.add(() => undo(undefined));
      throw error;
    }
  };

  return { connected, command };
}
