import { createMessageAccumulator } from './createMessageAccumulator';
import { snapshotToolCalls } from './createToolCalls';
import { createPartialJsonParser } from './createPartialJsonParser';
import type { FinishReason, MessageExtras, StreamEvent, StreamSnapshot, Usage } from './types';

// The accumulator's types, and `createAccumulator`: core's, with the partial JSON parser imported
// statically (synchronous). The stream session builds its accumulator from `createMessageAccumulator`
// instead, which imports no parser: it loads one as a chunk of its own (session/loadPartialJson.ts).
// In one module with that import, the parser would be in every app's up-front code.

/** Where a tool call stands: arguments still arriving, complete, or cut off (stop, drop, error). */
export type ToolCallState = 'streaming' | 'complete' | 'incomplete';

/** A tool call as the UI shows it: raw argument text, the best parsed value so far, and its state. */
export type AccumulatedToolCall = {
  readonly id: string;
  readonly name: string;
  /** 0-based ordinal in order of first appearance. */
  readonly index: number;
  readonly argsText: string;
  /** Partial parsed arguments while streaming (with `partialArgs`), the final value once complete; `null` when nothing parses. */
  readonly args: unknown;
  readonly state: ToolCallState;
};

/**
 * Everything a stream has said so far. An immutable value: a new object only when something changed.
 * The `MessageExtras` keys (`refusal`, `annotations`, `stopSequence`, `reasoningParts`) are present
 * only once the stream carried them; their arrays are replaced, never mutated.
 */
export type AccumulatedMessage = Readonly<Omit<MessageExtras, 'reasoning'>> & {
  readonly id: string | null;
  readonly text: string;
  readonly reasoning: string;
  readonly toolCalls: readonly AccumulatedToolCall[];
  readonly usage: Usage | null;
  readonly finishReason: FinishReason | null;
  readonly rawFinishReason: string | null;
  readonly error: string | null;
};

export type AccumulatorOptions = {
  /** Keep a partial parsed value of every tool call's arguments as they stream (linear cost). Default `false`. */
  partialArgs?: boolean;
};

export type Accumulator = {
  /** Applies one normalized event. */
  apply(event: StreamEvent): void;
  /**
   * Freezes the visible content at `shown` (e.g. the last message shown): `message()` keeps its text,
   * reasoning, tool calls, refusal, annotations and reasoning parts, so that what the user saw when
   * they pressed Stop is what is kept, while ids, usage, finish and errors are still read. Later deltas are still folded in, out of
   * sight, for `thaw()`. A tool call shown `streaming` is `incomplete` after `markUnfinished()`.
   */
  freeze(shown: AccumulatedMessage): void;
  /** Undoes `freeze()`: `message()` shows everything received (a stop that came after the end). */
  thaw(): void;
  /** Marks every tool call that has not ended as `incomplete` (the stream ended without finishing it). */
  markUnfinished(): void;
  /** The current message; the same object until the next change (cheap to call once per frame). */
  message(): AccumulatedMessage;
  /** The normalized snapshot, exactly the shape of `test/fixtures/*.expected.json`. */
  snapshot(): StreamSnapshot;
};

/** An accumulator without `snapshot()` (see `createMessageAccumulator`). */
export type MessageAccumulator = Omit<Accumulator, 'snapshot'>;

/**
 * Folds normalized `StreamEvent`s into a message (see `fold`). Mutable inside, immutable outside:
 * `apply` is O(size of the event) and `message()` rebuilds only what changed since the last call,
 * so a UI that reads it once per frame pays nothing per delta.
 *
 * @example
 * ```ts
 * const acc = createAccumulator({ partialArgs: true });
 * for await (const event of decodeStream(response.body!)) acc.apply(event);
 * acc.message().toolCalls[0]?.args;
 * ```
 */
export function createAccumulator(options: AccumulatorOptions = {}): Accumulator {
  return createMessageAccumulator(options.partialArgs ? createPartialJsonParser : undefined, (draft, calls) => () => {
    // The optional keys are in the draft only once the stream carried them; reasoning only when non-empty.
    const { id, text, reasoning, toolCalls: _, usage, finishReason, rawFinishReason, error, ...extras } = draft;
    return { id, text, toolCalls: snapshotToolCalls(calls), usage: usage ? { ...usage } : null, finishReason, rawFinishReason, error, ...(reasoning ? { reasoning } : {}), ...extras };
  }) as Accumulator;
}
