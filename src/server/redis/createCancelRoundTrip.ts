import { createDeferred } from '../../core/internal/createDeferred';
import type { CommandRunner } from './createCommandRunner';
import type { RedisKeys } from './createRedisKeys';
import type { Outcome } from './types';

type CancelMessage = { streamId: string; owner: string; requestId: string; replyTo: string };
/**
 * The owner's answer; `{ waitingFor: requestId }` first when its listener is still at work
 * (`cancelUpstream`). Not a `requestId` field: a sender of an earlier version ignores it.
 */
type ReplyMessage = (Outcome & { requestId: string }) | { waitingFor: string };

export type CancelRoundTrip = {
  /** Asks the owner of a live stream to cancel it; `null` if no answer came in time (see `cancelTimeoutMs`). */
  request(streamId: string, owner: string): Promise<Outcome | null>;
  /** Listener of `cancelChannel`: cancels the streams this instance owns and answers the sender. */
  onCancelMessage(raw: string): void;
  /** Listener of `replyChannel`: hands an answer to the cancel waiting for it. */
  onReplyMessage(raw: string): void;
  /** Answers `null` to every cancel still waiting. */
  close(): void;
};

type CancelRoundTripOptions = {
  command: CommandRunner['command'];
  keys: Pick<RedisKeys, 'cancelChannel' | 'replyChannel'>;
  instanceId: string;
  cancelTimeoutMs: number;
  /** How long to wait more once the owner said its listener is still at work. */
  cancelListenerTimeoutMs: number;
  /** Cancels a stream this instance serves; `onWaiting` runs when its listener returned a promise. */
  cancelLocally(streamId: string, onWaiting?: () => void): Promise<Outcome>;
};

/** One cancel waiting for its owner's answer: `settle` ends the wait, `waiting` restarts its timer with the longer bound. */
type Waiting = { settle(reply: Outcome | null): void; waiting(): void };

/** A wait for one answer: `cancelTimeoutMs`, restarted once with `cancelListenerTimeoutMs` when the owner says it is at work. */
function waitForReply(cancelTimeoutMs: number, cancelListenerTimeoutMs: number, onGiveUp: () => void): Waiting & { promise: Promise<Outcome | null> } {
  const reply = createDeferred<Outcome | null>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      onGiveUp();
      reply.resolve(null);
    }, ms);
    (timer as { unref?: () => void }).unref?.();
  };
  arm(cancelTimeoutMs);
  let extended = false;
  return {
    promise: reply.promise,
    settle(outcome) {
      clearTimeout(timer);
      reply.resolve(outcome);
    },
    waiting() {
      if (extended) return;
      extended = true;
      arm(Math.max(cancelTimeoutMs, cancelListenerTimeoutMs));
    },
  };
}

/**
 * A cancel that lands on one instance for a stream another serves: request/reply over classic
 * pub/sub (a cluster delivers it to the subscribers of every node). The request goes to every
 * instance on `cancelChannel`; only the owner acts, and answers on the sender's own `replyChannel`.
 * An owner whose listener answers with a promise (`cancelUpstream`) first sends `waitingFor`, and the
 * sender then waits up to `cancelListenerTimeoutMs` for the answer instead of `cancelTimeoutMs`.
 */
export function createCancelRoundTrip({ command, keys, instanceId, cancelTimeoutMs, cancelListenerTimeoutMs, cancelLocally }: CancelRoundTripOptions): CancelRoundTrip {
  const waitingReplies = new Map<string, Waiting>();

  return {
    async request(streamId, owner) {
      const requestId = crypto.randomUUID();
      // The wait starts before the request is published: `cancelTimeoutMs` bounds the whole round trip.
      const wait = waitForReply(cancelTimeoutMs, cancelListenerTimeoutMs, () => waitingReplies.delete(requestId));
      waitingReplies.set(requestId, wait);
      try {
        const message = { streamId, owner, requestId, replyTo: keys.replyChannel } satisfies CancelMessage;
        await command(undefined, ['PUBLISH', keys.cancelChannel, JSON.stringify(message)]);
      } catch (error) {
        waitingReplies.delete(requestId);
        wait.settle(null);
        throw error;
      }
      return wait.promise;
    },

    onCancelMessage(raw) {
      let message: CancelMessage;
      try {
        message = JSON.parse(raw);
      } catch {
        return;
      }
      if (!message || message.owner !== instanceId || typeof message.streamId !== 'string') return;
      const publish = (reply: ReplyMessage) => command(undefined, ['PUBLISH', message.replyTo, JSON.stringify(reply)]).catch(() => {});
      const onWaiting = () => void publish({ waitingFor: message.requestId });
      void cancelLocally(message.streamId, onWaiting).then((outcome) => publish({ requestId: message.requestId, ...outcome }));
    },

    onReplyMessage(raw) {
      let reply: ReplyMessage;
      try {
        reply = JSON.parse(raw);
      } catch {
        return;
      }
      if (reply && 'waitingFor' in reply) return waitingReplies.get(reply.waitingFor)?.waiting();
      const wait = reply && waitingReplies.get(reply.requestId);
      if (!wait) return;
      waitingReplies.delete(reply.requestId);
      const { requestId: _, ...outcome } = reply;
      wait.settle(outcome as Outcome);
    },

    close() {
      for (const wait of waitingReplies.values()) wait.settle(null);
      waitingReplies.clear();
    },
  };
}
