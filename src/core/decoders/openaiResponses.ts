import type { FinishReason, ReasoningBlock } from '../types';
import type { EmitEvent, HandlerFactory, HandlerKit } from './handler';

type ResponsesCall = { id: string; argsLength: number; ended: boolean };
/** A stream's tool calls by `item_id` (`fc_…`). A call seen is never forgotten. */
type ResponsesCalls = Map<string, ResponsesCall>;

// The tool calls are plain functions over the handler's map rather than an object of methods:
// the same code, fewer bytes in the bundle.

/** The call of this item, announced (tool-call-start) the first time the item is seen. */
function startCall(emit: EmitEvent, calls: ResponsesCalls, itemId: string, callId?: unknown, name?: unknown): ResponsesCall {
  let call = calls.get(itemId);
  if (!call) {
    call = { id: typeof callId === 'string' && callId !== '' ? callId : itemId, argsLength: 0, ended: false };
    calls.set(itemId, call);
    emit({ type: 'tool-call-start', id: call.id, name: typeof name === 'string' ? name : '' });
  }
  return call;
}

function appendArgs(emit: EmitEvent, call: ResponsesCall, delta: unknown): void {
  if (typeof delta === 'string' && delta !== '') {
    call.argsLength += delta.length;
    emit({ type: 'tool-call-delta', id: call.id, delta });
  }
}

/**
 * Ends the call of this item, once. `.done` and `output_item.done` carry the whole argument text:
 * when no delta came (a proxy that drops them), it stands in for the fragments; otherwise it is
 * not repeated.
 */
function endCall(emit: EmitEvent, calls: ResponsesCalls, itemId: string, fullArgs: unknown, callId?: unknown, name?: unknown): void {
  const call = startCall(emit, calls, itemId, callId, name);
  if (call.ended) return;
  if (call.argsLength === 0) appendArgs(emit, call, fullArgs);
  call.ended = true;
  emit({ type: 'tool-call-end', id: call.id });
}

/**
 * The finish reason a terminal `response.status` means (`null` for a status that does not end the
 * stream). A completed response that made calls finishes with `tool-calls`.
 */
function finishReasonOf(status: string, response: any, sawCall: boolean): FinishReason | null {
  switch (status) {
    case 'completed': {
      const output: any[] = Array.isArray(response.output) ? response.output : [];
      return sawCall || output.some((item) => item?.type === 'function_call') ? 'tool-calls' : 'stop';
    }
    case 'incomplete': {
      const why = response.incomplete_details?.reason;
      return why === 'content_filter' ? 'content-filter' : why === 'max_output_tokens' || why == null ? 'length' : 'other';
    }
    case 'failed':
      return 'error';
    case 'cancelled':
      return 'cancelled';
    default:
      return null;
  }
}

/** The events that carry the whole `response` (id, usage, status). */
const LIFECYCLE = new Set(['created', 'queued', 'in_progress', 'completed', 'incomplete', 'failed', 'cancelled'].map((name) => `response.${name}`));

const RESPONSES_DETAILS = { cachedInputTokens: 'input_tokens_details.cached_tokens', reasoningTokens: 'output_tokens_details.reasoning_tokens' };

/** A finished reasoning item as a `reasoning-part` event: what a history builder sends back. */
function emitReasoningItem(emit: EmitEvent, item: any): void {
  const summary: string[] = Array.isArray(item.summary) ? item.summary.map((part: any) => String(part?.text ?? '')) : [];
  const part: ReasoningBlock = { type: 'openai-reasoning', id: String(item.id ?? ''), summary };
  if (typeof item.encrypted_content === 'string') part.encryptedContent = item.encrypted_content;
  emit({ type: 'reasoning-part', part });
}

/**
 * Reasoning text, refusals and annotations. Reasoning parts (summary parts, raw reasoning parts,
 * items) are separate paragraphs: a blank line goes between two, or they run together.
 */
