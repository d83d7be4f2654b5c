import { createPartialJsonParser } from './partialJson';
import type { FinishReason, SnapshotToolCall, StreamEvent, StreamSnapshot, Usage } from './types';

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

/** Everything a stream has said so far. An immutable value: a new object only when something changed. */
export type AccumulatedMessage = {
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
   * reasoning and tool calls, so that what the user saw when they pressed Stop is what is kept,
   * while ids, usage, finish and errors are still read. Later deltas are still folded in, out of
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

type MutableCall = {
  id: string;
  name: string;
  index: number;
  argsText: string;
  state: ToolCallState;
  /** `args` of a `tool-call-end` that carried the parsed input (AI SDK). */
  finalArgs: { value: unknown } | null;
  parser: ReturnType<typeof createPartialJsonParser> | null;
  /** set once the argument text is not JSON: the partial value stays where it was */
  parseFailed: boolean;
  cached: AccumulatedToolCall | null;
};

function parseObject(text: string): unknown {
  try {
    const value = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

/**
 * Folds normalized `StreamEvent`s into a message (one fold over the event union, kept in one unit
 * so that every event's effect reads in one place). Mutable inside, immutable outside: `apply` is
 * O(size of the event) and `message()` rebuilds only what changed since the last call, so a UI
 * that reads it once per frame pays nothing per delta.
 *
 * @example
 * ```ts
 * const acc = createAccumulator({ partialArgs: true });
 * for await (const event of decodeStream(response.body!)) acc.apply(event);
 * acc.message().toolCalls[0]?.args;
 * ```
 */
export function createAccumulator(options: AccumulatorOptions = {}): Accumulator {
  const partialArgs = options.partialArgs ?? false;
  let id: string | null = null;
  let text = '';
  let reasoning = '';
  const calls: MutableCall[] = [];
  const byId = new Map<string, MutableCall>();
  /** Frozen (`message()` hands it out as it is); `estimated` is present only when true, as `snapshot()` has it. */
  let usage: StreamSnapshot['usage'] = null;
  let finishReason: FinishReason | null = null;
  let rawFinishReason: string | null = null;
  let error: string | null = null;
  /** What the user saw at the stop (see `freeze`); `null` when not frozen. */
  let shown: Pick<AccumulatedMessage, 'text' | 'reasoning' | 'toolCalls'> | null = null;

  let dirty = true;
  let toolCallsDirty = true;
  let cachedMessage: AccumulatedMessage | null = null;
  let cachedCalls: readonly AccumulatedToolCall[] = [];

  const touch = (call: MutableCall | null) => {
    dirty = true;
    if (call) {
      call.cached = null;
      toolCallsDirty = true;
    }
  };

  /** The call with this id, created if it is new; a name arriving later fills an empty one. */
  const startCall = (callId: string, name: string): MutableCall => {
    let call = byId.get(callId);
    if (!call) {
      call = {
        id: callId,
        name,
        index: calls.length,
        argsText: '',
        state: 'streaming',
        finalArgs: null,
        parser: partialArgs ? createPartialJsonParser() : null,
        parseFailed: false,
        cached: null,
      };
      calls.push(call);
      byId.set(callId, call);
      touch(call);
    } else if (name && !call.name) {
      call.name = name;
      touch(call);
    }
    return call;
  };

  const appendArgs = (call: MutableCall, delta: string) => {
    call.argsText += delta;
    if (call.parser && !call.parseFailed) {
      try {
        call.parser.push(delta);
      } catch {
        // Arguments that are not JSON keep their text; the parsed value stays the last good one.
        call.parseFailed = true;
      }
    }
    touch(call);
  };

  const endOpenCalls = (state: ToolCallState) => {
    for (const call of calls) {
      if (call.state === 'streaming') {
        call.state = state;
        touch(call);
      }
    }
  };

  const buildCall = (call: MutableCall): AccumulatedToolCall => {
    if (call.cached) return call.cached;
    let args: unknown;
    if (call.finalArgs) args = call.finalArgs.value;
    else if (call.state === 'complete') args = call.parser && !call.parseFailed && call.parser.done() ? call.parser.value() : parseObject(call.argsText);
    else args = call.parser?.value();
    call.cached = Object.freeze({
      id: call.id,
      name: call.name,
      index: call.index,
      argsText: call.argsText,
      // `undefined` without a parser, or from one whose value has not started yet.
      args: args ?? null,
      state: call.state,
    });
    return call.cached;
  };

  return {
    apply(event) {
      switch (event.type) {
        case 'id':
          if (id === null) {
            id = event.id;
            dirty = true;
          }
          return;
        case 'text-delta':
          text += event.delta;
          dirty = true;
          return;
        case 'reasoning-delta':
          reasoning += event.delta;
          dirty = true;
          return;
        case 'tool-call-start':
          startCall(event.id, event.name);
          return;
        case 'tool-call-delta': {
          // A call not announced by a start event starts here, without a name.
          const call = startCall(event.id, '');
          if (call.state === 'streaming') appendArgs(call, event.delta);
          return;
        }
        case 'tool-call-end': {
          const call = startCall(event.id, '');
          if (call.state !== 'streaming') return;
          if (event.args !== undefined) {
            call.finalArgs = { value: event.args };
            // Input sent whole, without fragments: show its text too.
            if (call.argsText === '') call.argsText = JSON.stringify(event.args) ?? '';
          }
          call.state = 'complete';
          touch(call);
          return;
        }
        case 'usage': {
          const next = event.usage;
          const merged: NonNullable<StreamSnapshot['usage']> = {
            inputTokens: next.inputTokens ?? usage?.inputTokens ?? null,
            outputTokens: next.outputTokens ?? usage?.outputTokens ?? null,
          };
          if (next.estimated) merged.estimated = true;
          usage = Object.freeze(merged);
          dirty = true;
          return;
        }
        case 'finish':
          if (finishReason !== null) return;
          finishReason = event.finishReason;
          rawFinishReason = event.rawFinishReason;
          // A call still open when the model says it is done was finished by that; one open at a
          // cancel, an error or a length cut was not.
          endOpenCalls(event.finishReason === 'stop' || event.finishReason === 'tool-calls' ? 'complete' : 'incomplete');
          dirty = true;
          return;
        case 'error':
          if (error === null) {
            error = event.message;
            dirty = true;
          }
          return;
      }
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
      endOpenCalls('incomplete');
      // Frozen: a call still streaming when the user stopped was cut there, whatever came after.
      if (shown) {
        shown = { ...shown, toolCalls: shown.toolCalls.map((call) => (call.state === 'streaming' ? { ...call, state: 'incomplete' } : call)) };
        dirty = true;
      }
    },
    message() {
      if (!dirty && cachedMessage) return cachedMessage;
      if (toolCallsDirty) {
        cachedCalls = Object.freeze(calls.map(buildCall));
        toolCallsDirty = false;
      }
      const view = shown ?? { text, reasoning, toolCalls: cachedCalls };
      cachedMessage = Object.freeze({
        id,
        text: view.text,
        reasoning: view.reasoning,
        toolCalls: view.toolCalls,
        usage,
        finishReason,
        rawFinishReason,
        error,
      });
      dirty = false;
      return cachedMessage;
    },
    snapshot() {
      const toolCalls: SnapshotToolCall[] = calls.map((call) => ({
        id: call.id,
        name: call.name,
        index: call.index,
        argsText: call.argsText,
        args: call.finalArgs ? call.finalArgs.value : parseObject(call.argsText),
      }));
      return {
        id,
        text,
        toolCalls,
        usage: usage ? { ...usage } : null,
        finishReason,
        rawFinishReason,
        error,
      };
    },
  };
}
