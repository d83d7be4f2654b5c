import type { AccumulatedMessage } from '../../core/accumulator';
import { report } from '../../core/internal/reportError';
import type { CancelReport, CancelUsage } from '../types';
import type { SideDecoder } from './createSideDecoder';
import type { FinalPhase, ModelStreamState } from './modelStreamContext';

/**
 * Why a stream ended, as `onFinish` sees it. The same words as a stored message's
 * `incomplete.reason`, plus `complete`:
 * - `complete`: the model finished (`stop`, `tool-calls`, `other`; plain text: its clean end);
 * - `length`, `content-filter`: the model's own finish reason;
 * - `error`: an error event in the stream (or finish reason `error`), an upstream that threw, was
 *   not a `Response`, answered non-2xx, or whose body broke mid-stream;
 * - `cancelled`: the cancel endpoint stopped it (also a tombstone, before the upstream was called;
 *   and an upstream that itself said `cancelled`);
 * - `disconnected`: the client went away and `onDisconnect: 'abort'` stopped the model before its
 *   finish; or the upstream body ended without a finish event (a truncated provider stream).
 */
export type StreamFinishReason = 'complete' | 'cancelled' | 'disconnected' | 'error' | 'length' | 'content-filter';

/** What `onFinish` gets, once per stream. */
export type StreamFinishInfo = {
  streamId: string;
  reason: StreamFinishReason;
  /** What the side decoder read of the upstream, up to the end (or the cancel): text, reasoning, tool calls, usage, finish reason, id. */
  message: AccumulatedMessage;
  /** The provider's usage when it sent a final one, else estimated (see `estimateUsage`); `null` when the upstream never streamed. */
  usage: CancelUsage | null;
  usageEstimated: boolean;
  /** The provider's response / message id, when the stream carried one (`message.id`). */
  responseId: string | null;
};

export type FinishOptions = {
  streamId: string;
  onFinish?: ((info: StreamFinishInfo) => void | Promise<void>) | undefined;
};

/** Runs `onFinish` exactly once per stream; `createModelStream`'s `end` and the pump tell it how it ended. */
export type FinishReporter = {
  /** The stream reached its final phase (from `end`); the report runs once the current task is over. */
  ended(phase: FinalPhase): void;
  /** The upstream body broke mid-stream: the `ended` that follows is an `error`. */
  failed(): void;
  /** A tombstone cancelled the stream at its registration: the upstream was never called. */
  tombstoned(): void;
};

const EMPTY_MESSAGE: AccumulatedMessage = {
  id: null,
  text: '',
  reasoning: '',
  toolCalls: [],
  usage: null,
  finishReason: null,
  rawFinishReason: null,
  error: null,
};

/** The reason of a stream that ended by itself, from what it said (the client's session decides the same way). */
export function reasonOfEnd(message: AccumulatedMessage, protocol: string | null): StreamFinishReason {
  if (message.error !== null || message.finishReason === 'error') return 'error';
  switch (message.finishReason) {
    case 'length':
    case 'content-filter':
    case 'cancelled':
      return message.finishReason;
    case null:
      // Plain text has no finish channel: a clean close is its only way to say "done".
      return protocol === 'text' ? 'complete' : 'disconnected';
    default:
      return 'complete';
  }
}

/** Calls `onFinish`, catching a throw or a rejection (reported, never an unhandled rejection). */
function callOnFinish(onFinish: NonNullable<FinishOptions['onFinish']>, info: StreamFinishInfo): void {
  try {
    Promise.resolve(onFinish(info)).catch(report);
  } catch (thrown) {
    report(thrown);
  }
}

export function createFinishReporter(options: FinishOptions, state: ModelStreamState, decoder: Pick<SideDecoder, 'message' | 'usage' | 'protocol'>): FinishReporter {
  const { onFinish, streamId } = options;
  let done = false;
  let broken = false;

  const deliver = (reason: StreamFinishReason, message: AccumulatedMessage, usage: CancelReport | null) => {
    if (done || !onFinish) return;
    done = true;
    callOnFinish(onFinish, { streamId, reason, message, usage: usage?.usage ?? null, usageEstimated: usage?.usageEstimated ?? false, responseId: message.id });
  };

  const settle = (phase: FinalPhase) => {
    const message = decoder.message();
    if (phase === 'cancelled') return deliver('cancelled', message, state.report);
    // Stopped by a disconnect before the model's finish was read (after it, the answer is whole).
    if (phase === 'disconnected' && state.report !== null) return deliver('disconnected', message, state.report);
    // Before any streaming body (threw, not a Response, non-2xx): nothing was read to count.
    if (state.reader === null && (state.upstream === null || !state.upstream.ok)) return deliver('error', message, null);
    deliver(broken ? 'error' : reasonOfEnd(message, decoder.protocol), message, decoder.usage());
  };

  return {
    ended(phase) {
      if (done || !onFinish) return;
      // After the current task: at the upstream's end, `end` runs before the decoder's last flush.
      void Promise.resolve().then(() => settle(phase));
    },
    failed() {
      broken = true;
    },
    tombstoned() {
      if (done || !onFinish) return;
      void Promise.resolve().then(() => deliver('cancelled', EMPTY_MESSAGE, { usage: { inputTokens: 0, outputTokens: 0 }, usageEstimated: false }));
    },
  };
}
