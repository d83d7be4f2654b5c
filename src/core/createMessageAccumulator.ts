import type { AccumulatedMessage, Accumulator, MessageAccumulator } from './accumulator';
import { createToolCalls, type ParserSource, type ToolCalls } from './createToolCalls';
import type { StreamEvent, StreamSnapshot } from './types';

export type { AccumulatedMessage, MessageAccumulator } from './accumulator';

/** The message as received so far, mutable: `message()` hands out frozen copies of it. */
export type Draft = Omit<{ -readonly [K in keyof AccumulatedMessage]: AccumulatedMessage[K] }, 'usage'> & { usage: StreamSnapshot['usage'] };

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
 * `createAccumulator`, with `snapshot()` made by `snapshotOf` from the draft and the calls. The
 * stream session and the hook call it without: `snapshot()` and what only it uses are then left
 * out of their bundles (it is `collectStream`'s, never the UI's).
 */
export function createMessageAccumulator(
  parsers?: ParserSource,
  snapshotOf?: (draft: Draft, calls: ToolCalls) => () => StreamSnapshot,
): MessageAccumulator & Partial<Pick<Accumulator, 'snapshot'>> {
  // In `AccumulatedMessage` order, so that the copies `message()` makes keep it.
  const draft: Draft = { id: null, text: '', reasoning: '', toolCalls: [], usage: null, finishReason: null, rawFinishReason: null, error: null };
  /** Something `message()` shows changed since it last built one. */
  let dirty = true;
  const calls = createToolCalls(parsers, () => {
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
