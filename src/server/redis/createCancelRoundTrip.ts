import { createDeferred } from '../../core/internal/createDeferred';
import { withTimeout } from '../../core/internal/withTimeout';
import type { CommandRunner } from './createCommandRunner';
import type { RedisKeys } from './createRedisKeys';
import type { Outcome } from './types';

type CancelMessage = { streamId: string; owner: string; requestId: string; replyTo: string };
type ReplyMessage = Outcome & { requestId: string };

export type CancelRoundTrip = {
  /** Asks the owner of a live stream to cancel it; `null` if no answer came within `cancelTimeoutMs`. */
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
  /** Cancels a stream this instance serves. */
  cancelLocally(streamId: string): Promise<Outcome>;
};

/**
 * A cancel that lands on one instance for a stream another serves: request/reply over classic
 * pub/sub (a cluster delivers it to the subscribers of every node). The request goes to every
 * instance on `cancelChannel`; only the owner acts, and answers on the sender's own `replyChannel`.
 */
export function createCancelRoundTrip({ command, keys, instanceId, cancelTimeoutMs, cancelLocally }: CancelRoundTripOptions): CancelRoundTrip {
  const waitingReplies = new Map<string, (reply: ReplyMessage | null) => void>();

  return {
    async request(streamId, owner) {
      const requestId = crypto.randomUUID();
      const reply = createDeferred<ReplyMessage | null>();
      waitingReplies.set(requestId, reply.resolve);
      // The wait starts before the request is published: `cancelTimeoutMs` bounds the whole round trip.
      const answer = withTimeout(
        reply.promise,
        cancelTimeoutMs,
        () => {
          waitingReplies.delete(requestId);
          return null;
        },
        { unref: true },
      );
      try {
        const message = { streamId, owner, requestId, replyTo: keys.replyChannel } satisfies CancelMessage;
        await command(undefined, ['PUBLISH', keys.cancelChannel, JSON.stringify(message)]);
      } catch (error) {
        waitingReplies.delete(requestId);
        reply.resolve(null);
        throw error;
      }
      return answer;
    },

    onCancelMessage(raw) {
      let message: CancelMessage;
      try {
        message = JSON.parse(raw);
      } catch {
        return;
      }
      if (!message || message.owner !== instanceId || typeof message.streamId !== 'string') return;
      void cancelLocally(message.streamId).then((outcome) =>
        command(undefined, ['PUBLISH', message.replyTo, JSON.stringify({ requestId: message.requestId, ...outcome })]).catch(() => {}),
      );
    },

    onReplyMessage(raw) {
      let reply: ReplyMessage;
      try {
        reply = JSON.parse(raw);
      } catch {
        return;
      }
      const resolve = reply && waitingReplies.get(reply.requestId);
      if (resolve) {
        waitingReplies.delete(reply.requestId);
        resolve(reply);
      }
    },

    close() {
      for (const resolve of waitingReplies.values()) resolve(null);
      waitingReplies.clear();
    },
  };
}
