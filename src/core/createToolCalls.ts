import type { AccumulatedToolCall, ToolCallState } from './accumulator';
import type { PartialJsonParser } from './partialJson';
import { parseJsonOrUndefined } from './decoders/parseJson';
import type { SnapshotToolCall } from './types';

// The tool calls of one accumulated message: their argument text, the partial parse of it, and
// the frozen views the UI reads. Apart from the accumulator's fold because the calls keep state of
// their own (one parser per call, a view cached per call) that no other event touches.

/**
 * Where the calls' partial JSON parsers come from (with `partialArgs`): `createPartialJsonParser`
 * itself (core: always at once), or the stream session's lazy chunk (session/loadPartialJson.ts):
 * `undefined` while it loads, then `ready` is called once it is there.
 */
export type ParserSource = (ready: () => void) => PartialJsonParser | undefined;

/** The tool calls of one message, in order of first appearance. */
export type ToolCalls = {
  /** Announces a call; a call seen before keeps its place, and a name arriving later fills an empty one. */
  start(id: string, name: string): void;
  /** Appends argument text to a call still streaming (a call not announced starts here, without a name). */
  delta(id: string, delta: string): void;
  /** Completes a call still streaming; `args`: its input, when the wire sent it parsed (AI SDK). */
  end(id: string, args: unknown): void;
  /** Every call still streaming becomes `state`. */
  endOpen(state: ToolCallState): void;
  /** The calls as the UI shows them: the same frozen array until one of them changes. */
  list(): readonly AccumulatedToolCall[];
  /** The calls themselves, for `snapshotToolCalls`. */
  all: readonly MutableCall[];
};

type MutableCall = {
  id: string;
  name: string;
  index: number;
  argsText: string;
  state: ToolCallState;
  /** `args` of a `tool-call-end` that carried the parsed input (AI SDK). */
  finalArgs: { value: unknown } | null;
  /** `undefined` without `partialArgs`, or while the parser's chunk loads. */
  parser: PartialJsonParser | undefined;
  /** set once the argument text is not JSON: the partial value stays where it was */
  parseFailed: boolean;
  cached: AccumulatedToolCall | null;
};

function parseObject(text: string): unknown {
  const value = parseJsonOrUndefined(text);
  return value && typeof value === 'object' && !Array.isArray(value) ? value : null;
}

/**
 * The final arguments of a call from its text: a call that completed without any argument text
 * (Anthropic `tool_use` with `input:{}`, an empty `arguments` string) took no input, `{}` as the
 * SDKs have it; a call cut off before any text stays `null`.
 */
function argsOf(call: MutableCall): unknown {
  return call.argsText === '' && call.state === 'complete' ? {} : parseObject(call.argsText);
}

/** The frozen view of a call, cached on it until it changes. */
function view(call: MutableCall): AccumulatedToolCall {
  if (call.cached) return call.cached;
  let args: unknown;
  if (call.finalArgs) args = call.finalArgs.value;
  else if (call.state === 'complete') args = call.parser && !call.parseFailed && call.parser.done() ? call.parser.value() : argsOf(call);
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
}

/** Feeds argument text to a call's parser, if it has one that has not failed. */
function feed(call: MutableCall, text: string) {
  if (call.parser && !call.parseFailed) {
    try {
      call.parser.push(text);
    } catch {
      // Arguments that are not JSON keep their text; the parsed value stays the last good one.
      call.parseFailed = true;
    }
  }
}

/**
 * Creates the tool calls of one message. `parsers`: parse each call's arguments as they stream
 * (`partialArgs`, see `AccumulatorOptions`); without, `args` is known once a call completes.
 * `onChange` is called on every change a view shows.
 */
export function createToolCalls(parsers: ParserSource | undefined, onChange: () => void): ToolCalls {
  const calls: MutableCall[] = [];
  const byId = new Map<string, MutableCall>();
  let listDirty = true;
  let cachedList: readonly AccumulatedToolCall[] = [];

  const touch = (call: MutableCall) => {
    call.cached = null;
    listDirty = true;
    onChange();
  };

  // The parser's chunk arrived (the session's first calls): every call still streaming gets one, fed
  // its text so far in one pass (the parser is linear), and shows its partial value from now on. A
  // call already complete keeps the value of its whole text; one cut off keeps what it showed.
  const catchUp = () => {
    for (const call of calls) {
      if (call.state === 'streaming' && !call.parser) {
        call.parser = parsers?.(catchUp);
        feed(call, call.argsText);
        touch(call);
      }
    }
  };

  const start = (id: string, name: string): MutableCall => {
    let call = byId.get(id);
    if (!call) {
      const parser = parsers?.(catchUp);
      call = { id, name, index: calls.length, argsText: '', state: 'streaming', finalArgs: null, parser, parseFailed: false, cached: null };
      calls.push(call);
      byId.set(id, call);
      touch(call);
    } else if (name && !call.name) {
      call.name = name;
      touch(call);
    }
    return call;
  };

  return {
    start,
    delta(id, delta) {
      const call = start(id, '');
      if (call.state !== 'streaming') return;
      call.argsText += delta;
      feed(call, delta);
      touch(call);
    },
    end(id, args) {
      const call = start(id, '');
      if (call.state !== 'streaming') return;
      if (args !== undefined) {
        call.finalArgs = { value: args };
        // Input sent whole, without fragments: show its text too.
        if (call.argsText === '') call.argsText = JSON.stringify(args) ?? '';
      }
      call.state = 'complete';
      touch(call);
    },
    endOpen(state) {
      for (const call of calls) {
        if (call.state === 'streaming') {
          call.state = state;
          touch(call);
        }
      }
    },
    list() {
      if (listDirty) {
        cachedList = Object.freeze(calls.map(view));
        listDirty = false;
      }
      return cachedList;
    },
    all: calls,
  };
}

/**
 * The calls as the accumulator's `snapshot()` has them. A function of its own, not a method, so
 * that a bundle without `snapshot()` (the stream session's) leaves it out.
 */
export function snapshotToolCalls(toolCalls: ToolCalls): SnapshotToolCall[] {
  return toolCalls.all.map((call) => ({
    id: call.id,
    name: call.name,
    index: call.index,
    argsText: call.argsText,
    args: call.finalArgs ? call.finalArgs.value : argsOf(call),
  }));
}
