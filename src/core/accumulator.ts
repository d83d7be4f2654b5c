import { createToolCalls, snapshotToolCalls, type ToolCalls } from './createToolCalls';
import type { FinishReason, MessageExtras, StreamEvent, StreamSnapshot, Usage } from './types';

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

/** The message as received so far, mutable: `message()` hands out frozen copies of it. */
type Draft = Omit<{ -readonly [K in keyof AccumulatedMessage]: AccumulatedMessage[K] }, 'usage'> & { usage: StreamSnapshot['usage'] };

/**
 * Folds one normalized event into the draft and says whether anything `message()` shows changed:
 * one fold over the event union, kept in one unit so that every event's effect reads in one place
 * (the tool calls keep their own bookkeeping in `calls`, which reports its changes itself).
 * O(size of the event).
 */
function fold(draft: Draft, calls: ToolCalls, event: StreamEvent): boolean {
  switch (event.type) {
    case 'id':
      if (draft.id !== null) return false;
      draft.id = event.id;
      return true;
    case 'text-delta':
      draft.text += event.delta;
      return true;
    case 'reasoning-delta':
      draft.reasoning += event.delta;
      return true;
    case 'refusal-delta':
      draft.refusal = (draft.refusal ?? '') + event.delta;
      return true;
    // The arrays are replaced, so a message handed out keeps its own.
    case 'reasoning-part':
      draft.reasoningParts = [...(draft.reasoningParts ?? []), { ...event.part, textOffset: draft.text.length, toolCallsBefore: calls.list().length }];
      return true;
    case 'annotation':
      draft.annotations = [...(draft.annotations ?? []), event.annotation];
      return true;
    // The calls report their own changes (`createToolCalls`' `onChange`).
    case 'tool-call-start':
      calls.start(event.id, event.name);
      return false;
    case 'tool-call-delta':
      // A call not announced by a start event starts here, without a name.
      calls.delta(event.id, event.delta);
      return false;
    case 'tool-call-end':
      calls.end(event.id, event.args);
      return false;
    case 'usage': {
      // Every count (and detail count) the event knows replaces the one known; `estimated` is the
      // event's own, and only when true, as `snapshot()` has it.
      const merged: Record<string, unknown> = { inputTokens: null, outputTokens: null, ...draft.usage };
      delete merged.estimated;
      for (const [key, value] of Object.entries(event.usage)) if (value != null && value !== false) merged[key] = value;
      // Frozen, so `message()` hands it out as it is.
      draft.usage = Object.freeze(merged) as StreamSnapshot['usage'];
      return true;
    }
    case 'finish':
      if (draft.finishReason !== null) return false;
      draft.finishReason = event.finishReason;
      draft.rawFinishReason = event.rawFinishReason;
      if (event.stopSequence !== undefined) draft.stopSequence = event.stopSequence;
      // A call still open when the model says it is done was finished by that; one open at a
      // cancel, an error or a length cut was not.
      calls.endOpen(event.finishReason === 'stop' || event.finishReason === 'tool-calls' ? 'complete' : 'incomplete');
      return true;
    case 'error':
      if (draft.error !== null) return false;
      draft.error = event.message;
      return true;
  }
}

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
  return createMessageAccumulator(options, (draft, calls) => () => {
    // The optional keys are in the draft only once the stream carried them; reasoning only when non-empty.
    const { id, text, reasoning, toolCalls: _, usage, finishReason, rawFinishReason, error, ...extras } = draft;
    return { id, text, toolCalls: snapshotToolCalls(calls), usage: usage ? { ...usage } : null, finishReason, rawFinishReason, error, ...(reasoning ? { reasoning } : {}), ...extras };
  }) as Accumulator;
}

/**
 * `createAccumulator`, with `snapshot()` made by `snapshotOf` from the draft and the calls. The
 * stream session and the hook call it without: `snapshot()` and what only it uses are then left
 * out of their bundles (it is `collectStream`'s, never the UI's).
 */
export function createMessageAccumulator(
  options: AccumulatorOptions = {},
  snapshotOf?: (draft: Draft, calls: ToolCalls) => () => StreamSnapshot,
): MessageAccumulator & Partial<Pick<Accumulator, 'snapshot'>> {
  // In `AccumulatedMessage` order, so that the copies `message()` makes keep it.
  const draft: Draft = { id: null, text: '', reasoning: '', toolCalls: [], usage: null, finishReason: null, rawFinishReason: null, error: null };
  /** Something `message()` shows changed since it last built one. */
  let dirty = true;
  const calls = createToolCalls(options.partialArgs ?? false, () => {
    dirty = true;
  });
  /** What the user saw at the stop (see `freeze`); `null` when not frozen. */
  let shown: AccumulatedMessage | null = null;
  let cachedMessage: AccumulatedMessage | null = null;

  return {
    apply(event) {
      if (fold(draft, calls, event)) dirty = true;
    },
    freeze(message) {
      shown = message;
      dirty = true;
    },
    thaw() {
      shown = null;
      dirty = true;
    },
    markUnfinished() {
      calls.endOpen('incomplete');
      // Frozen: a call still streaming when the user stopped was cut there, whatever came after.
      if (shown) {
        shown = { ...shown, toolCalls: shown.toolCalls.map((call) => (call.state === 'streaming' ? { ...call, state: 'incomplete' } : call)) };
        dirty = true;
      }
    },
    message() {
      if (!dirty && cachedMessage) return cachedMessage;
      // The calls' views are brought up to date even while frozen, as for everything else received.
      draft.toolCalls = calls.list();
      // Frozen: what the user sees is the shown message's (and the reasoning blocks: a signature
      // that came after the last frame signs text the user may not have seen), a key it did not
      // have yet (a refusal begun after the frame) left out; ids, usage, the finish with its stop
      // sequence and errors are the draft's.
      const { text, reasoning, toolCalls, refusal, annotations, reasoningParts, ...read } = draft;
      cachedMessage = Object.freeze(shown ? { ...shown, ...read } : { ...draft });
      dirty = false;
      return cachedMessage;
    },
    snapshot: snapshotOf?.(draft, calls),
  };
}
