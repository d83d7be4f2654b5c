import type { FinishReason } from '../types';
import { emitDelta, emitError, emitUsage, type HandlerFactory } from './handler';

/**
 * OpenAI Responses stream events (`response.*`). Tool-call fragments are keyed by `item_id`
 * (`fc_…`); the public id is the item's `call_id`, learnt from `response.output_item.added`.
 * There is no finish_reason: the terminal event's `response.status` decides.
 */
export const createOpenAIResponsesHandler: HandlerFactory = (emit) => {
  let idSent = false;
  let errorSent = false;
  let finished = false;
  let sawCall = false;
  /** item_id → call state */
  const calls = new Map<string, { id: string; argsLength: number; ended: boolean }>();

  /** The call of this item, announced (tool-call-start) the first time the item is seen. */
  const startCall = (itemId: string, callId?: unknown, name?: unknown) => {
    let call = calls.get(itemId);
    if (!call) {
      call = { id: typeof callId === 'string' && callId !== '' ? callId : itemId, argsLength: 0, ended: false };
      calls.set(itemId, call);
      sawCall = true;
      emit({ type: 'tool-call-start', id: call.id, name: typeof name === 'string' ? name : '' });
    }
    return call;
  };

  const appendArgs = (call: { id: string; argsLength: number }, delta: unknown) => {
    if (typeof delta === 'string' && delta !== '') {
      call.argsLength += delta.length;
      emit({ type: 'tool-call-delta', id: call.id, delta });
    }
  };

  // `.done` and `output_item.done` carry the whole argument text. When no delta came (a proxy
  // that drops them), the full text stands in for the fragments; otherwise it is not repeated.
  const endCall = (itemId: string, fullArgs: unknown, callId?: unknown, name?: unknown) => {
    const call = startCall(itemId, callId, name);
    if (call.ended) return;
    if (call.argsLength === 0) appendArgs(call, fullArgs);
    call.ended = true;
    emit({ type: 'tool-call-end', id: call.id });
  };

  const lifecycle = (response: any) => {
    if (!response || typeof response !== 'object') return;
    if (!idSent && typeof response.id === 'string') {
      idSent = true;
      emit({ type: 'id', id: response.id });
    }
    emitUsage(emit, response.usage, 'input_tokens', 'output_tokens');
    const status = response.status;
    if (finished || typeof status !== 'string') return;
    let reason: FinishReason | null = null;
    if (status === 'completed') {
      const output: any[] = Array.isArray(response.output) ? response.output : [];
      reason = sawCall || output.some((item) => item?.type === 'function_call') ? 'tool-calls' : 'stop';
    } else if (status === 'incomplete') {
      const why = response.incomplete_details?.reason;
      reason = why === 'content_filter' ? 'content-filter' : why === 'max_output_tokens' || why == null ? 'length' : 'other';
    } else if (status === 'failed') {
      if (!errorSent) {
        errorSent = true;
        emitError(emit, String(response.error?.message ?? 'The response failed.'), response.error?.code);
      }
      reason = 'error';
    } else if (status === 'cancelled') {
      reason = 'cancelled';
    }
    if (reason) {
      finished = true;
      emit({ type: 'finish', finishReason: reason, rawFinishReason: status });
    }
  };

  return (data, eventName) => {
    const type = typeof data.type === 'string' ? data.type : eventName;
    switch (type) {
      case 'response.created':
      case 'response.queued':
      case 'response.in_progress':
      case 'response.completed':
      case 'response.incomplete':
      case 'response.failed':
      case 'response.cancelled':
        lifecycle(data.response);
        return;
      case 'response.output_text.delta':
        emitDelta(emit, 'text-delta', data.delta);
        return;
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta':
        emitDelta(emit, 'reasoning-delta', data.delta);
        return;
      case 'response.output_item.added':
        if (data.item?.type === 'function_call') {
          const call = startCall(String(data.item.id ?? data.output_index), data.item.call_id, data.item.name);
          appendArgs(call, data.item.arguments);
        }
        return;
      case 'response.function_call_arguments.delta': {
        const itemId = String(data.item_id);
        appendArgs(startCall(itemId), data.delta);
        return;
      }
      case 'response.function_call_arguments.done':
        endCall(String(data.item_id), data.arguments, undefined, data.name);
        return;
      case 'response.output_item.done':
        if (data.item?.type === 'function_call') endCall(String(data.item.id ?? data.output_index), data.item.arguments, data.item.call_id, data.item.name);
        return;
      case 'error': {
        // Two shapes exist: the SDK's flat `{code, message}` and the nested `{error:{code, message}}`
        // seen in recordings. A `response.failed` may follow; the first message is kept.
        if (errorSent) return;
        errorSent = true;
        const source = data.error && typeof data.error === 'object' ? data.error : data;
        emitError(emit, String(source.message ?? data.message ?? 'The model reported an error.'), source.code ?? data.code);
        return;
      }
      default:
        // keepalive, content_part.*, output_text.done, annotations, and events added later.
        return;
    }
  };
};