function createContentParts(emit: EmitEvent, emitDelta: HandlerKit['emitDelta']) {
  /** The reasoning text part last written to (event type, item, part index). */
  let reasoningPart: string | null = null;
  /** A refusal delta came for the current refusal part (its `.done` then repeats it). */
  let refusalStreamed = false;
  return (type: string, data: any) => {
    if (type === 'response.output_text.annotation.added') {
      if (data.annotation != null) emit({ type: 'annotation', annotation: data.annotation });
    } else if (type === 'response.refusal.delta') {
      refusalStreamed ||= typeof data.delta === 'string' && data.delta !== '';
      emitDelta(emit, 'refusal-delta', data.delta);
    } else if (type === 'response.refusal.done') {
      // The whole refusal: it stands in for deltas a proxy dropped, otherwise it is not repeated.
      if (!refusalStreamed) emitDelta(emit, 'refusal-delta', data.refusal);
      refusalStreamed = false;
    } else if (typeof data.delta === 'string' && data.delta !== '') {
      const part = `${type}\n${data.item_id}\n${data.summary_index ?? data.content_index}`;
      if (reasoningPart !== null && reasoningPart !== part) emit({ type: 'reasoning-delta', delta: '\n\n' });
      reasoningPart = part;
      emit({ type: 'reasoning-delta', delta: data.delta });
    }
  };
}

/**
 * OpenAI Responses stream events (`response.*`). Tool-call fragments are keyed by `item_id`
 * (`fc_…`); the public id is the item's `call_id`, learnt from `response.output_item.added`.
 * There is no finish_reason: the terminal event's `response.status` decides.
 */
export const createOpenAIResponsesHandler: HandlerFactory = (emit, _options, { emitDelta, emitError, emitUsage }) => {
  let idSent = false;
  let errorSent = false;
  let finished = false;
  const calls: ResponsesCalls = new Map();
  const content = createContentParts(emit, emitDelta);

  /** The first error message is kept: an `error` event and the `response.failed` after it say the same. */
  const error = (message: string, code: unknown) => {
    if (errorSent) return;
    errorSent = true;
    emitError(emit, message, code);
  };

  const lifecycle = (response: any) => {
    if (!response || typeof response !== 'object') return;
    if (!idSent && typeof response.id === 'string') {
      idSent = true;
      emit({ type: 'id', id: response.id });
    }
    emitUsage(emit, response.usage, 'input_tokens', 'output_tokens', false, RESPONSES_DETAILS);
    const status = response.status;
    if (finished || typeof status !== 'string') return;
    const reason = finishReasonOf(status, response, calls.size > 0);
    if (reason === 'error') error(String(response.error?.message ?? 'The response failed.'), response.error?.code);
    if (reason) {
      finished = true;
      emit({ type: 'finish', finishReason: reason, rawFinishReason: status });
    }
  };

  return (data, eventName) => {
    const type = typeof data.type === 'string' ? data.type : eventName;
    if (LIFECYCLE.has(type)) return lifecycle(data.response);
    switch (type) {
      case 'response.output_text.delta':
        emitDelta(emit, 'text-delta', data.delta);
        return;
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta':
      case 'response.refusal.delta':
      case 'response.refusal.done':
      case 'response.output_text.annotation.added':
        content(type, data);
        return;
      case 'response.output_item.added':
        if (data.item?.type === 'function_call') {
          const call = startCall(emit, calls, String(data.item.id ?? data.output_index), data.item.call_id, data.item.name);
          appendArgs(emit, call, data.item.arguments);
        }
        return;
      case 'response.function_call_arguments.delta':
        appendArgs(emit, startCall(emit, calls, String(data.item_id)), data.delta);
        return;
      case 'response.function_call_arguments.done':
        endCall(emit, calls, String(data.item_id), data.arguments, undefined, data.name);
        return;
      case 'response.output_item.done':
        if (data.item?.type === 'function_call') endCall(emit, calls, String(data.item.id ?? data.output_index), data.item.arguments, data.item.call_id, data.item.name);
        else if (data.item?.type === 'reasoning') emitReasoningItem(emit, data.item);
        return;
      case 'error': {
        // Two shapes exist: the SDK's flat `{code, message}` and the nested `{error:{code, message}}`
        // seen in recordings. A `response.failed` may follow; the first message is kept.
        if (errorSent) return;
        const source = data.error && typeof data.error === 'object' ? data.error : data;
        error(String(source.message ?? data.message ?? 'The model reported an error.'), source.code ?? data.code);
        return;
      }
      default:
        // keepalive, content_part.*, output_text.done, and events added later.
        return;
    }
  };
};
