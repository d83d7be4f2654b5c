import { sseEvent } from './sseFrames';
import type { WireEncoder, WireEncoderOptions } from './WireEncoder';

// OpenAI Responses events: every piece of output is an item (a message, a reasoning summary, a
// function call) opened with `output_item.added` and closed with `output_item.done`, each event
// numbered by `sequence_number`; the closing `response.*` event carries every item and the usage.

/** Writes one event, with the next `sequence_number`. */
type WriteEvent = (type: string, json: Record<string, unknown>) => string;

/** A message or reasoning item still open: its text so far. */
type OpenItem = { id: string; index: number; text: string };

/** The events that open a message item and its one text part. */
function openMessage(event: WriteEvent, m: OpenItem): string {
  return (
    event('response.output_item.added', { item: { id: m.id, type: 'message', status: 'in_progress', content: [], role: 'assistant' }, output_index: m.index }) +
    event('response.content_part.added', { content_index: 0, item_id: m.id, output_index: m.index, part: { type: 'output_text', annotations: [], logprobs: [], text: '' } })
  );
}

/** The events that close a message item; the finished item goes to `output`. */
function closeMessage(event: WriteEvent, m: OpenItem, output: unknown[]): string {
  const part = { type: 'output_text', annotations: [], logprobs: [], text: m.text };
  const item = { id: m.id, type: 'message', status: 'completed', content: [part], role: 'assistant' };
  output.push(item);
  return (
    event('response.output_text.done', { content_index: 0, item_id: m.id, logprobs: [], output_index: m.index, text: m.text }) +
    event('response.content_part.done', { content_index: 0, item_id: m.id, output_index: m.index, part }) +
    event('response.output_item.done', { item, output_index: m.index })
  );
}

/** The event that closes a reasoning item; the finished item goes to `output`. */
function closeReasoning(event: WriteEvent, r: OpenItem, output: unknown[]): string {
  const item = { id: r.id, type: 'reasoning', summary: [{ type: 'summary_text', text: r.text }] };
  output.push(item);
  return event('response.output_item.done', { item, output_index: r.index });
}

/** A function call item still open: its arguments so far. */
type OpenCall = { itemId: string; index: number; name: string; args: string };

/** The events that close a function call item; the finished item goes to `output`. */
function closeCall(event: WriteEvent, callId: string, call: OpenCall, output: unknown[]): string {
  const item = { id: call.itemId, type: 'function_call', status: 'completed', arguments: call.args, call_id: callId, name: call.name };
  output.push(item);
  return (
    event('response.function_call_arguments.done', { arguments: call.args, item_id: call.itemId, name: call.name, output_index: call.index }) +
    event('response.output_item.done', { item, output_index: call.index })
  );
}

/** What every `response` object of one answer shares. */
type ResponseBase = { id: string; created: number; model: string; output: unknown[] };

/** The `response` object in `status`, with `extra` fields over the defaults (in the order OpenAI sends them). */
function responseObject(base: ResponseBase, status: string, extra: Record<string, unknown> = {}) {
  const { id, created, model, output } = base;
  return { id, object: 'response', created_at: created, status, error: null, incomplete_details: null, model, output, usage: null, ...extra };
}

/** The usage object of a terminal response. */
const usageJson = (usage: { inputTokens: number; outputTokens: number }) => ({
  input_tokens: usage.inputTokens,
  output_tokens: usage.outputTokens,
  total_tokens: usage.inputTokens + usage.outputTokens,
});

/** Encodes one answer as OpenAI Responses events. */
export function responsesEncoder(options: WireEncoderOptions): WireEncoder {
  const output: unknown[] = [];
  const base: ResponseBase = {
    id: options.id ?? 'resp_fake000000000000000000000000000000000000001',
    created: options.created ?? 1741950100,
    model: options.model ?? 'fake-model-1',
    output,
  };
  let sequence = 0;
  let outputIndex = 0;
  let message: OpenItem | null = null;
  let reasoningItem: OpenItem | null = null;
  const calls = new Map<string, OpenCall>();
  const event: WriteEvent = (type, json) => sseEvent(type, { ...json, sequence_number: sequence++ });
  const response = (status: string, extra?: Record<string, unknown>) => responseObject(base, status, extra);
  // An item closes when output of another kind starts, and at the end.
  const endMessage = () => {
    if (!message) return '';
    const out = closeMessage(event, message, output);
    message = null;
    return out;
  };
  const endReasoning = () => {
    if (!reasoningItem) return '';
    const out = closeReasoning(event, reasoningItem, output);
    reasoningItem = null;
    return out;
  };

  return {
    protocol: 'openai-responses',
    contentType: 'text/event-stream',
    start: () => event('response.created', { response: response('in_progress') }) + event('response.in_progress', { response: response('in_progress') }),
    text(delta) {
      let out = endReasoning();
      if (!message) {
        message = { id: `msg_fake${outputIndex}`, index: outputIndex++, text: '' };
        out += openMessage(event, message);
      }
      message.text += delta;
      return out + event('response.output_text.delta', { content_index: 0, delta, item_id: message.id, logprobs: [], output_index: message.index });
    },
    reasoning(delta) {
      let out = '';
      if (!reasoningItem) {
        reasoningItem = { id: `rs_fake${outputIndex}`, index: outputIndex++, text: '' };
        out += event('response.output_item.added', { item: { id: reasoningItem.id, type: 'reasoning', summary: [] }, output_index: reasoningItem.index });
      }
      reasoningItem.text += delta;
      return out + event('response.reasoning_summary_text.delta', { item_id: reasoningItem.id, output_index: reasoningItem.index, summary_index: 0, delta });
    },
    toolStart(callId, name) {
      const call: OpenCall = { itemId: `fc_${callId}`, index: outputIndex++, name, args: '' };
      calls.set(callId, call);
      const item = { id: call.itemId, type: 'function_call', status: 'in_progress', arguments: '', call_id: callId, name };
      return endMessage() + endReasoning() + event('response.output_item.added', { item, output_index: call.index });
    },
    toolDelta(callId, delta) {
      const call = calls.get(callId)!;
      call.args += delta;
      return event('response.function_call_arguments.delta', { delta, item_id: call.itemId, output_index: call.index });
    },
    toolEnd: (callId) => closeCall(event, callId, calls.get(callId)!, output),
    finish(reason, usage) {
      const closing = endMessage() + endReasoning();
      if (reason === 'length' || reason === 'content-filter') {
        const details = { reason: reason === 'length' ? 'max_output_tokens' : 'content_filter' };
        return closing + event('response.incomplete', { response: response('incomplete', { incomplete_details: details, usage: usageJson(usage) }) });
      }
      return closing + event('response.completed', { response: response('completed', { usage: usageJson(usage) }) });
    },
    error: (message) => event('error', { code: 'server_error', message, param: null }),
  };
}
